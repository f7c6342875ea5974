"""Test helpers for making altered copies of pack files."""
import json
import zipfile
from pathlib import Path


def rewrite_pack(src: Path, dest: Path, replace: dict | None = None, edit_manifest=None,
                 extra: dict | None = None) -> Path:
    """Copy a pack zip, replacing entries' bytes, editing the manifest dict, adding raw entries."""
    replace = replace or {}
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == "manifest.json" and edit_manifest:
                manifest = json.loads(data)
                edit_manifest(manifest)
                data = json.dumps(manifest).encode()
            data = replace.get(info.filename, data)
            if data is not None:
                new.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return dest


def manifest_of(pack: Path) -> dict:
    """The manifest of a pack file."""
    with zipfile.ZipFile(pack) as archive:
        return json.loads(archive.read("manifest.json"))

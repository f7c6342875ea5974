"""Verifying a pack: safe extraction, manifest validation, every file's size and SHA-256."""
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from server.errors import PackError
from server.content.packs.archive import Limits, PackFile, extract_pack
from server.content.packs.manifest import MANIFEST_NAME, Manifest, load_manifest


@dataclass(frozen=True)
class OpenedPack:
    manifest: Manifest
    files: dict[str, PackFile]  # pack path -> extracted file (manifest excluded)
    size_bytes: int
    signed_by: str | None  # None: unsigned


def open_pack(source: Path, staging: Path, limits: Limits = Limits()) -> OpenedPack:
    """Extract a pack into `staging` and prove it matches its manifest; PackError otherwise."""
    source = Path(source)
    if not source.exists():
        raise PackError("no such file or folder", str(source))
    extracted = {f.path: f for f in extract_pack(source, staging, limits)}
    manifest_file = extracted.pop(MANIFEST_NAME, None)
    if manifest_file is None:
        raise PackError("this is not a Lantern pack: it has no manifest.json", source.name)
    manifest = load_manifest(manifest_file.location.read_bytes())
    for entry in manifest.files:
        got = extracted.get(entry.path)
        if got is None:
            raise PackError("listed in the manifest but missing from the pack", entry.path)
        if got.size != entry.size:
            raise PackError(f"is {got.size} bytes but the manifest says {entry.size}", entry.path)
        if got.sha256 != entry.sha256:
            raise PackError("checksum does not match the manifest: the file is damaged or was changed",
                            entry.path)
    unlisted = sorted(set(extracted) - {entry.path for entry in manifest.files})
    if unlisted:
        raise PackError("is in the pack but not listed in its manifest", unlisted[0])
    if manifest.signature is not None:
        raise PackError("the pack carries a signature, but this Lantern cannot check signatures yet; "
                        "ask the publisher for the unsigned pack", MANIFEST_NAME)
    return OpenedPack(manifest, extracted, sum(f.size for f in extracted.values()), None)


def verify_pack(source: Path, limits: Limits = Limits()) -> OpenedPack:
    """Verify a pack without installing it (extracts to a temporary folder, then removes it)."""
    staging = Path(tempfile.mkdtemp(prefix="lantern-verify-"))
    try:
        return open_pack(source, staging, limits)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

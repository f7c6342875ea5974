"""Verifying a pack: safe extraction, manifest validation, its signature, every file's size and SHA-256."""
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from server.errors import PackError
from server.content.packs.archive import Limits, PackFile, extract_pack
from server.content.packs.manifest import MANIFEST_NAME, Manifest, load_manifest
from server.content.packs.publishers import Provenance, manifest_provenance, provenance


@dataclass(frozen=True)
class OpenedPack:
    manifest: Manifest
    files: dict[str, PackFile]  # pack path -> extracted file (manifest excluded)
    size_bytes: int
    signed_by: str | None  # the trusted publisher's name; None: unsigned, or signed by a key not trusted here
    provenance: Provenance = Provenance("unsigned")


def open_pack(source: Path, staging: Path, limits: Limits = Limits(), trust=provenance) -> OpenedPack:
    """Extract a pack into `staging` and prove it matches its signature and manifest; PackError otherwise.

    `trust` turns a verified signature into a Provenance (default: this server's trusted keys)."""
    source = Path(source)
    if not source.exists():
        raise PackError("no such file or folder", str(source))
    extracted = {f.path: f for f in extract_pack(source, staging, limits)}
    manifest_file = extracted.pop(MANIFEST_NAME, None)
    if manifest_file is None:
        raise PackError("this is not a Lantern pack: it has no manifest.json", source.name)
    manifest = load_manifest(manifest_file.location.read_bytes())
    origin = manifest_provenance(manifest.raw, trust)  # before the files: a changed signed pack says so
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
    return OpenedPack(manifest.without_body(), extracted, sum(f.size for f in extracted.values()), origin.name, origin)


def verify_pack(source: Path, limits: Limits = Limits(), trust=provenance) -> OpenedPack:
    """Verify a pack without installing it (extracts to a temporary folder, then removes it)."""
    staging = Path(tempfile.mkdtemp(prefix="lantern-verify-"))
    try:
        return open_pack(source, staging, limits, trust)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

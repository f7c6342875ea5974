"""The pack folder a conversion writes (manifest.json + files), resumable after a power cut.

Every file is written to `<name>.part` and renamed when complete, so a file under its final name is whole;
a second run over the same folder skips it (hashing it again, reading in chunks). Identical storage files
are stored once: a storage file's pack path is its MD5 name.
"""
import hashlib
import json
import os
import shutil
from pathlib import Path

from server.errors import PackError
from server.content.packs.archive import Limits, extract_pack
from server.content.packs.manifest import MANIFEST_NAME
from server.content.kolibri.drive import CHUNK, copy_checked, storage_path

APP_LIMITS = Limits(max_files=5000, max_file_bytes=256 * 1024**2, max_total_bytes=1024**3)


class PackFolder:
    """Files of the pack being written, with their sizes and SHA-256."""

    def __init__(self, root: Path, drive_root: Path):
        self.root, self.drive_root = Path(root), Path(drive_root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, tuple[int, str]] = {}

    def has_storage(self, md5: str, extension: str) -> bool:
        """Whether a storage file is on the drive."""
        path = storage_path(self.drive_root, md5, extension)
        return path is not None and path.is_file()

    def drive_file(self, md5: str, extension: str) -> Path:
        """The path of a storage file on the drive, its MD5 checked (read in chunks)."""
        path = storage_path(self.drive_root, md5, extension)
        digest = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != md5:
            raise PackError("is damaged: its content does not match its MD5 name (copy the channel to the "
                            "drive again)", f"content/storage/{md5[0]}/{md5[1]}/{path.name}")
        return path

    def add_storage(self, md5: str, extension: str) -> str:
        """Copy a storage file into the pack (once), MD5 checked; return its pack path."""
        pack_path = f"files/{md5}.{extension}"
        if pack_path not in self.files:
            self.files[pack_path] = copy_checked(storage_path(self.drive_root, md5, extension),
                                                 self.root / pack_path, md5)
        return pack_path

    def add_bytes(self, pack_path: str, data: bytes) -> str:
        """Write a small generated file (a lesson page, an image from an exercise)."""
        target = self.root / pack_path
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        part.write_bytes(data)
        os.replace(part, target)
        self.files[pack_path] = (len(data), hashlib.sha256(data).hexdigest())
        return pack_path

    def add_app(self, folder: str, zip_path: Path) -> list[str]:
        """Unpack an HTML5 app zip under `folder` (bombs and path tricks refused); return its paths."""
        target = self.root / folder
        if not target.is_dir():
            part = target.with_name(target.name + ".part")
            shutil.rmtree(part, ignore_errors=True)
            extract_pack(zip_path, part, APP_LIMITS)
            os.replace(part, target)
        paths = []
        for path in sorted(p for p in target.rglob("*") if p.is_file()):
            pack_path = path.relative_to(self.root).as_posix()
            self._note(pack_path)
            paths.append(pack_path)
        return paths

    def _note(self, pack_path: str) -> None:
        digest, size = hashlib.sha256(), 0
        with open(self.root / pack_path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        self.files[pack_path] = (size, digest.hexdigest())

    def write_manifest(self, manifest: dict) -> None:
        """Write manifest.json listing every file (written last: its presence means the folder is whole)."""
        self._prune()
        manifest["files"] = [{"path": p, "size": s, "sha256": h} for p, (s, h) in sorted(self.files.items())]
        part = self.root / (MANIFEST_NAME + ".part")
        # Streamed, compact: `json.dumps(..., indent=1)` of a 10,000-node channel's manifest built ~100 MB
        # of small strings before writing one (it was the conversion's peak memory).
        with open(part, "w", encoding="utf-8") as out:
            json.dump(manifest, out, ensure_ascii=False, separators=(",", ":"))
        os.replace(part, self.root / MANIFEST_NAME)

    def _prune(self) -> None:
        """Remove what an earlier, interrupted run left that this pack does not list."""
        for path in sorted(self.root.rglob("*"), reverse=True):
            rel = path.relative_to(self.root).as_posix()
            if path.is_file() and rel not in self.files and rel != MANIFEST_NAME:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()

    def forget(self, pack_path: str) -> None:
        """Leave a file out of the pack after all (e.g. a thumbnail that is not an image)."""
        self.files.pop(pack_path, None)

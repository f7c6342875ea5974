"""The content-addressed blob store: files kept under data/blobs/ab/<sha256>.

Writes go to a temporary file, are fsynced, then renamed into place, so a power cut
never leaves a half-written blob under its final name. Putting the same bytes twice
is a no-op, so pack versions share unchanged media and resumed downloads are cheap.

Decisions:
- A pack import writes thousands of blobs, and one fsync each was a third of its time. Its store is
  `deferred()`: blobs go to a pending folder (`.pending-<id>/<sha256>`) with no flush each; `publish()`, just
  before the transaction that names them, flushes them all at once, renames them into place and flushes the
  names. So a blob under its final name has always reached the disk before it got that name, and every name
  the database is about to use is on disk before the commit. A power cut before `publish()` ends leaves a
  pending folder, removed at start (`clean_incoming`); nothing half-written is ever found by `has()`.
- The flush at once is syncfs(2) on the store's filesystem where the C library has it (Linux): one call
  writes everything the import wrote. Elsewhere every pending file is fsynced, then every folder.
"""
import ctypes
import functools
import hashlib
import io
import itertools
import mimetypes
import os
import shutil
import tempfile
import uuid
from pathlib import Path

CHUNK = 1024 * 1024
PENDING_PREFIX = ".pending-"

# Types we name explicitly so serving does not depend on the host's mime database.
MEDIA_TYPES = {
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
    ".oga": "audio/ogg", ".opus": "audio/ogg", ".m4a": "audio/mp4", ".wav": "audio/wav",
    ".mp4": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg", ".vtt": "text/vtt",
    ".md": "text/markdown", ".pdf": "application/pdf", ".txt": "text/plain",
}


def media_type_for(name: str) -> str:
    """The media type for a file name (application/octet-stream when unknown)."""
    suffix = Path(name).suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class BlobStore:
    """Files by SHA-256 under one root folder."""

    def __init__(self, root: Path, pending: str | None = None):
        self.root = Path(root)
        self.pending = self.root / pending if pending else None  # the deferred store's folder

    def deferred(self) -> "BlobStore":
        """The same store for one import: writes are flushed together by `publish()` (see the docstring)."""
        return BlobStore(self.root, f"{PENDING_PREFIX}{uuid.uuid4().hex}")

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this hash lives (whether or not it exists)."""
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        """True when the blob is present (or written and waiting for `publish()`)."""
        return self.path_for(sha256).is_file() or (self.pending is not None and (self.pending / sha256).is_file())

    def put_file(self, source: Path, sha256: str | None = None) -> str:
        """Copy a file into the store (verifying or computing its hash); return the hash."""
        if sha256 and self.has(sha256):
            return sha256
        with open(source, "rb") as src:
            return self._write(src, expected=sha256)

    def put_bytes(self, data: bytes) -> str:
        """Store bytes; return their hash."""
        digest = hashlib.sha256(data).hexdigest()
        return digest if self.has(digest) else self._write(io.BytesIO(data), expected=digest)

    def _write(self, src, expected: str | None) -> str:
        folder = self.pending or self.root
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".incoming-")
        hasher = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: src.read(CHUNK), b""):
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                if self.pending is None:
                    os.fsync(out.fileno())
            digest = hasher.hexdigest()
            if expected and digest != expected:
                raise ValueError(f"content hash {digest} does not match {expected}")
            target = self.pending / digest if self.pending else self.path_for(digest)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
            return digest
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def publish(self) -> int:
        """Flush a deferred store's blobs to disk, name them, flush the names; return how many were named."""
        if self.pending is None or not self.pending.is_dir():
            return 0
        if not sync_filesystem(self.pending):
            for path in _files_in(self.pending):
                _fsync_path(path)
        named, shards = 0, set()
        while batch := _some_names(self.pending):
            for name in batch:
                target = self.path_for(name)
                if target.parent.name not in shards:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shards.add(target.parent.name)
                os.replace(self.pending / name, target)
                named += 1
        if not sync_filesystem(self.root):
            for folder in [self.root / shard for shard in sorted(shards)] + [self.root]:
                _fsync_path(folder)
        self.pending.rmdir()
        return named

    def discard(self) -> None:
        """Remove a deferred store's blobs that were not published (an import that failed)."""
        if self.pending is not None:
            shutil.rmtree(self.pending, ignore_errors=True)

    def clean_incoming(self) -> int:
        """Remove temporary files and pending folders an interrupted write left behind; return how many."""
        removed = 0
        for leftover in self.root.glob(".incoming-*"):
            leftover.unlink(missing_ok=True)
            removed += 1
        for leftover in self.root.glob(f"{PENDING_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
            removed += 1
        return removed

    def copy_out(self, sha256: str, dest: Path) -> None:
        """Copy a blob to a path outside the store."""
        shutil.copyfile(self.path_for(sha256), dest)


def sync_filesystem(folder: Path) -> bool:
    """Flush everything written to the filesystem holding `folder` (syncfs(2)); False where there is none."""
    syncfs = _syncfs()
    if syncfs is None:
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs failed: {os.strerror(err)}", str(folder))
    finally:
        os.close(fd)
    return True


@functools.lru_cache(maxsize=1)
def _syncfs():
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):  # not Linux's C library
        return None


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _files_in(folder: Path):
    with os.scandir(folder) as listing:
        for entry in listing:
            yield Path(entry.path)


def _some_names(folder: Path, count: int = 1000) -> list[str]:
    """Up to `count` file names in a folder (read in slices: a channel's import has tens of thousands)."""
    with os.scandir(folder) as listing:
        return [entry.name for entry in itertools.islice(listing, count)]

"""The content-addressed blob store: files kept under data/blobs/ab/<sha256>.

Writes go to a temporary file, are fsynced, then renamed into place, so a power cut
never leaves a half-written blob under its final name. Putting the same bytes twice
is a no-op, so pack versions share unchanged media and resumed downloads are cheap.
"""
import hashlib
import io
import mimetypes
import os
import shutil
import tempfile
from pathlib import Path

CHUNK = 1024 * 1024

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

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this hash lives (whether or not it exists)."""
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        """True when the blob is present."""
        return self.path_for(sha256).is_file()

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
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        hasher = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: src.read(CHUNK), b""):
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = hasher.hexdigest()
            if expected and digest != expected:
                raise ValueError(f"content hash {digest} does not match {expected}")
            target = self.path_for(digest)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
            return digest
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def clean_incoming(self) -> int:
        """Remove temporary files an interrupted write left behind; return how many."""
        removed = 0
        for leftover in self.root.glob(".incoming-*"):
            leftover.unlink(missing_ok=True)
            removed += 1
        return removed

    def copy_out(self, sha256: str, dest: Path) -> None:
        """Copy a blob to a path outside the store."""
        shutil.copyfile(self.path_for(sha256), dest)

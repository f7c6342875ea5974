"""A package source (an `.imscc` or `.zip` file, or an unzipped package folder) copied into a
temporary folder that the build may write into, and removed afterwards.

Decisions: entries are checked like a pack's own (no absolute paths, no `..`, no drive letters,
no symlinks), `__MACOSX/` and `._*` resource forks are ignored, and sizes are bounded, so a zip
built to escape its folder or fill the disk is refused with one sentence before anything is
written outside the temporary folder.
"""
import shutil
import stat
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

from server.errors import PackError
from server.content.packs.archive import safe_pack_path

MAX_ENTRIES = 20_000
MAX_TOTAL_BYTES = 2_000_000_000


@contextmanager
def staged(src: Path):
    """A temporary copy of a package file or folder; yields the folder."""
    with tempfile.TemporaryDirectory(prefix="lantern-package-") as tmp:
        folder = Path(tmp) / (src.stem if src.is_file() else src.name or "package")
        if src.is_dir():
            shutil.copytree(src, folder, symlinks=True, ignore=shutil.ignore_patterns("__MACOSX", "._*"))
        else:
            _extract(src, folder)
        yield folder


def _extract(src: Path, folder: Path) -> None:
    try:
        archive = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError):
        raise PackError("this is not a zip file (an .imscc or content package is a zip)", src.name) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_TOTAL_BYTES:
            raise PackError("the package is too large to import", src.name)
        for entry in entries:
            name = entry.filename
            if name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith("._") or entry.is_dir():
                continue
            if stat.S_ISLNK(entry.external_attr >> 16):
                raise PackError(f"the entry {name[:80]!r} is a symbolic link; nothing was imported", src.name)
            try:
                path = safe_pack_path(name)
            except PackError:
                raise PackError(f"the entry {name[:80]!r} would be written outside the package; "
                                "nothing was imported", src.name) from None
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(entry) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
            except (zipfile.BadZipFile, OSError, EOFError) as err:
                raise PackError(f"the zip is damaged ({err})", src.name) from None

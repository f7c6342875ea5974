"""Reading an untrusted content pack, a zip archive or a folder, safely into a staging folder.

Packs arrive on USB sticks of unknown origin, so nothing in them is trusted: every name must be
a plain relative path (`safe_pack_path`), no two names may collide on a FAT stick (compared
case-insensitively after NFC), sizes are counted while the bytes stream, never taken from
headers, and on any problem `PackError` names the entry and everything written so far is removed.

Decisions:
- Decompression bombs: an entry is refused once it grows past `max_file_bytes`, once the pack
  grows past `max_total_bytes`, or once an entry of 64 KiB or more has expanded to more than
  `max_ratio` times its compressed size. So `big-compression.zip` from the yauzl fixtures
  (147 bytes that unpack to 132 KiB, about 919:1) is refused by default and accepted with
  `Limits(max_ratio=1000)`.
- Symbolic links: always refused in zips. In a folder pack, a link to an ordinary file inside
  the pack is copied as a file holding the target's content (exported lesson sites use such
  links); a link that leaves the pack, dangles or points to a folder is refused.
- Skipped, not refused: directory entries and the junk operating systems leave behind
  (`__MACOSX/`, `._*` AppleDouble files, `.DS_Store`, `Thumbs.db`).
- Zip entry names: an Info-ZIP Unicode Path field wins when its checksum matches the raw name;
  names without the UTF-8 flag are read as UTF-8 when they are valid UTF-8, else as CP437.
"""
import contextlib
import functools
import hashlib
import lzma
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from server.errors import PackError

CHUNK_BYTES = 1024 * 1024
RATIO_FLOOR = 64 * 1024  # smaller entries may compress as well as they like
NAME_PART_BYTES = 255  # the longest file or folder name common file systems accept
JUNK_FILES = frozenset({".DS_Store", "Thumbs.db"})
JUNK_FOLDER = "__MACOSX"
METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
DRIVE = re.compile(r"[A-Za-z]:")
END_RECORD = struct.Struct("<4s4H2LH")
END_SIGNATURE = b"PK\x05\x06"
LOCAL_SIGNATURE = b"PK\x03\x04"
LOCAL_HEADER_BYTES = 30
UNICODE_PATH_FIELD = 0x7075
UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
ABSOLUTE = "is an absolute path; names inside a pack must be relative"
NOT_ORDINARY = "is not an ordinary file (it is a device, pipe or socket)"
SPLIT_ARCHIVE = "the archive is split over several disks; make it again as a single zip file"
READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, OSError)


@dataclass(frozen=True)
class Limits:
    """Ceilings that keep one hostile pack from filling the disk, the memory or the clock."""

    max_files: int = 20_000
    max_file_bytes: int = 512 * 1024**2  # one file
    max_total_bytes: int = 4 * 1024**3  # whole pack, uncompressed
    max_ratio: float = 200.0  # uncompressed/compressed per entry, for entries of 64 KiB or more
    max_path_length: int = 240
    max_depth: int = 16  # path components, the file itself included


@dataclass(frozen=True, slots=True)
class PackFile:
    """One file of an extracted pack."""

    path: str  # normalized POSIX path inside the pack, e.g. "lessons/01.md"
    size: int
    sha256: str  # hex
    root: Path  # the folder it was extracted into (one object shared by every file of the pack)

    @property
    def location(self) -> Path:
        """Where the bytes now are (made on use: a Path per file of a 20,000-file pack was ~15 MB)."""
        return self.root / self.path


DEFAULT_LIMITS = Limits()


def safe_pack_path(name: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """The normalized relative POSIX form of a name inside a pack; PackError if it is unsafe."""
    if not isinstance(name, str):
        raise PackError("has a name that is not text")
    parts = [p for p in unicodedata.normalize("NFC", name).split("/") if p not in ("", ".")]
    problem = _name_problem(name) or _parts_problem(parts, limits)
    if problem is not None:
        raise PackError(problem, path=_shown(name))
    return "/".join(parts)


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def extract_pack(source: Path, dest_dir: Path, limits: Limits = DEFAULT_LIMITS) -> list[PackFile]:
    """Copy a zip or folder pack into the empty `dest_dir`, checking every name and byte."""
    source, staging = Path(source), _Staging(Path(dest_dir))
    try:
        staging.root.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            return _copy_members(_plan_folder(source.resolve(), limits), staging, limits)
        with _open_zip(source) as archive:
            return _copy_members(_plan_zip(archive, source.stat().st_size, limits), staging, limits)
    except OSError as err:
        staging.roll_back()
        raise PackError(f"could not be read ({err.strerror or err})", path=source.name) from None
    except BaseException:
        staging.roll_back()
        raise


# -- names ------------------------------------------------------------------------------------

def _name_problem(name: str) -> str | None:
    if name.startswith("/") or DRIVE.match(name):
        return ABSOLUTE
    if "\\" in name:
        return "has a backslash in its name; pack paths separate folders with '/'"
    for char in name:
        kind = unicodedata.category(char)
        if kind == "Cc":
            return "has a control character in its name"
        if kind == "Cs":
            return "has a name that is not valid Unicode"
        if char in DIRECTION_CONTROLS:
            return "has a text-direction control character in its name"
    return None


def _parts_problem(parts: list[str], limits: Limits) -> str | None:
    if not parts:
        return "has an empty name"
    if DRIVE.match(parts[0]):  # "./C:/x" is "C:/x" once normalized
        return ABSOLUTE
    if ".." in parts:
        return "points outside the pack ('..' in its path)"
    if len(parts) > limits.max_depth:
        return f"is nested too deeply (more than {limits.max_depth} levels)"
    if len("/".join(parts)) > limits.max_path_length:
        return f"has a path longer than {limits.max_path_length} characters"
    if any(len(part.encode()) > NAME_PART_BYTES for part in parts):
        return f"has a file or folder name longer than {NAME_PART_BYTES} bytes"
    return None


def _shown(name: str) -> str:
    """A name fit for an error message: invisible characters escaped, length capped."""
    shown = "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" for c in name)
    return shown if len(shown) <= 300 else shown[:300] + "…"


def _is_junk(path: str) -> bool:
    parts = path.split("/")
    return JUNK_FOLDER in parts or parts[-1].startswith("._") or parts[-1] in JUNK_FILES


def _check_collisions(paths: list[str]) -> None:
    """Refuse two names a FAT stick would store as one, and a name used as file and folder."""
    first: dict[str, str] = {}
    for path in paths:
        key = path.casefold()
        if key in first:
            raise PackError(f"appears twice (also as {first[key]!r}); names must differ by more "
                            "than upper/lower case", path=path)
        first[key] = path
    for path in paths:
        parts = path.casefold().split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in first:
                raise PackError(f"needs a folder named {first[folder]!r}, but a file has that name", path)


# -- writing ----------------------------------------------------------------------------------

class _Staging:
    """The files and folders one extraction created, so a failure can take them all back."""

    def __init__(self, root: Path):
        self.root = root
        self.created: list[Path] = []

    def create(self, path: str) -> BinaryIO:
        target = self.root / path
        missing, folder = [], target.parent
        while folder != self.root and not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            folder.mkdir()
            self.created.append(folder)
        handle = open(target, "xb")  # exclusive: never overwrites, never follows a link
        self.created.append(target)
        return handle

    def roll_back(self) -> None:
        for path in reversed(self.created):
            with contextlib.suppress(OSError):  # gone already, or a folder holding others' files
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
        self.created.clear()


@dataclass(frozen=True)
class _Member:
    """One file to copy: its pack path and how to stream its bytes."""

    path: str
    chunks: Callable[[], Iterator[bytes]]
    packed: int | None = None  # compressed size, for the ratio rule (zip entries only)
    declared: int | None = None  # size the zip header claims; must equal the bytes counted


def _copy_members(members: list[_Member], staging: _Staging, limits: Limits) -> list[PackFile]:
    _check_collisions([m.path for m in members])
    files, used = [], 0
    for m in members:
        check = functools.partial(_check_growth, path=m.path, limits=limits, used=used,
                                  packed=m.packed)
        with contextlib.closing(m.chunks()) as chunks:
            size, digest = _write_file(staging, m.path, chunks, check)
        if m.declared is not None and size != m.declared:
            raise _damaged(f"the entry holds {size} bytes but its header says {m.declared}", m.path)
        files.append(PackFile(m.path, size, digest, staging.root))
        used += size
    return files


def _write_file(staging: _Staging, path: str, chunks: Iterable[bytes],
                check: Callable[[int], None]) -> tuple[int, str]:
    """Stream chunks into a new staged file, checking the running size; (size, sha256)."""
    digest, size = hashlib.sha256(), 0
    try:
        with staging.create(path) as out:
            for chunk in chunks:
                size += len(chunk)
                check(size)
                digest.update(chunk)
                out.write(chunk)
    except OSError as err:
        raise PackError(f"could not be written to the staging folder ({err.strerror or err})", path) from None
    return size, digest.hexdigest()


def _check_growth(size: int, *, path: str, limits: Limits, used: int, packed: int | None) -> None:
    if size > limits.max_file_bytes:
        raise PackError(f"is larger than the {_amount(limits.max_file_bytes)} allowed for one file", path)
    if used + size > limits.max_total_bytes:
        raise PackError(f"makes the pack larger than the {_amount(limits.max_total_bytes)} allowed", path)
    if packed is not None and size >= RATIO_FLOOR and size > limits.max_ratio * max(packed, 1):
        raise PackError(f"expands to more than {limits.max_ratio:g} times its compressed size, "
                        "like a zip bomb (a decompression bomb); it was not unpacked", path=path)


def _amount(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


# -- folders ----------------------------------------------------------------------------------

def _plan_folder(root: Path, limits: Limits) -> list[_Member]:
    """Every file under root, walking without following links."""
    plan, pending = [], [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        for entry in entries:
            path = safe_pack_path(prefix + entry.name, limits)
            if _is_junk(path):
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append((Path(entry.path), prefix + entry.name + "/"))
                continue
            real = _readable_file(entry, root, path)
            plan.append(_Member(path, functools.partial(_file_chunks, real, path)))
            if len(plan) > limits.max_files:
                raise PackError(f"the pack has more than {limits.max_files} files", path=path)
    return plan


def _readable_file(entry: os.DirEntry, root: Path, path: str) -> Path:
    if entry.is_symlink():
        target = Path(os.path.realpath(entry.path))
        if not target.is_relative_to(root):
            raise PackError("is a link to something outside the pack; put a copy of the file "
                            "in the pack instead", path=path)
        if not target.is_file():
            raise PackError("is a link to a folder or to nothing; only links to files inside "
                            "the pack are allowed", path=path)
        return target
    if not entry.is_file(follow_symlinks=False):
        raise PackError(NOT_ORDINARY, path=path)
    return Path(entry.path)


def _file_chunks(real: Path, path: str) -> Iterator[bytes]:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        with open(os.open(real, flags), "rb") as handle:  # no link swapped in, no pipe to block on
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise PackError(NOT_ORDINARY, path=path)
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk
    except OSError as err:
        raise PackError(f"could not be read ({err.strerror or err})", path=path) from None


# -- zip archives -----------------------------------------------------------------------------

def _open_zip(source: Path) -> zipfile.ZipFile:
    if not source.is_file():
        raise PackError("is neither a folder nor a file", path=source.name)
    if source.stat().st_size == 0:
        raise PackError("is an empty file, not a zip archive", path=source.name)
    if not zipfile.is_zipfile(source):
        with open(source, "rb") as handle:
            if handle.read(4) == LOCAL_SIGNATURE:
                raise _damaged("its end is missing; it may have been cut short while copying",
                               source.name)
        raise PackError("is neither a folder nor a zip archive", path=source.name)
    _check_end_record(source)
    try:
        return zipfile.ZipFile(source)
    except (*READ_ERRORS, UnicodeDecodeError) as err:
        raise _damaged(err, source.name) from None


def _check_end_record(source: Path) -> None:
    """Refuse stray bytes after the end-of-archive record, and archives split over disks."""
    size = source.stat().st_size
    with open(source, "rb") as handle:
        handle.seek(max(0, size - END_RECORD.size - 0xFFFF))
        tail = handle.read()
    at = tail.rfind(END_SIGNATURE)
    while at >= 0:
        if at + END_RECORD.size <= len(tail):
            _, disk, first_disk, here, total, _, _, comment = END_RECORD.unpack_from(tail, at)
            if at + END_RECORD.size + comment == len(tail):
                if here != total or (disk, first_disk) not in ((0, 0), (0xFFFF, 0xFFFF)):
                    raise PackError(SPLIT_ARCHIVE, path=source.name)
                return
        at = tail.rfind(END_SIGNATURE, 0, at)
    raise _damaged("there are stray bytes after its end record", source.name)


def _plan_zip(archive: zipfile.ZipFile, archive_size: int, limits: Limits) -> list[_Member]:
    """Every file entry to extract, after checking every entry's header."""
    infos = archive.infolist()
    _check_layout(infos, archive_size)
    plan, declared = [], 0
    for info in infos:
        name = _member_name(info)
        path = safe_pack_path(name, limits)
        _check_member(info, path)
        if name.endswith("/") or stat.S_ISDIR(info.external_attr >> 16) or _is_junk(path):
            continue
        # The same limits on the sizes the header declares; the streamed bytes are checked again.
        _check_growth(info.file_size, path=path, limits=limits, used=declared,
                      packed=info.compress_size)
        declared += info.file_size
        chunks = functools.partial(_member_chunks, archive, info, path)
        plan.append(_Member(path, chunks, packed=info.compress_size, declared=info.file_size))
        if len(plan) > limits.max_files:
            raise PackError(f"the pack has more than {limits.max_files} files", path=path)
    return plan


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    return info.orig_filename.encode("utf-8" if info.flag_bits & UTF8_FLAG else "cp437")


def _member_name(info: zipfile.ZipInfo) -> str:
    raw, extra, at = _raw_name(info), info.extra, 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4:at + 4 + size]
        if kind == UNICODE_PATH_FIELD and len(body) > 5 and body[0] == 1 \
                and struct.unpack_from("<L", body, 1)[0] == zlib.crc32(raw):
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                break
        at += 4 + size
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return info.orig_filename


def _check_member(info: zipfile.ZipInfo, path: str) -> None:
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise PackError("is a symbolic link; packs may hold only ordinary files and folders", path)
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise PackError(NOT_ORDINARY, path=path)
    if info.flag_bits & ENCRYPTED_FLAG:
        raise PackError("is encrypted (password-protected); packs must not use encryption", path)
    if info.compress_type not in METHODS:
        raise PackError(f"uses an unsupported compression method ({info.compress_type}); "
                        "make the zip again with ordinary (deflate) compression", path=path)
    if info.volume:
        raise PackError(SPLIT_ARCHIVE, path=path)
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise _damaged("an uncompressed entry has two different sizes in its header", path)


def _check_layout(infos: list[zipfile.ZipInfo], archive_size: int) -> None:
    """Refuse entries whose data overlap (a zip bomb trick) or run past the end of the file."""
    end_of_previous = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end_of_previous:
            raise _damaged("two entries share the same bytes", _shown(info.orig_filename))
        end_of_previous = (info.header_offset + LOCAL_HEADER_BYTES + len(_raw_name(info))
                           + info.compress_size)
        if end_of_previous > archive_size:
            raise _damaged("an entry runs past the end of the file", _shown(info.orig_filename))


def _member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> Iterator[bytes]:
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK_BYTES):
                yield chunk
    except READ_ERRORS as err:
        raise _damaged(err, path) from None


def _damaged(reason: object, path: str) -> PackError:
    detail = str(reason) or type(reason).__name__
    return PackError(f"the archive is damaged ({detail})", path=path)

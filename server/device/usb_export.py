"""Saving to a USB stick: a verified backup, or the results for the district hub (a sync bundle).

Nothing is ever half-written: the backup is assembled in a hidden folder on the stick and renamed
when verified, a bundle is written to a hidden file, flushed to the stick and renamed. A stick that
is read-only or too full is refused before anything is written, in plain words.

Backups go to `<stick>/lantern-backups/<school>-<date-time>/`, sharing one `blobs/` folder there.
"""
import errno
import json
import os
import re
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from server.device.backup import BackupError, make_backup
from server.content.blobs import BlobStore
from server.i18n import N_
from server.device.usb import is_under_roots
from sync.bundle import export_school_bundle
from sync.state import get_state

BACKUP_FOLDER = "lantern-backups"
DEFAULT_RESERVE = 1024**2  # always leave this much free on the stick
# One backup or bundle write at a time, whoever asks (the USB page or the daily backup).
WRITE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Drive:
    path: Path
    free_bytes: int
    total_bytes: int
    writable: bool


@dataclass(frozen=True)
class Saved:
    path: Path
    size_bytes: int
    words: str  # the result sentence with %(name)s placeholders, translated where it is shown
    args: dict

    @property
    def summary(self) -> str:
        """The result sentence in English."""
        return self.words % self.args

    @property
    def outcome(self) -> tuple[str, dict]:
        """What a background job shows: the sentence and its placeholders."""
        return self.words, self.args


def refusal(words: str, **args) -> BackupError:
    """A BackupError whose sentence can be translated where it is shown (placeholders kept apart)."""
    err = BackupError(words % args if args else words)
    err.words, err.words_args = words, args
    return err


def find_drives(roots: list[str | Path]) -> list[Drive]:
    """The mounted drives under the configured roots (`/media/usb0`, `/media/pi/STICK`, …)."""
    drives: list[Drive] = []
    for root in roots:
        root = Path(root)
        try:
            children = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            continue
        for child in children:
            if child.name.startswith("."):
                continue
            nested = _mounted_children(child)
            for path in nested or [child]:
                drives.append(describe_drive(path))
    return drives


def _mounted_children(folder: Path) -> list[Path]:
    """Drives one level down (desktop systems mount sticks at /media/<user>/<label>)."""
    if os.path.ismount(folder):
        return []
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and os.path.ismount(p))
    except OSError:
        return []


def describe_drive(path: Path) -> Drive:
    """Free space and whether Lantern can write there."""
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return Drive(path, 0, 0, False)
    return Drive(path, usage.free, usage.total, _writable(path))


def _writable(path: Path) -> bool:
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        return False
    return os.access(path, os.W_OK)


def check_drive(drive: Path, roots: list[str | Path], needed: int, reserve: int = DEFAULT_RESERVE) -> Drive:
    """Refuse (plain words, nothing written) a stick that is gone, read-only or too full."""

    if not drive.is_dir() or not is_under_roots(drive, roots):
        raise refusal(N_("That USB stick is no longer there. Plug it in again and reload the page."))
    found = describe_drive(drive)
    if not found.writable:
        raise refusal(N_("This USB stick is read-only (or its lock switch is on). "
                         "Use another stick or slide the switch."))
    if found.free_bytes - needed < reserve:
        raise refusal(N_("This USB stick is too full: %(free)s free, about %(needed)s needed. "
                         "Delete old files from it or use a bigger stick."), free=_mb(found.free_bytes),
                      needed=_mb(needed + reserve))
    return found


def backup_space_needed(data_dir: Path, dest_root: Path) -> int:
    """About how many bytes a backup to dest_root takes (the database, and media not there yet)."""
    data_dir = Path(data_dir)
    database = data_dir / "lantern.db"
    size = sum(Path(f"{database}{s}").stat().st_size for s in ("", "-wal") if Path(f"{database}{s}").exists())
    store, target = BlobStore(data_dir / "blobs"), BlobStore(Path(dest_root) / "blobs")
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        digests = [row[0] for row in connection.execute("SELECT sha256 FROM blob")]
    finally:
        connection.close()
    for digest in digests:
        if not target.has(digest) and store.has(digest):
            size += store.path_for(digest).stat().st_size
    return size


def slug(name: str) -> str:
    """A school name as a safe folder-name part."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "school"


def backup_to_drive(data_dir: Path, drive: Path, roots, school: str, now: datetime,
                    reserve: int = DEFAULT_RESERVE, name: str | None = None, progress=lambda _: None) -> Saved:
    """Write a verified backup into <drive>/lantern-backups/; refuse a read-only or full stick."""
    dest = Path(drive) / BACKUP_FOLDER
    with WRITE_LOCK:
        check_drive(Path(drive), roots, backup_space_needed(data_dir, dest), reserve)
        progress(N_("Copying the database and media to the stick…"))
        try:
            report = make_backup(data_dir, dest, now=now, name=name or f"{slug(school)}-{now:%Y%m%d-%H%M%S}")
        except OSError as err:
            raise _os_error_words(err) from None
    progress(N_("The copy on the stick was checked: it is complete."))
    size = _folder_size(report.folder)
    return Saved(report.folder, size, N_("Backup saved and checked: %(path)s (%(size)s, %(events)s answers and "
                                         "other events, %(files)s media files)."),
                 {"path": str(report.folder), "size": _mb(size), "events": report.events, "files": report.blobs})


def bundle_to_drive(data_dir: Path, drive: Path, roots, reserve: int = DEFAULT_RESERVE,
                    progress=lambda _: None) -> Saved:
    """Write the results the hub has not confirmed yet into <drive>/lantern-sync/ as a bundle file."""

    dest = Path(drive) / "lantern-sync"
    with WRITE_LOCK:
        check_drive(Path(drive), roots, 0, reserve)
        progress(N_("Writing the results for the district hub…"))
        try:
            result = export_school_bundle(data_dir, dest)
        except OSError as err:
            for leftover in dest.glob(".lantern-results-*.part"):
                leftover.unlink(missing_ok=True)
            raise _os_error_words(err) from None
    size = result.path.stat().st_size
    return Saved(result.path, size, N_("Results saved for the hub: %(path)s (%(size)s, %(events)s answers and "
                                       "other events). Take the stick to the district office."),
                 {"path": str(result.path), "size": _mb(size), "events": result.events})


def is_paired() -> bool:
    """True when this school can write a bundle (paired, or pairing started with a code)."""

    return bool(get_state("hub_device_id") or get_state("pending_code"))


def prune_backups(dest_root: Path, school: str, keep: int) -> list[Path]:
    """Keep the newest `keep` backups of this school in dest_root; drop media no backup needs."""
    dest_root = Path(dest_root)
    mine = sorted((p for p in dest_root.glob(f"{slug(school)}-*") if (p / "backup.json").is_file()),
                  key=lambda p: json.loads((p / "backup.json").read_text()).get("created_at", ""))
    removed = mine[:-keep] if keep > 0 and len(mine) > keep else []
    for folder in removed:
        shutil.rmtree(folder)
    if removed:
        _drop_unused_blobs(dest_root)
    return removed


def _drop_unused_blobs(dest_root: Path) -> None:
    needed: set[str] = set()
    for manifest in dest_root.glob("*/backup.json"):
        try:
            needed.update(json.loads(manifest.read_text())["blobs"])
        except (OSError, ValueError, KeyError):
            return  # a backup we cannot read might need any of them: keep them all
    for blob in (dest_root / "blobs").glob("??/*"):
        if blob.name not in needed:
            blob.unlink(missing_ok=True)


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def _mb(size: int) -> str:
    return f"{size / 1024**2:.1f} MB"


def _os_error_words(err: OSError) -> BackupError:
    if err.errno == errno.ENOSPC:
        return refusal(N_("The USB stick became full while writing. Delete old files from it and try again."))
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return refusal(N_("The USB stick cannot be written to (read-only or locked)."))
    return refusal(N_("Writing to the USB stick failed (%(reason)s). Try the stick again."),
                   reason=err.strerror or str(err))

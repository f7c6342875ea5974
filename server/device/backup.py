"""Backups: a consistent copy of the database plus the blobs it needs, verified, and restore.

A backup folder holds `lantern.db` (made with SQLite's online backup API, so the server can
keep serving while it runs), `backup.json` (what was copied, with counts and hashes) and the
blobs in `../blobs/` beside it: backups to the same stick share unchanged media.
"""
import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from server.content.blobs import BlobStore
from server.errors import LanternError
from server.models.base import utcnow

FORMAT = 1


class BackupError(LanternError):
    """A backup could not be made, or a backup folder is not usable."""

    status = 422


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    events: int
    blobs: int
    created_at: str


def make_backup(data_dir: Path, dest_root: Path, now: datetime | None = None, name: str | None = None) -> BackupReport:
    """Write and verify a backup under dest_root (in a folder called `name`, if given); return what it holds."""
    data_dir, dest_root = Path(data_dir), Path(dest_root)
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    folder = dest_root / (name or f"lantern-backup-{stamp}")
    partial = dest_root / f".partial-{stamp}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        copy_database(data_dir / "lantern.db", partial / "lantern.db")
        blobs = _referenced_blobs(partial / "lantern.db")
        store, target = BlobStore(data_dir / "blobs"), BlobStore(dest_root / "blobs")
        for digest in blobs:
            if not target.has(digest):
                target.put_file(store.path_for(digest), digest)
        info = {"format": FORMAT, "created_at": stamp, "events": _count(partial / "lantern.db", "event"),
                "blobs": sorted(blobs), "database_sha256": _sha256(partial / "lantern.db")}
        (partial / "backup.json").write_text(json.dumps(info, indent=1))
        verify_backup(partial)
        os.replace(partial, folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    (data_dir / "last_backup.json").write_text(json.dumps({"at": stamp, "folder": str(folder)}))
    return BackupReport(folder, info["events"], len(blobs), stamp)


def copy_database(source: Path, dest: Path, *, check: bool = False) -> None:
    """A consistent copy of a live SQLite database as one self-contained file, on the disk when this returns.

    The one way Lantern copies its database (backups, the copy kept aside by a restore, an update's copy).
    SQLite's online backup API, so the server may keep writing; written beside `dest` and moved into place
    only when complete. With `check`, the copy must also pass `PRAGMA integrity_check`; otherwise (or when
    the source is not a database) nothing is left at `dest` and sqlite3.DatabaseError is raised."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.part")
    try:
        src, out = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(partial)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file (on a stick, or to restore)
            if check and out.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError(f"{source.name} failed its integrity check")
        finally:
            out.close()
            src.close()
        _fsync(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, dest)


def put_database_back(copy: Path, database: Path) -> None:
    """Replace `database` with a copy of `copy`, atomically, its stale -wal/-shm files removed."""
    partial = database.with_name(f".{database.name}.restoring")
    shutil.copyfile(copy, partial)
    _fsync(partial)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(partial, database)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _referenced_blobs(database: Path) -> set[str]:
    connection = sqlite3.connect(database)
    try:
        blobs = {row[0] for row in connection.execute("SELECT sha256 FROM blob")}
        has_uploads = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hand_in'").fetchone()
        if has_uploads:  # learners' photos and recordings (migration 5)
            blobs |= {row[0] for row in connection.execute(
                "SELECT DISTINCT upload_sha256 FROM hand_in WHERE upload_sha256 IS NOT NULL")}
        return blobs
    finally:
        connection.close()


def _count(database: Path, table: str) -> int:
    connection = sqlite3.connect(database)
    try:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        connection.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_backup(folder: Path) -> dict:
    """Check a backup folder: manifest, database hash and integrity, every blob present and intact."""
    folder = Path(folder)
    try:
        info = json.loads((folder / "backup.json").read_text())
    except (OSError, ValueError):
        raise BackupError(f"{folder.name} is not a Lantern backup (backup.json is missing or damaged).") from None
    if info.get("format") != FORMAT:
        raise BackupError(f"{folder.name} was made by an unknown version of Lantern.")
    if _sha256(folder / "lantern.db") != info["database_sha256"]:
        raise BackupError(f"{folder.name}: the database copy is damaged (its checksum does not match).")
    connection = sqlite3.connect(f"file:{folder / 'lantern.db'}?mode=ro", uri=True)
    try:
        if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{folder.name}: the database copy failed its integrity check.")
    finally:
        connection.close()
    blobs = BlobStore(folder.parent / "blobs")
    for digest in info["blobs"]:
        if not blobs.has(digest) or _sha256(blobs.path_for(digest)) != digest:
            raise BackupError(f"{folder.name}: the file {digest[:12]}… is missing or damaged on the stick.")
    return info


def restore_backup(folder: Path, data_dir: Path) -> dict:
    """Replace a data folder's database with a verified backup (the old one is kept aside)."""
    folder, data_dir = Path(folder), Path(data_dir)
    info = verify_backup(folder)
    store, source = BlobStore(data_dir / "blobs"), BlobStore(folder.parent / "blobs")
    for digest in info["blobs"]:
        if not store.has(digest):
            store.put_file(source.path_for(digest), digest)
    current = data_dir / "lantern.db"
    if current.exists():
        copy_database(current, data_dir / f"lantern.db.before-restore-{utcnow():%Y%m%d-%H%M%S}")
    put_database_back(folder / "lantern.db", current)
    return info


def last_backup(data_dir: Path) -> dict | None:
    """When and where the last backup went, if any."""
    try:
        return json.loads((Path(data_dir) / "last_backup.json").read_text())
    except (OSError, ValueError):
        return None

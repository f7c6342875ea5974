"""The automatic daily backup inside `lantern serve`: when a writable USB stick with room is plugged
in and no backup was made today, write a verified one to `<stick>/lantern-backups/<school>-<date>/`
and keep the newest KEEP there.

It runs on its own low-priority thread (nice 10), looks once an hour, and shares one lock with the
USB page's backup button, so there is never more than one backup at a time and serving goes first.
The last backup (automatic or not) is what the device status page shows.
"""
import logging
import os
import threading
from datetime import datetime
from pathlib import Path

from server.device.backup import last_backup
from server.db import database
from server.errors import LanternError
from server.models.base import utcnow
from server.device.usb_export import (BACKUP_FOLDER, DEFAULT_RESERVE, backup_space_needed, backup_to_drive, find_drives,
                               prune_backups)
from server.people.school import the_school
from server.device.usb_export import slug

log = logging.getLogger(__name__)
KEEP = 7
CHECK_EVERY = 3600.0  # seconds between looks for a stick
FIRST_LOOK = 600.0  # not while the server is starting up


class DailyBackup(threading.Thread):
    """Backs up to a USB stick once a day when one is present."""

    def __init__(self, config: dict, keep: int = KEEP, clock=utcnow, every: float = CHECK_EVERY):
        super().__init__(name="lantern-daily-backup", daemon=True)
        self.config, self.keep, self.clock, self.every = config, keep, clock, every
        self.stopping = threading.Event()

    def run(self) -> None:
        """Look now and then until stopped, at low CPU priority."""
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # Linux: this thread only
        except (AttributeError, OSError):
            pass
        if self.stopping.wait(FIRST_LOOK):
            return
        while not self.stopping.is_set():
            try:
                self.try_once()
            except Exception:  # never let the thread die; say so in the log
                log.exception("the daily backup failed")
            self.stopping.wait(self.every)

    def stop(self) -> None:
        """Ask the thread to finish after the current look."""
        self.stopping.set()

    def try_once(self) -> str:
        """One look: back up if due and possible; return what happened, in words (also logged)."""
        outcome = self._try()
        log.info("daily backup: %s", outcome)
        return outcome

    def _try(self) -> str:
        data_dir = Path(self.config["DATA_DIR"])
        if Path(self.config["DATABASE"]) != data_dir / "lantern.db":
            return "skipped: automatic backups are for a server with its database in its data folder"
        now = self.clock()
        if _backed_up_on(data_dir, now):
            return "already backed up today"
        reserve = self.config.get("USB_RESERVE_BYTES", DEFAULT_RESERVE)
        drive = self._a_stick_with_room(data_dir, reserve)
        if drive is None:
            return "no writable USB stick with enough room"

        with database.connection_context():
            school = the_school()
        name = school.name if school else "lantern"

        try:
            saved = backup_to_drive(data_dir, drive, self.config["USB_ROOTS"], name, now, reserve,
                                    name=f"{slug(name)}-{now:%Y-%m-%d}")
        except (LanternError, OSError) as err:
            return f"failed: {getattr(err, 'message', err)}"
        removed = prune_backups(drive / BACKUP_FOLDER, name, self.keep)
        return f"saved {saved.path} ({saved.size_bytes} bytes); removed {len(removed)} old"

    def _a_stick_with_room(self, data_dir: Path, reserve: int) -> Path | None:
        for drive in find_drives(self.config["USB_ROOTS"]):
            if not drive.writable:
                continue
            try:
                needed = backup_space_needed(data_dir, drive.path / BACKUP_FOLDER)
            except OSError:
                continue
            if drive.free_bytes - needed >= reserve:
                return drive.path
        return None


def _backed_up_on(data_dir: Path, now: datetime) -> bool:
    last = last_backup(data_dir)
    return bool(last) and str(last.get("at", "")).startswith(f"{now:%Y%m%d}")

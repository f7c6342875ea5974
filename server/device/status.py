"""The device's health in plain words: disk, memory, uptime, activity, and its LAN address."""
import shutil
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from server.device.backup import last_backup
from server.device.workers import sibling_pids
from server.models import Event, Outbox, PackVersion, SyncState
from server.models.base import utcnow

LOW_DISK_FRACTION = 0.10
LOW_DISK_BYTES = 500 * 1024**2
EARLIEST_PLAUSIBLE = datetime(2025, 1, 1)
BACKUP_WARN_DAYS = 7


@dataclass(frozen=True)
class DeviceStatus:
    disk_free: int
    disk_total: int
    memory_total: int | None
    memory_available: int | None
    process_rss: int | None
    uptime_seconds: float | None
    learners_active: int
    packs_installed: int
    clock: datetime
    address: str
    last_backup: datetime | None = None
    sync: dict = field(default_factory=dict)  # last_push, last_error, pending, paired
    warnings: list[str] = field(default_factory=list)
    workers: int = 1  # processes serving (`lantern serve --workers`); process_rss is all of them together


def device_status(data_dir: Path) -> DeviceStatus:
    """Gather the status figures and the warnings a coordinator should act on."""
    pids = sibling_pids()
    disk = shutil.disk_usage(data_dir)
    meminfo = _meminfo()
    now = utcnow()
    active = (Event.select(Event.learner_id).where(Event.recorded_at >= now - timedelta(minutes=15))
              .distinct().count())
    newest = Event.select(Event.recorded_at).order_by(Event.recorded_at.desc()).first()
    backup = last_backup(data_dir)
    status = DeviceStatus(
        disk.free, disk.total, meminfo.get("MemTotal"), meminfo.get("MemAvailable"), _rss_of(pids),
        _uptime(), active, PackVersion.select().where(PackVersion.is_active).count(), now, lan_address(),
        datetime.strptime(backup["at"], "%Y%m%d-%H%M%S") if backup else None, _sync_state(), workers=len(pids))
    status.warnings.extend(_warnings(status, newest.recorded_at if newest else None))
    return status


def _warnings(status: DeviceStatus, newest_event: datetime | None) -> list[str]:
    warnings = []
    if status.disk_free < max(LOW_DISK_BYTES, status.disk_total * LOW_DISK_FRACTION):
        warnings.append(f"The storage is nearly full: {status.disk_free // 1024**2} MB free. "
                        "Remove old packs or copy backups off the device.")
    if status.clock < EARLIEST_PLAUSIBLE or (newest_event and status.clock < newest_event - timedelta(minutes=5)):
        warnings.append("The clock looks wrong. Set the date and time, or connect to the internet once, "
                        "so that answers and reviews get the right dates.")
    if status.last_backup is None:
        warnings.append("No backup has been made on this device yet. Plug in a USB stick and make one.")
    elif status.clock - status.last_backup > timedelta(days=BACKUP_WARN_DAYS):
        days = (status.clock - status.last_backup).days
        warnings.append(f"The last backup is {days} days old. Plug in a USB stick and make a new one.")
    return warnings


def _sync_state() -> dict:
    """What the admin page says about sync: paired or not, last success, last error, waiting events."""
    state = {row.key: row.value for row in SyncState.select().where(
        SyncState.key.in_(["hub_url", "hub_device_id", "last_push", "last_error", "refused_events"]))}
    return {"paired": bool(state.get("hub_device_id")), "hub": state.get("hub_url"),
            "last_push": state.get("last_push"), "last_error": state.get("last_error"),
            "refused": (state.get("refused_events") or {}).get("count", 0),
            "pending": Outbox.select().count()}


def _meminfo() -> dict[str, int]:
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[name] = int(parts[0]) * 1024
    return values


def _rss_of(pids: list[int]) -> int | None:
    """Resident memory of these processes together (the workers of this server)."""
    total = None
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total = (total or 0) + int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def _uptime() -> float | None:
    try:
        return float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def lan_address() -> str:
    """The address phones on the LAN should use (the one the default route leaves from)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))  # UDP connect sends no packet; it only picks a route
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"

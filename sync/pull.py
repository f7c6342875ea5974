"""School side of the pull half of sync, and the whole pass (`lantern sync run`, the agent).

One pass: push events, exchange roster records (send what changed here, apply what changed
elsewhere, last-writer-wins), then fetch the pack catalogue and download what is missing. Each
step is idempotent and resumable; a failure in one step is reported in plain words and the
next pass starts over from what was acknowledged.
"""
from dataclasses import dataclass, field
from pathlib import Path

from server.db import database
from server.errors import SyncError
from server.identity import device_key
from server.models import SyncLog
from server.models.base import utcnow
from server.content.packs.install import Library
from server.content.packs.publishers import replace_hub_keys
from sync import protocol, records
from sync.client import _reply_message, _signed_headers, push_pending
from sync.packs import PackPull, pull_packs
from sync.uploads import push_uploads
from sync.state import get_state, set_state

PAGE = 500
MAX_PAGES = 1000  # a bound on one pass (500,000 records)


@dataclass
class RosterReport:
    sent: int = 0
    applied: int = 0
    bytes: int = 0


@dataclass
class PassReport:
    pushed: int = 0
    roster: RosterReport = field(default_factory=RosterReport)
    packs: PackPull = field(default_factory=PackPull)
    uploads: int = 0  # learners' photos and recordings sent
    bytes: int = 0

    @property
    def summary(self) -> str:
        text = (f"Sent {self.pushed} events, {self.uploads} uploads and {self.roster.sent} roster changes; applied "
                f"{self.roster.applied} roster changes from the hub")
        if self.packs.imported:
            text += "; imported " + ", ".join(self.packs.imported)
        if self.packs.waiting:
            text += "; still downloading " + ", ".join(self.packs.waiting)
        if self.packs.refused:
            text += "; could not import (not downloaded again) " + ", ".join(self.packs.refused)
        return text + "."


def _paired() -> tuple[str, str]:
    device, school = get_state("hub_device_id"), get_state("hub_school_id")
    if device is None or school is None:
        raise SyncError("This server is not paired with a hub yet: run `lantern sync pair HUB_URL CODE`.")
    return device, school


def _post(transport, key, device: str, path: str, message: dict, expected: str) -> tuple[dict, int]:
    body = protocol.encode(message)
    reply = transport.post(path, body, _signed_headers(key, device, path, body))
    return _reply_message(reply, expected), len(body) + len(reply.body)


def exchange_roster(transport, data_dir: Path) -> RosterReport:
    """Send the records changed here and apply the hub's changes since our cursor."""
    device, school = _paired()
    key = device_key(data_dir)
    report = RosterReport()
    outgoing = records.changed_records()
    for _ in range(MAX_PAGES):
        batch, outgoing = outgoing[:PAGE], outgoing[PAGE:]
        since = get_state("roster_cursor", 0)
        reply, spent = _post(transport, key, device, "/sync/v1/roster",
                             {"type": "roster", "school_id": school, "since": since, "records": batch,
                              "admins": records.local_admins()},
                             "roster-changes")
        report.bytes += spent
        through = reply.get("through")
        if not isinstance(through, int) or through < since:
            raise SyncError("The hub's roster answer has a malformed cursor.")
        with database.atomic():
            records.mark_sent(batch)
            report.applied += records.apply_records(reply.get("records"))
            set_state("roster_cursor", through)
        report.sent += len(batch)
        if not outgoing and not reply.get("more"):
            break
    with database.atomic():
        set_state("last_roster", {"at": utcnow().isoformat(timespec="seconds"), "sent": report.sent,
                                  "applied": report.applied})
        SyncLog.create(direction="roster", ok=1, events=report.applied, bytes=report.bytes,
                       message=f"{report.sent} sent, {report.applied} applied")
    return report


def fetch_packs(transport, data_dir: Path, library: Library, budget: int | None = None) -> PackPull:
    """Ask the hub's catalogue and download (resuming) and import the packs this school lacks."""
    device, school = _paired()
    key = device_key(data_dir)
    reply, spent = _post(transport, key, device, "/sync/v1/catalogue",
                         {"type": "catalogue-request", "school_id": school}, "catalogue")

    def headers_for(path: str) -> dict:
        return _signed_headers(key, device, path, b"", method="GET")

    if "publishers" in reply:  # the hub's key (it signs what it offers) and the keys it trusts
        replace_hub_keys(reply["publishers"])
    result = pull_packs(transport, data_dir, reply.get("packs"), headers_for, library, budget)
    result.downloaded_bytes += spent
    if result.imported or result.waiting or result.refused:
        SyncLog.create(direction="packs", ok=0 if result.refused else 1, bytes=result.downloaded_bytes,
                       message=("imported " + ", ".join(result.imported) + " " if result.imported else "")
                       + ("waiting " + ", ".join(result.waiting) + " " if result.waiting else "")
                       + ("refused " + "; ".join(result.refused) if result.refused else ""))
    return result


def sync_pass(transport, data_dir: Path, library: Library, byte_budget: int | None = None) -> PassReport:
    """One whole pass: push events, exchange the roster, pull packs (within the byte budget)."""
    report = PassReport()
    pushed = push_pending(transport, data_dir, byte_budget=byte_budget)
    report.pushed, report.bytes = pushed.sent, pushed.bytes
    if pushed.stopped_by_budget:
        return report
    sent = push_uploads(transport, data_dir, None if byte_budget is None else max(0, byte_budget - report.bytes))
    report.uploads, report.bytes = sent.sent, report.bytes + sent.bytes
    if sent.stopped and byte_budget is not None and report.bytes >= byte_budget:
        return report
    report.roster = exchange_roster(transport, data_dir)
    report.bytes += report.roster.bytes
    left = None if byte_budget is None else max(0, byte_budget - report.bytes)
    if left != 0:
        report.packs = fetch_packs(transport, data_dir, library, left)
        report.bytes += report.packs.downloaded_bytes
    return report

"""Hub side of roster sync: merge a school's records last-writer-wins, hand out changes since a cursor.

The hub is the meeting point: each device of a school sends the records it changed and pulls
the changes the hub holds (made by the school's other devices, or at the hub). Every accepted
change gets the school's next sequence number, taken from a per-school counter row that is
updated (and so locked) inside the transaction: concurrent hub processes never hand out the
same number, and a cursor never skips a change.

Roster authority: each device declares its school's admins (ids and usernames) with every roster message.
A record that makes a learner staff or changes class membership (a learner's class, a coach's classes) is
taken only when its `set_by` names an admin that the sending device
declared; otherwise it is refused by id in the answer and the hub's copy stays. Each stored version keeps
the device that sent it, so revoking a device lists what it changed (`changes_by_device`).
"""
import logging

from server.db import database
from server.errors import Forbidden, NotFound, SyncError
from server.i18n import N_
from server.models import HubDevice
from server.models.base import utcnow
from server.models.sync_pull import HubAuthority, HubRecord, HubRecordCounter
from sync.records import check_records, lww_key

log = logging.getLogger(__name__)

PAGE = 500


def merge_records(school_id: str, records: list[dict], device_id: str | None = None,
                  refused: list | None = None) -> int:
    """Store the records that are newer than the hub's copy; return how many were taken. Role and
    membership changes without a declared admin's authority are left out (their ids go to `refused`)."""
    records = check_records(records)
    if not records:
        return 0
    records = _with_authority(school_id, records, device_id, refused if refused is not None else [])
    with database.atomic():
        current = {}
        for kind in {r["kind"] for r in records}:
            ids = [r["id"] for r in records if r["kind"] == kind]
            for start in range(0, len(ids), 500):
                for row in HubRecord.select().where((HubRecord.school_id == school_id) & (HubRecord.kind == kind)
                                                    & HubRecord.id.in_(ids[start:start + 500])):
                    current[(kind, row.id)] = {"version": row.version, "updated_at": row.updated_at,
                                               "updated_by": row.updated_by}
        winners = {}
        for record in records:  # within one message too, the newest version of a record wins
            key = (record["kind"], record["id"])
            best = winners.get(key) or current.get(key)
            if best is None or lww_key(record) > lww_key(best):
                winners[key] = record
        if not winners:
            return 0
        last = _take_seqs(school_id, len(winners))
        rows = [{"school_id": school_id, "kind": r["kind"], "id": r["id"], "seq": last - len(winners) + n + 1,
                 "version": r["version"], "updated_at": r["updated_at"], "updated_by": r["updated_by"],
                 "deleted": r["deleted"], "data": r["data"], "sent_by": device_id}
                for n, r in enumerate(winners.values())]
        for (kind, record_id) in winners:
            if (kind, record_id) in current:
                HubRecord.delete().where((HubRecord.school_id == school_id) & (HubRecord.kind == kind)
                                         & (HubRecord.id == record_id)).execute()
        for start in range(0, len(rows), 200):
            HubRecord.insert_many(rows[start:start + 200]).execute()
    return len(rows)


def _needs_admin(old: dict | None, new: dict) -> bool:
    """True when an account change makes a learner staff or changes which class(es) someone belongs to.

    A new account is not such a change: it arrives on other servers without a password or PIN (hashes never
    travel), so nobody can sign in with it there; what matters is an existing learner, who has a PIN."""
    if old is None:
        return False
    if new.get("role") != "learner" and old.get("role") == "learner":
        return True
    if new.get("role") == "learner":
        return old.get("classroom_id") != new.get("classroom_id")
    return sorted(old.get("classes") or []) != sorted(new.get("classes") or [])


def _with_authority(school_id: str, records: list[dict], device_id: str | None, refused: list) -> list[dict]:
    """The records, less account changes that need an admin and name none the device declared."""
    if device_id is None:
        return records
    admins = {a.admin_id for a in HubAuthority.select().where(HubAuthority.device_id == device_id)}
    ids = [r["id"] for r in records if r["kind"] == "account"]
    old = {row.id: row.data for start in range(0, len(ids), 500) for row in HubRecord.select().where(
        (HubRecord.school_id == school_id) & (HubRecord.kind == "account") & HubRecord.id.in_(ids[start:start + 500]))}
    kept = []
    for record in records:
        if (record["kind"] == "account" and _needs_admin(old.get(record["id"]), record["data"])
                and record["data"].get("set_by") not in admins):
            log.warning("device %s: refused a role or class change of %s that no declared admin made",
                        device_id, record["id"])
            refused.append(record["id"])
            continue
        kept.append(record)
    return kept


def declare_admins(device, admins: object) -> int:
    """Remember the admins a device says its school has (at most 50; malformed entries are skipped)."""
    good = [a for a in (admins if isinstance(admins, list) else [])[:50]
            if isinstance(a, dict) and isinstance(a.get("id"), str) and 0 < len(a["id"]) <= 36
            and isinstance(a.get("username"), str) and 0 < len(a["username"]) <= 64]
    with database.atomic():
        for admin in good:
            HubAuthority.insert(device_id=device.id, admin_id=admin["id"], school_id=device.school_id,
                                username=admin["username"], seen_at=utcnow()).on_conflict(
                conflict_target=[HubAuthority.device_id, HubAuthority.admin_id],
                update={HubAuthority.username: admin["username"], HubAuthority.seen_at: utcnow()}).execute()
    return len(good)


def changes_by_device(device_id: str) -> list[HubRecord]:
    """The roster records whose standing version a device sent (what to review when it is revoked)."""
    return list(HubRecord.select().where(HubRecord.sent_by == device_id).order_by(HubRecord.kind, HubRecord.seq))


def device_review(device_id: str) -> tuple[HubDevice, list[HubRecord], list[HubAuthority]]:
    """A device, the records it changed that still stand, and the admins it declared; NotFound if unknown."""
    device = HubDevice.get_or_none(HubDevice.id == device_id)
    if device is None:
        raise NotFound(N_("No such device."))
    admins = list(HubAuthority.select().where(HubAuthority.device_id == device_id).order_by(HubAuthority.username))
    return device, changes_by_device(device_id), admins


def _take_seqs(school_id: str, count: int) -> int:
    """Reserve `count` sequence numbers for a school; return the last one."""
    HubRecordCounter.insert(school_id=school_id, seq=0).on_conflict_ignore().execute()
    HubRecordCounter.update(seq=HubRecordCounter.seq + count).where(HubRecordCounter.school_id == school_id).execute()
    return HubRecordCounter.get(HubRecordCounter.school_id == school_id).seq


def changes_since(school_id: str, since: int, limit: int = PAGE) -> dict:
    """The school's records changed after `since`, oldest first, one page at a time."""
    rows = list(HubRecord.select().where((HubRecord.school_id == school_id) & (HubRecord.seq > since))
                .order_by(HubRecord.seq).limit(limit + 1))
    more, rows = len(rows) > limit, rows[:limit]
    return {"records": [to_wire(r) for r in rows], "through": rows[-1].seq if rows else since, "more": more}


def to_wire(row: HubRecord) -> dict:
    """A stored record as it travels."""
    return {"kind": row.kind, "id": row.id, "version": row.version, "updated_at": row.updated_at,
            "updated_by": row.updated_by, "deleted": bool(row.deleted), "data": row.data}


def answer_roster(device, message: dict) -> dict:
    """A device's roster message: take its changes, answer with the changes after its cursor."""
    if message.get("school_id") != device.school_id:
        raise Forbidden("This message names another school than the device's own.")
    since = message.get("since")
    if type(since) is not int or not 0 <= since < 2**63:  # a 64-bit column; not a bool
        raise SyncError("since must be a whole number")
    declare_admins(device, message.get("admins"))
    refused: list = []
    taken = merge_records(device.school_id, message.get("records", []), device.id, refused)
    return {"type": "roster-changes", "school_id": device.school_id, "taken": taken, "refused": refused[:500],
            **changes_since(device.school_id, since)}

"""Hub side of roster sync: merge a school's records last-writer-wins, hand out changes since a cursor.

The hub is the meeting point: each device of a school sends the records it changed and pulls
the changes the hub holds (made by the school's other devices, or at the hub). Every accepted
change gets the school's next sequence number, taken from a per-school counter row that is
updated (and so locked) inside the transaction: concurrent hub processes never hand out the
same number, and a cursor never skips a change.
"""
from server.db import database
from server.errors import Forbidden, SyncError
from server.models.sync_pull import HubRecord, HubRecordCounter
from sync.records import check_records, lww_key

PAGE = 500


def merge_records(school_id: str, records: list[dict]) -> int:
    """Store the records that are newer than the hub's copy; return how many were taken."""
    records = check_records(records)
    if not records:
        return 0
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
                 "deleted": r["deleted"], "data": r["data"]} for n, r in enumerate(winners.values())]
        for (kind, record_id) in winners:
            if (kind, record_id) in current:
                HubRecord.delete().where((HubRecord.school_id == school_id) & (HubRecord.kind == kind)
                                         & (HubRecord.id == record_id)).execute()
        for start in range(0, len(rows), 200):
            HubRecord.insert_many(rows[start:start + 200]).execute()
    return len(rows)


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
    taken = merge_records(device.school_id, message.get("records", []))
    return {"type": "roster-changes", "school_id": device.school_id, "taken": taken,
            **changes_since(device.school_id, since)}

"""Roster and assignment records on the wire, and last-writer-wins on the school.

A record travels as `{"kind", "id", "version", "updated_at", "updated_by", "deleted", "data"}`.
Of two versions of the same record the one with the greater `(version, updated_at, updated_by)`
wins (the counter first, then the time, then the device id as a tiebreak), so applying a change
twice or out of order changes nothing. Deletion is a tombstone (`deleted: true`), never a row
removal, and a record never touches learner events. Password and PIN hashes never travel.

Roster authority: an account record carries `set_by`, the id of the admin whose action (in this device's
audit log) last set the account's role or class. The hub takes a change that makes a learner staff, or moves
someone between classes, only when `set_by` names an admin the sending device declared (sync/roster_hub.py);
a school applying a pulled record refuses to make a learner a coach without one.
"""
import hashlib
import json
import logging
from datetime import datetime

from server.db import database
from server.errors import SyncError
from server.identity import device_id
from server.models import Account, Assignment, AuditEntry, Classroom, CoachClass, LearnerGroup, School
from server.models.base import utcnow
from server.models.sync_pull import SentRecord

log = logging.getLogger(__name__)
KINDS = ("class", "account", "group", "assignment")  # also the order in which changes are applied
MAX_RECORDS = 2000
MAX_DATA = 16384
ROLES = ("learner", "coach")
AUTHORITY_ACTIONS = ("create_account", "import_accounts", "move_learner", "add_coach", "remove_coach")


def stamp(moment: datetime | None) -> str:
    """A time as fixed-width ISO-8601 text (so text order is time order)."""
    return (moment or datetime(2000, 1, 1)).isoformat(timespec="microseconds")


def lww_key(record: dict) -> tuple:
    """What last-writer-wins compares: the counter, then the time, then the device id."""
    return (record["version"], record["updated_at"], record["updated_by"])


def check_records(records: object) -> list[dict]:
    """Validate the envelope of wire records (the hub stores them; the school checks data too)."""
    if not isinstance(records, list) or len(records) > MAX_RECORDS:
        raise SyncError(f"records must be a list of at most {MAX_RECORDS}")
    checked = []
    for n, record in enumerate(records):
        if not isinstance(record, dict) or record.get("kind") not in KINDS:
            raise SyncError(f"record {n}: unknown kind")
        if not isinstance(record.get("id"), str) or len(record["id"]) > 36 or not _storable(record["id"]):
            raise SyncError(f"record {n}: id is missing or malformed")
        version = record.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or not 0 < version < 2**31:
            raise SyncError(f"record {n}: version must be a positive whole number")
        try:
            updated_at = stamp(datetime.fromisoformat(str(record.get("updated_at"))).replace(tzinfo=None))
        except ValueError:
            raise SyncError(f"record {n}: updated_at is not a date") from None
        if (not isinstance(record.get("updated_by"), str) or len(record["updated_by"]) > 64
                or not (record["updated_by"] == "" or _storable(record["updated_by"]))):
            raise SyncError(f"record {n}: updated_by is malformed")
        if not isinstance(record.get("deleted"), bool):
            raise SyncError(f"record {n}: deleted must be true or false")
        data = record.get("data")
        if not isinstance(data, dict) or not _storable(_dumped(data)) or len(_dumped(data)) > MAX_DATA:
            raise SyncError(f"record {n}: data must be an object of at most {MAX_DATA} bytes")
        checked.append({"kind": record["kind"], "id": record["id"], "version": version, "updated_at": updated_at,
                        "updated_by": record["updated_by"], "deleted": record["deleted"], "data": data})
        try:
            _check_data(checked[-1])
        except SyncError as err:
            raise SyncError(f"record {n}: {err.message}") from None
    return checked


def _dumped(data: dict) -> str:
    """JSON text as stored ("" when it cannot be: NaN, absurd nesting)."""
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (ValueError, RecursionError):
        return ""


def _storable(text: str) -> bool:
    """Text any database takes: non-empty, valid UTF-8 (no lone surrogates), no NUL."""
    try:
        return bool(text) and "\x00" not in text and bool(text.encode())
    except UnicodeEncodeError:
        return False


def digest(record: dict) -> str:
    """What a record says (not who said it when): changes here mean it must travel."""
    return hashlib.sha256(json.dumps([record["deleted"], record["data"]], sort_keys=True).encode()).hexdigest()


# --- from the school's tables to the wire ------------------------------------------------------

def _versioned(kind: str, row, data: dict) -> dict:
    return {"kind": kind, "id": row.id, "version": row.version, "updated_at": stamp(row.updated_at),
            "updated_by": row.updated_by or "", "deleted": bool(row.deleted), "data": data}


def local_records() -> list[dict]:
    """Every roster and assignment record of this school, as it would travel."""
    records = [_versioned("class", c, {"name": c.name}) for c in Classroom.select()]
    classes: dict[str, list[str]] = {}
    for link in CoachClass.select(CoachClass.coach, CoachClass.classroom):
        classes.setdefault(link.coach_id, []).append(link.classroom_id)
    authority = _authorities()
    for a in Account.select().where(Account.role.in_(ROLES)):
        # No profile: a learner's language, interests and accessibility needs stay on this server (privacy
        # by default; the hub needs none of it for results).
        data = {"username": a.username, "display_name": a.display_name, "role": a.role,
                "classroom_id": a.classroom_id}
        if authority.get(a.id) or authority.get(a.username):
            data["set_by"] = authority.get(a.id) or authority[a.username]
        if a.role == "coach":
            data["classes"] = sorted(classes.get(a.id, []))
        records.append(_versioned("account", a, data))
    records += [_versioned("group", g, {"classroom_id": g.classroom_id, "name": g.name,
                                        "members": list(g.members or [])}) for g in LearnerGroup.select()]
    for w in Assignment.select():
        records.append({"kind": "assignment", "id": w.id, "version": w.version, "updated_at": stamp(w.created_at),
                        "updated_by": w.created_by, "deleted": bool(w.deleted),
                        "data": {"classroom_id": w.classroom_id, "target": w.target, "pack_id": w.pack_id,
                                 "kind": w.kind, "ref_id": w.ref_id, "title": w.title,
                                 "due": stamp(w.due) if w.due else None, "created_by": w.created_by,
                                 "created_at": stamp(w.created_at)}})
    return records


def _authorities() -> dict[str, str]:
    """Account id (or, for spreadsheet imports, username) -> the admin whose audited action last set its
    role or class here."""
    out: dict[str, str] = {}
    admins = [a.id for a in Account.select(Account.id).where(Account.role == "admin").order_by(Account.id)]
    school = School.select().where(~School.deleted).first()
    if school is not None and school.is_demo and admins:  # the demo made its own coach: its admin stands for it
        out.update({a.id: admins[0] for a in Account.select(Account.id).where(Account.role == "coach")})
    for entry in AuditEntry.select().where(AuditEntry.action.in_(AUTHORITY_ACTIONS)).order_by(AuditEntry.at):
        if entry.actor not in admins:
            continue
        detail = entry.detail or {}
        for key in [detail.get("account_id")] + list(detail.get("usernames") or []):
            if isinstance(key, str):
                out[key] = entry.actor
    return out


def local_admins() -> list[dict]:
    """This school's admins as a device declares them to the hub (ids and usernames only)."""
    return [{"id": a.id, "username": a.username}
            for a in Account.select().where((Account.role == "admin") & ~Account.deleted).limit(50)]


def changed_records() -> list[dict]:
    """Records the hub does not hold in this form. An edit made without a version bump gets one
    now, so it wins over the copy the hub already has."""
    sent = {(s.kind, s.id): s for s in SentRecord.select()}
    out, bumps = [], []
    for record in local_records():
        try:
            _check_data(record)
        except SyncError as err:  # sending it would get the whole batch refused: keep it here, say why
            log.warning("not sending %s %s: %s", record["kind"], record["id"], err.message)
            continue
        known = sent.get((record["kind"], record["id"]))
        if known is not None and known.version == record["version"] and known.digest == digest(record):
            continue
        if known is not None and record["version"] <= known.version:
            bumps.append(record)
            continue
        out.append(record)
    if bumps:
        me, now = device_id(), utcnow()
        with database.atomic():
            for record in bumps:
                record["version"] = sent[(record["kind"], record["id"])].version + 1
                _bump(record, me, now)
        out += bumps
    return out


def _bump(record: dict, me: str, now: datetime) -> None:
    model = _MODELS[record["kind"]]
    if model is Assignment:
        Assignment.update(version=record["version"]).where(Assignment.id == record["id"]).execute()
        return
    model.update(version=record["version"], updated_at=now, updated_by=me).where(model.id == record["id"]).execute()
    record["updated_at"], record["updated_by"] = stamp(now), me


def mark_sent(records: list[dict]) -> None:
    """Remember that the hub holds these versions."""
    for start in range(0, len(records), 200):
        SentRecord.insert_many([{"kind": r["kind"], "id": r["id"], "version": r["version"], "digest": digest(r)}
                                for r in records[start:start + 200]]).on_conflict_replace().execute()


# --- from the wire to the school's tables ------------------------------------------------------

_MODELS = {"class": Classroom, "account": Account, "group": LearnerGroup, "assignment": Assignment}


def apply_records(records: list[dict]) -> int:
    """Apply pulled records last-writer-wins, in one transaction; return how many changed something.

    Call inside a transaction. A record for an admin account, or naming a class this school does
    not have, is skipped (and logged by the caller's count) rather than guessed at."""
    records = sorted(check_records(records), key=lambda r: KINDS.index(r["kind"]))
    school = School.select().where(~School.deleted).first()
    if school is None:
        raise SyncError("This server has no school yet; finish the setup before syncing.")
    applied, held = set(), []
    for record in records:
        row = _MODELS[record["kind"]].get_or_none(_MODELS[record["kind"]].id == record["id"])
        if row is not None and lww_key(_current(record["kind"], row)) >= lww_key(record):
            if lww_key(_current(record["kind"], row)) == lww_key(record):
                held.append(record)  # the hub holds our version (an edit since would differ in digest)
            continue  # what we have is as new or newer: a repeat, or an old change arriving late
        if _APPLY[record["kind"]](record, row, school):
            applied.add((record["kind"], record["id"]))
    mark_sent(held)
    if applied:  # the hub holds these versions; remember them as they read here
        mark_sent([r for r in local_records() if (r["kind"], r["id"]) in applied])
    return len(applied)


def _current(kind: str, row) -> dict:
    if kind == "assignment":
        return {"version": row.version, "updated_at": stamp(row.created_at), "updated_by": row.created_by}
    return {"version": row.version, "updated_at": stamp(row.updated_at), "updated_by": row.updated_by or ""}


def _text(data: dict, key: str, limit: int, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not (0 < len(value) <= limit):
        raise SyncError(f"malformed {key}")
    return value


def _check_data(record: dict) -> None:
    data, kind = record["data"], record["kind"]
    if kind == "class":
        _text(data, "name", 100)
    elif kind == "account":
        _text(data, "username", 64), _text(data, "display_name", 100), _text(data, "classroom_id", 36, False)
        _text(data, "set_by", 36, False)
        if data.get("role") not in ROLES or not isinstance(data.get("profile", {}), dict):
            raise SyncError("an account must be a learner or a coach, with a profile object")
        if not isinstance(data.get("classes", []), list):
            raise SyncError("malformed class list")
    elif kind == "group":
        _text(data, "classroom_id", 36), _text(data, "name", 100)
        if not isinstance(data.get("members"), list):
            raise SyncError("malformed member list")
    else:
        for key, limit in (("classroom_id", 36), ("pack_id", 64), ("kind", 16), ("ref_id", 80), ("title", 200),
                           ("created_by", 36)):
            _text(data, key, limit)
        if not isinstance(data.get("target"), dict):
            raise SyncError("malformed assignment target")
        try:
            for key in ("due", "created_at"):
                if data.get(key) is not None:
                    datetime.fromisoformat(str(data[key]))
        except ValueError:
            raise SyncError("malformed assignment date") from None


def _meta(record: dict) -> dict:
    return {"version": record["version"], "updated_at": datetime.fromisoformat(record["updated_at"]),
            "updated_by": record["updated_by"], "deleted": record["deleted"]}


def _apply_class(record, row, school) -> bool:
    fields = {"name": record["data"]["name"], **_meta(record)}
    if row is None:
        Classroom.create(id=record["id"], school=school, **fields)
    else:
        Classroom.update(**fields).where(Classroom.id == row.id).execute()
    return True


def _apply_account(record, row, school) -> bool:
    data = record["data"]
    if row is not None and row.role not in ROLES:
        return False  # a pulled change never turns an admin into someone else
    if data["role"] != "learner" and row is not None and row.role == "learner" and not data.get("set_by"):
        log.warning("refused a pulled change making %s staff: no admin made it", record["id"])
        return False  # a learner becomes staff only by an admin's action
    classroom = data.get("classroom_id")
    if classroom and not Classroom.select().where(Classroom.id == classroom).exists():
        classroom = None
    username = data["username"]
    if Account.select().where((Account.username == username) & (Account.id != record["id"])).exists():
        username = f"{username[:56]}-{record['id'][:6]}"  # two people chose the same name on two devices
    fields = {"username": username, "display_name": data["display_name"], "role": data["role"],
              "classroom": classroom, **_meta(record)}
    if "profile" in data:  # an older device may still send one; a record without keeps the profile here
        fields["profile"] = data.get("profile") or {}
    if row is None:
        Account.create(id=record["id"], school=school, password_hash=None, **fields)
    else:
        Account.update(**fields).where(Account.id == row.id).execute()
    if data["role"] == "coach":
        CoachClass.delete().where(CoachClass.coach == record["id"]).execute()
        known = {c.id for c in Classroom.select(Classroom.id).where(Classroom.id.in_(data.get("classes", [])[:500]))}
        for class_id in sorted(known):
            CoachClass.create(coach=record["id"], classroom=class_id)
    return True


def _apply_group(record, row, school) -> bool:
    data = record["data"]
    if not Classroom.select().where(Classroom.id == data["classroom_id"]).exists():
        return False
    fields = {"classroom": data["classroom_id"], "name": data["name"],
              "members": [m for m in data["members"] if isinstance(m, str)][:1000], **_meta(record)}
    if row is None:
        LearnerGroup.create(id=record["id"], **fields)
    else:
        LearnerGroup.update(**fields).where(LearnerGroup.id == row.id).execute()
    return True


def _apply_assignment(record, row, school) -> bool:
    data = record["data"]
    try:
        due = datetime.fromisoformat(data["due"]) if data.get("due") else None
        created = datetime.fromisoformat(str(data.get("created_at") or record["updated_at"]))
    except ValueError:
        raise SyncError("a pulled assignment has a malformed date") from None
    fields = {"classroom_id": data["classroom_id"], "target": data["target"], "pack_id": data["pack_id"],
              "kind": data["kind"], "ref_id": data["ref_id"], "title": data["title"], "due": due,
              "created_by": data["created_by"], "created_at": created, "version": record["version"],
              "deleted": record["deleted"]}
    if row is None:
        Assignment.create(id=record["id"], **fields)
    else:
        Assignment.update(**fields).where(Assignment.id == row.id).execute()
    return True


_APPLY = {"class": _apply_class, "account": _apply_account, "group": _apply_group, "assignment": _apply_assignment}

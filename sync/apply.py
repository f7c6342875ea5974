"""Hub side of sync: schools and pairing codes, device authentication, idempotent ingest.

Merging events is a set union keyed by (school, event id): receiving a batch twice, out of
order, or after a hub restart changes nothing. Nothing is applied from a request that fails
any check.
"""
import hashlib
import secrets
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta

from peewee import Case, IntegrityError

from server.db import database
from server.errors import Forbidden, LanternError, NotFound, SyncError
from server.models import (HubDevice, HubSchool, PairingCode, ReceivedEvent, SeenNonce, SyncLog)
from server.models.base import utcnow
from sync import protocol

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over a phone
PAIRING_DAYS = 14
CLOCK_WINDOW = timedelta(hours=48)  # school clocks drift; nonces make replays fail anyway

MAX_REFUSALS_LISTED = 100  # an acknowledgement names at most this many refused events
QUIET_DAYS = 7  # the operator's page flags a school that has not synced for this long


def register_school(name: str) -> tuple[HubSchool, str]:
    """Add a school on the hub; return it with a one-time pairing code to give its coordinator."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise SyncError("Please give the school a name.")
    with database.atomic():
        school = HubSchool.create(id=str(uuid.uuid4()), name=name)
        code = new_pairing_code(school.id)
    return school, code


def new_pairing_code(school_id: str) -> str:
    """A fresh one-time pairing code for a school (valid for two weeks)."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    PairingCode.create(code_hash=_hash(code), school_id=school_id,
                       expires_at=utcnow() + timedelta(days=PAIRING_DAYS))
    return f"{code[:5]}-{code[5:]}"


def code_hash(code: str) -> str:
    """How a pairing code is stored (and proven): SHA-256 of its normalized form."""
    return hashlib.sha256(str(code or "").replace("-", "").strip().upper().encode()).hexdigest()


_hash = code_hash


def pair_device(code: str, public_key: str, name: str, device_id: str | None = None,
                code_kept: bool = False) -> HubDevice:
    """Use a pairing code to register a device's public key; each code works once.

    `device_id` lets a USB-paired school keep the id it proposed; `code_kept` stores the code's
    hash so the return bundle can prove to the school that it comes from this hub."""
    if not isinstance(public_key, str) or len(public_key) != 64 or not _is_hex(public_key):
        raise SyncError("the device key is malformed")
    if device_id is not None and not protocol.UUID.match(str(device_id)):
        raise SyncError("the proposed device id is malformed")
    with database.atomic():
        row = PairingCode.get_or_none(PairingCode.code_hash == _hash(str(code or "")))
        if row is None or row.used_at is not None or row.expires_at < utcnow():
            raise Forbidden("This pairing code is not valid (wrong, already used or expired). "
                            "Ask the district operator for a new one.")
        row.used_at = utcnow()
        row.save()
        if device_id is not None and HubDevice.get_or_none(HubDevice.id == device_id) is not None:
            raise SyncError("this device is already paired with the hub")
        return HubDevice.create(id=device_id or str(uuid.uuid4()), school_id=row.school_id, public_key=public_key,
                                name=str(name or "school server")[:100],
                                pairing_code_hash=row.code_hash if code_kept else None)


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
        return True
    except ValueError:
        return False


def authenticate(device_id: str, timestamp: str, nonce: str, signature: str, method: str, path: str,
                 body: bytes) -> HubDevice:
    """The device behind a signed request, or Forbidden (unknown, revoked, stale, replayed, forged)."""
    device = HubDevice.get_or_none(HubDevice.id == (device_id or ""))
    if device is None or device.revoked_at is not None:
        raise Forbidden("This device is not paired with the hub, or has been revoked.")
    try:
        when = datetime.fromtimestamp(int(timestamp))
    except (TypeError, ValueError, OverflowError, OSError):
        raise Forbidden("The request has no valid timestamp.") from None
    if abs(when - datetime.now()) > CLOCK_WINDOW:
        raise Forbidden("The request's clock is more than two days off; set the school server's date.")
    if not nonce or len(nonce) > 64 or not protocol.verify(
            device.public_key, signature or "", protocol.signing_bytes(method, path, timestamp, nonce, body)):
        raise Forbidden("The request's signature is not valid.")
    try:
        with database.atomic():
            SeenNonce.create(device_id=device.id, nonce=nonce)
            forget_old_nonces()  # keeps the table bounded (indexed on seen_at, so cheap)
    except IntegrityError:
        raise Forbidden("This request was already received (a replay); it was ignored.") from None
    return device


def ingest_push(device: HubDevice, message: dict) -> dict:
    """Store a batch of events (set union by id) and return the acknowledgement.

    Events the hub cannot store are named in the acknowledgement ("refused") instead of failing the
    batch, so one bad event never holds the school's others back; the school keeps them in its log.
    """
    events, refused = protocol.sort_events(message.get("events"))
    through = message.get("through_seq")
    if type(through) is not int or not 0 <= through < 2**63:  # a 64-bit column; not a bool
        raise SyncError("through_seq must be a whole number")
    if message.get("school_id") != device.school_id:
        raise Forbidden("This batch names another school than the device's own.")
    now = utcnow()
    with database.atomic():
        ids = [event["id"] for event in events]
        known = set()
        for start in range(0, len(ids), 500):
            known.update(r.id for r in ReceivedEvent.select(ReceivedEvent.id).where(
                (ReceivedEvent.school_id == device.school_id) & ReceivedEvent.id.in_(ids[start:start + 500])))
        erased = _erased_learners(device.school_id, {e["learner_id"] for e in events})
        erased |= {e["learner_id"] for e in events if e["kind"] == "erased"}
        fresh = [{"school_id": device.school_id, **e, "received_at": now} for e in events
                 if e["id"] not in known and (e["learner_id"] not in erased or e["kind"] == "erased")]
        for start in range(0, len(fresh), 500):
            ReceivedEvent.insert_many(fresh[start:start + 500]).on_conflict_ignore().execute()
        new = len(fresh)
        for event in events:
            if event["kind"] == "erased":  # the school erased this learner: so does the hub
                ReceivedEvent.delete().where((ReceivedEvent.school_id == device.school_id)
                                             & (ReceivedEvent.learner_id == event["learner_id"])
                                             & (ReceivedEvent.kind != "erased")).execute()
            elif event["kind"] == "post_deleted":  # a learner deleted their post: its words go here too
                _blank_post(device.school_id, event)
        HubSchool.update(last_sync_at=now, events_received=HubSchool.events_received + new) \
            .where(HubSchool.id == device.school_id).execute()
        HubDevice.update(last_seen=now, acked_seq=Case(None, [(HubDevice.acked_seq < through, through)],
                                                        HubDevice.acked_seq)) \
            .where(HubDevice.id == device.id).execute()
        SyncLog.create(school_id=device.school_id, direction="push", ok=1, events=len(events),
                       message=f"{new} new of {len(events)}" + (f", {len(refused)} refused" if refused else ""))
    return {"type": "ack", "school_id": device.school_id, "through_seq": through,
            "received": len(events), "new": new, "refused": refused[:MAX_REFUSALS_LISTED],
            "refused_count": len(refused)}


def _blank_post(school_id: str, deletion: dict) -> None:
    """Remove the text of a learner's post the hub holds, when the school says they deleted it."""
    post_id = deletion["payload"].get("post_id")
    if not isinstance(post_id, str):
        return
    where = ((ReceivedEvent.school_id == school_id) & (ReceivedEvent.id == post_id)
             & (ReceivedEvent.learner_id == deletion["learner_id"]) & (ReceivedEvent.kind == "post"))
    post = ReceivedEvent.get_or_none(where)
    if post is not None and post.payload.get("body"):
        ReceivedEvent.update(payload={**post.payload, "body": ""}).where(where).execute()


def _erased_learners(school_id: str, learner_ids: set[str]) -> set[str]:
    """Learners of a school already erased on the hub (a late or repeated bundle must not revive them)."""
    if not learner_ids:
        return set()
    return {r.learner_id for r in ReceivedEvent.select(ReceivedEvent.learner_id).where(
        (ReceivedEvent.school_id == school_id) & (ReceivedEvent.kind == "erased")
        & ReceivedEvent.learner_id.in_(list(learner_ids)[:2000]))}


def revoke_device(device_id: str) -> HubDevice:
    """Stop a device from syncing (e.g. it was stolen)."""
    device = HubDevice.get_or_none(HubDevice.id == device_id)
    if device is None:
        raise NotFound("No such device.")
    device.revoked_at = utcnow()
    device.save()
    return device


def forget_old_nonces(older_than: timedelta = CLOCK_WINDOW * 2) -> int:
    """Drop nonces past the replay window (bounded storage)."""
    return SeenNonce.delete().where(SeenNonce.seen_at < utcnow() - older_than).execute()


@contextmanager
def failures_logged(device: HubDevice, direction: str):
    """Record a signed request the hub refused (after its transaction rolled back), so the operator sees
    which school's sync is failing and why; the refusal itself still goes back to the school."""
    try:
        yield
    except LanternError as err:
        SyncLog.create(school_id=device.school_id, direction=direction, ok=0, message=err.message[:500])
        raise


def latest_problems() -> dict[str, SyncLog]:
    """Per school, its latest refused sync if nothing succeeded after it (for the operator's page)."""
    latest: dict[str, SyncLog] = {}
    for row in SyncLog.select().where(SyncLog.school_id.is_null(False)).order_by(SyncLog.at.desc()).limit(2000):
        latest.setdefault(row.school_id, row)
    return {school: row for school, row in latest.items() if not row.ok}

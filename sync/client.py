"""School side of sync: pairing with the hub, and pushing events the hub has not acknowledged.

The transport is a parameter (HTTP to a real hub, or a hub app in-process for tests). Events
leave the outbox only after the hub acknowledged them, so an interrupted push simply resumes.
"""
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from server.db import database
from server.errors import SyncError
from server.identity import device_key, public_key_hex
from server.models import Event, Outbox, SyncLog
from server.models.base import utcnow
from sync import protocol
from sync.state import get_state, set_state

log = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class PushReport:
    sent: int
    batches: int
    bytes: int
    pending: int
    stopped_by_budget: bool


def pair(transport, code: str, data_dir: Path, name: str = "school server") -> dict:
    """Exchange keys with the hub using a one-time code; remember the hub's answer."""
    key = device_key(data_dir)
    body = protocol.encode({"type": "pair", "code": code, "public_key": public_key_hex(key), "name": name})
    reply = transport.post("/sync/v1/pair", body, {})
    message = _reply_message(reply, "paired")
    with database.atomic():
        set_state("hub_device_id", message["device_id"])
        set_state("hub_school_id", message["school_id"])
        set_state("hub_public_key", message.get("hub_public_key") or None)
    return message


def _reply_message(reply, expected: str) -> dict:
    if reply.status != 200:
        try:
            reason = json.loads(reply.body).get("error")
        except ValueError:
            reason = None
        raise SyncError(f"The hub refused: {reason or f'HTTP {reply.status}'}")
    return protocol.decode(reply.body, expected)


def pending_count() -> int:
    """Events waiting for the hub's acknowledgement."""
    return Outbox.select().count()


def push_pending(transport, data_dir: Path, byte_budget: int | None = None, batch: int = BATCH) -> PushReport:
    """Push unacknowledged events in batches until none are left or the byte budget is spent."""
    device_id, school_id = get_state("hub_device_id"), get_state("hub_school_id")
    if not device_id:
        raise SyncError("This server is not paired with a hub yet: run `lantern sync pair HUB_URL CODE`.")
    key = device_key(data_dir)
    sent = batches = spent = 0
    while True:
        rows = list(Outbox.select().order_by(Outbox.seq).limit(batch))
        if not rows:
            break
        body = _push_body(rows, school_id)
        if byte_budget is not None and spent + len(body) > byte_budget:
            return _finish(sent, batches, spent, stopped=True)
        reply = transport.post("/sync/v1/push", body, _signed_headers(key, device_id, "/sync/v1/push", body))
        spent += len(body)
        ack = _reply_message(reply, "ack")
        with database.atomic():
            acked = Outbox.delete().where(Outbox.seq <= min(ack["through_seq"], rows[-1].seq)).execute()
            note_refusals(ack)
        sent, batches = sent + acked, batches + 1
    return _finish(sent, batches, spent, stopped=False)


def note_refusals(ack: dict) -> None:
    """Remember events the hub refused (they stay in this server's event log, never deleted): the admin's
    status page shows how many, and the log says which and why, so a fix can send them again."""
    count = ack.get("refused_count") or 0
    if not isinstance(count, int) or count <= 0:
        return
    listed = [r for r in ack.get("refused", []) if isinstance(r, dict)][:20]
    for refusal in listed:
        log.warning("the hub refused event %s: %s", refusal.get("id", refusal.get("index")), refusal.get("reason"))
    before = get_state("refused_events") or {"count": 0, "latest": []}
    set_state("refused_events", {"count": before["count"] + count, "latest": (listed + before["latest"])[:20],
                                 "at": utcnow().isoformat(timespec="seconds")})


def push_message(rows: list[Outbox], school_id: str | None) -> dict:
    """The push message for some outbox rows (the events they name, in order)."""
    events = {e.id: e for e in Event.select().where(Event.id.in_([r.event_id for r in rows]))}
    wire = [protocol.event_to_wire(events[r.event_id]) for r in rows if r.event_id in events]
    return {"type": "push", "school_id": school_id, "through_seq": rows[-1].seq if rows else 0, "events": wire}


def _push_body(rows: list[Outbox], school_id: str) -> bytes:
    return protocol.encode(push_message(rows, school_id))


def _signed_headers(key, device_id: str, path: str, body: bytes, method: str = "POST") -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    signature = protocol.sign(key, protocol.signing_bytes(method, path, timestamp, nonce, body))
    return {"X-Lantern-Device": device_id, "X-Lantern-Timestamp": timestamp, "X-Lantern-Nonce": nonce,
            "X-Lantern-Signature": signature}


def _finish(sent: int, batches: int, spent: int, stopped: bool) -> PushReport:
    pending = pending_count()
    with database.atomic():
        set_state("last_push", {"at": utcnow().isoformat(timespec="seconds"), "sent": sent, "pending": pending})
        SyncLog.create(direction="push", ok=1, events=sent, bytes=spent,
                       message="stopped: daily byte budget spent" if stopped else "")
    return PushReport(sent, batches, spent, pending, stopped)


def record_failure(message: str) -> None:
    """Remember why the last sync failed, in plain words, for the admin page."""
    with database.atomic():
        set_state("last_error", {"at": utcnow().isoformat(timespec="seconds"), "message": message})
        SyncLog.create(direction="push", ok=0, message=message[:500])

"""Sync protocol v1: the wire format (pure; no database, no HTTP).

Every message is a JSON object with `protocol` (1) and `type`, gzip-compressed on the wire.
Requests from a school device are signed with its Ed25519 key over
`METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256(body)`; see docs/sync-protocol.md.
"""
import base64
import gzip
import hashlib
import json
import re
import zlib
from datetime import datetime

from server.errors import SyncError

PROTOCOL = 1
MAX_COMPRESSED = 4 * 1024**2
MAX_DECOMPRESSED = 32 * 1024**2
MAX_BATCH = 2000
EVENT_KINDS = {"answer", "lesson_opened", "lesson_finished", "goal_set", "reflection", "mastered", "mastery_lost",
               "erased", "post", "post_deleted", "handed_in", "work_reviewed",
               "coach_reply"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")  # \Z: no trailing newline
MAX_PAYLOAD = 8192


def encode(message: dict) -> bytes:
    """A message as gzip-compressed JSON."""
    return gzip.compress(json.dumps({"protocol": PROTOCOL, **message}, ensure_ascii=False,
                                    separators=(",", ":")).encode(), compresslevel=6, mtime=0)


def decode(data: bytes, expected_type: str) -> dict:
    """Decompress and check a message's envelope; SyncError for anything off."""
    if len(data) > MAX_COMPRESSED:
        raise SyncError("the message is too large")
    try:
        inflater = zlib.decompressobj(wbits=31)
        raw = inflater.decompress(data, MAX_DECOMPRESSED)
        if inflater.unconsumed_tail:
            raise SyncError("the message is too large once decompressed")
        message = json.loads(raw)
    except (zlib.error, ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurd nesting
        raise SyncError("the message is not valid compressed JSON") from None
    if not isinstance(message, dict):
        raise SyncError("the message must be a JSON object")
    if message.get("protocol") != PROTOCOL or type(message.get("protocol")) is not int:  # not 1.0 or true
        raise SyncError(f"unknown sync protocol {message.get('protocol')!r}; this Lantern speaks {PROTOCOL}")
    if message.get("type") != expected_type:
        raise SyncError(f"expected a {expected_type} message, got {message.get('type')!r}")
    return message


def event_to_wire(event) -> dict:
    """An Event row as it travels."""
    return {"id": event.id, "device_id": event.device_id, "learner_id": event.learner_id, "kind": event.kind,
            "payload": event.payload, "created_at": event.created_at.isoformat(timespec="microseconds")}


def check_events(events: object) -> list[dict]:
    """Validate a batch of wire events; returns them with created_at parsed (any bad event fails it)."""
    _check_batch(events)
    return [check_event(n, event) for n, event in enumerate(events)]


def sort_events(events: object) -> tuple[list[dict], list[dict]]:
    """(the events a hub can store, one refusal {"id"|"index", "reason"} per event it cannot).

    One malformed event must not hold back the school's other events for ever: the hub stores the
    good ones and names the others in its acknowledgement. A malformed batch still fails whole.
    """
    _check_batch(events)
    checked, refused = [], []
    for n, event in enumerate(events):
        try:
            checked.append(check_event(n, event))
        except SyncError as err:
            event_id = event.get("id") if isinstance(event, dict) else None
            where = {"id": event_id} if isinstance(event_id, str) and UUID.match(event_id) else {"index": n}
            refused.append({**where, "reason": err.message[:200]})
    return checked, refused


def _check_batch(events: object) -> None:
    if not isinstance(events, list) or len(events) > MAX_BATCH:
        raise SyncError(f"events must be a list of at most {MAX_BATCH}")


def check_event(n: int, event: object) -> dict:
    """One wire event, checked, with created_at parsed; SyncError names what is wrong."""
    if not isinstance(event, dict):
        raise SyncError(f"event {n} is not an object")
    for key, longest in (("id", 36), ("learner_id", 36), ("device_id", 64)):  # the hub's column sizes
        if not isinstance(event.get(key), str) or not 0 < len(event[key]) <= longest or not _storable(event[key]):
            raise SyncError(f"event {n}: {key} is missing or malformed")
    if not UUID.match(event["id"]):
        raise SyncError(f"event {n}: id is not a UUID")
    if event.get("kind") not in EVENT_KINDS:
        raise SyncError(f"event {n}: unknown kind {event.get('kind')!r}")
    payload = event.get("payload")
    if not isinstance(payload, dict) or _json_size(payload) > MAX_PAYLOAD:
        raise SyncError(f"event {n}: payload must be an object of at most {MAX_PAYLOAD} bytes")
    try:
        created = datetime.fromisoformat(str(event.get("created_at")))
    except ValueError:
        raise SyncError(f"event {n}: created_at is not a date") from None
    return {**event, "created_at": created.replace(tzinfo=None)}


def _storable(text: str) -> bool:
    """Text any database takes: valid UTF-8 (no lone surrogates from JSON escapes), no NUL."""
    try:
        return "\x00" not in text and bool(text.encode())
    except UnicodeEncodeError:
        return False


def _json_size(value: object) -> int:
    """Bytes of a payload as stored; too large (never stored) when it has NaN/Infinity or lone surrogates."""
    try:
        return len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode())
    except (ValueError, UnicodeEncodeError, RecursionError):
        return MAX_PAYLOAD + 1


def signing_bytes(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a request signature covers."""
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()]).encode()


def sign(key, data: bytes) -> str:  # key: an Ed25519PrivateKey (cryptography is imported on first use)
    """An Ed25519 signature, base64."""
    return base64.b64encode(key.sign(data)).decode()


def verify(public_hex: str, signature: str, data: bytes) -> bool:
    """True when the signature over data is valid for the public key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(base64.b64decode(signature), data)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False

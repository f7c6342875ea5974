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

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from server.errors import SyncError

PROTOCOL = 1
MAX_COMPRESSED = 4 * 1024**2
MAX_DECOMPRESSED = 32 * 1024**2
MAX_BATCH = 2000
EVENT_KINDS = {"answer", "lesson_opened", "lesson_finished", "goal_set", "reflection", "mastered", "erased"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
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
    except (zlib.error, ValueError, UnicodeDecodeError):
        raise SyncError("the message is not valid compressed JSON") from None
    if not isinstance(message, dict):
        raise SyncError("the message must be a JSON object")
    if message.get("protocol") != PROTOCOL:
        raise SyncError(f"unknown sync protocol {message.get('protocol')!r}; this Lantern speaks {PROTOCOL}")
    if message.get("type") != expected_type:
        raise SyncError(f"expected a {expected_type} message, got {message.get('type')!r}")
    return message


def event_to_wire(event) -> dict:
    """An Event row as it travels."""
    return {"id": event.id, "device_id": event.device_id, "learner_id": event.learner_id, "kind": event.kind,
            "payload": event.payload, "created_at": event.created_at.isoformat(timespec="microseconds")}


def check_events(events: object) -> list[dict]:
    """Validate a batch of wire events; returns them with created_at parsed."""
    if not isinstance(events, list) or len(events) > MAX_BATCH:
        raise SyncError(f"events must be a list of at most {MAX_BATCH}")
    checked = []
    for n, event in enumerate(events):
        if not isinstance(event, dict):
            raise SyncError(f"event {n} is not an object")
        for key in ("id", "learner_id", "device_id"):
            if not isinstance(event.get(key), str) or not 0 < len(event[key]) <= 64:
                raise SyncError(f"event {n}: {key} is missing or malformed")
        if not UUID.match(event["id"]):
            raise SyncError(f"event {n}: id is not a UUID")
        if event.get("kind") not in EVENT_KINDS:
            raise SyncError(f"event {n}: unknown kind {event.get('kind')!r}")
        payload = event.get("payload")
        if not isinstance(payload, dict) or len(json.dumps(payload)) > MAX_PAYLOAD:
            raise SyncError(f"event {n}: payload must be an object of at most {MAX_PAYLOAD} bytes")
        try:
            created = datetime.fromisoformat(str(event.get("created_at")))
        except ValueError:
            raise SyncError(f"event {n}: created_at is not a date") from None
        checked.append({**event, "created_at": created.replace(tzinfo=None)})
    return checked


def signing_bytes(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a request signature covers."""
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()]).encode()


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    """An Ed25519 signature, base64."""
    return base64.b64encode(key.sign(data)).decode()


def verify(public_hex: str, signature: str, data: bytes) -> bool:
    """True when the signature over data is valid for the public key."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(base64.b64decode(signature), data)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False

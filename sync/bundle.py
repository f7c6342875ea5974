"""Sync by USB stick: the same messages as files, for schools that never get a connection.

A bundle is a small JSON envelope around a gzip-compressed message, signed by its sender:

    {"protocol": 1, "type": "bundle", "direction": "to-hub" | "to-school", "sender": …,
     "signature": base64(Ed25519(b"lantern-bundle-v1\\n" + body)), "body": base64(body)}

School → hub carries the events the hub has not acknowledged (and, the first time, a pairing
request made with the one-time code). Hub → school carries acknowledgements and the hub's key.
Importing a bundle twice, out of order, or an old one changes nothing.
"""
import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from server.db import database
from server.errors import Forbidden, SyncError
from server.identity import device_id as local_device_id, device_key, public_key_hex
from server.models import HubDevice, Outbox, SyncLog
from server.models.base import utcnow
from server.models.sync_pull import HubRecord
from sync import apply, protocol, records, roster_hub, uploads
from sync.state import clear_state, get_state, set_state
from sync.client import push_message
from server.models.sync_pull import HubPack
from sync.packs import offered_dir

MAX_BUNDLE = 64 * 1024**2
DOMAIN = b"lantern-bundle-v1\n"


@dataclass(frozen=True)
class BundleResult:
    path: Path | None
    events: int
    message: str


def _envelope(direction: str, sender: str, key, message: dict) -> bytes:
    body = protocol.encode(message)
    return json.dumps({"protocol": protocol.PROTOCOL, "type": "bundle", "direction": direction, "sender": sender,
                       "signature": protocol.sign(key, DOMAIN + body), "body": base64.b64encode(body).decode()}).encode()


def _open_envelope(path: Path) -> tuple[dict, bytes]:
    path = Path(path)
    if not path.is_file() or path.stat().st_size > MAX_BUNDLE:
        raise SyncError(f"{path.name} is not a sync bundle (missing or too large).")
    try:
        envelope = json.loads(path.read_bytes())
        body = base64.b64decode(envelope["body"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise SyncError(f"{path.name} is damaged or is not a Lantern sync bundle.") from None
    if envelope.get("protocol") != protocol.PROTOCOL or envelope.get("type") != "bundle":
        raise SyncError(f"{path.name} was made by an unknown version of Lantern.")
    return envelope, body


def _write(dest_dir: Path, name: str, data: bytes) -> Path:
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / name
    tmp = dest_dir / f".{name}.part"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target


# --- school side -------------------------------------------------------------------------------

def export_school_bundle(data_dir: Path, dest_dir: Path, code: str | None = None) -> BundleResult:
    """Write every unacknowledged event (and a pairing request, if not yet paired) to a bundle file."""

    key = device_key(data_dir)
    device = get_state("hub_device_id")
    message_extra = {}
    if device is None:
        # Not confirmed by the hub yet: send (again) the pairing request made with the code.
        code = code or get_state("pending_code")
        if not code:
            raise SyncError("This server is not paired yet: give the pairing code from the district (--code).")
        device = local_device_id()
        message_extra["pairing"] = {"code": code, "public_key": public_key_hex(key), "device_id": device,
                                    "name": "school server"}
        set_state("pending_code", code)
        set_state("pending_code_hash", apply.code_hash(code))
    rows = list(Outbox.select().order_by(Outbox.seq))
    files = uploads.write_beside(data_dir, dest_dir)  # learners' photos and recordings, named by hash
    message = {**push_message(rows, get_state("hub_school_id")), **message_extra, "device_id": device,
               "records": records.changed_records(), "admins": records.local_admins(), "uploads": files}
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    path = _write(dest_dir, f"lantern-results-{device[:8]}-{stamp}.lsync", _envelope("to-hub", device, key, message))
    SyncLog.create(direction="bundle-out", ok=1, events=len(message["events"]), message=path.name)
    extra = f" and {len(files)} uploaded files beside it" if files else ""
    return BundleResult(path, len(message["events"]),
                        f"{len(message['events'])} events written to {path.name}{extra}")


def import_return_bundle(path: Path) -> BundleResult:
    """Apply the hub's acknowledgements from a return bundle (verifying the hub's signature)."""
    envelope, body = _open_envelope(path)
    if envelope.get("direction") != "to-school":
        raise SyncError(f"{Path(path).name} is a bundle for the hub, not for this school.")
    message = protocol.decode(body, "return")
    me = get_state("hub_device_id") or local_device_id()
    ack = next((a for a in message.get("acks", []) if a.get("device_id") == me), None)
    if ack is None:
        raise Forbidden(f"{Path(path).name} is for another school's server; nothing was changed.")
    hub_key = get_state("hub_public_key") or _first_contact_key(message, me)
    if not protocol.verify(hub_key, envelope.get("signature", ""), DOMAIN + body):
        raise Forbidden(f"{Path(path).name} is not signed by your district hub; nothing was changed.")
    with database.atomic():
        set_state("hub_public_key", hub_key)
        set_state("hub_device_id", me)
        set_state("hub_school_id", message["school_id"])
        clear_state("pending_code")
        done = Outbox.delete().where(Outbox.seq <= int(ack["through_seq"])).execute()
        roster = message.get("records") or []
        applied = sum(records.apply_records(roster[start:start + records.MAX_RECORDS])
                      for start in range(0, len(roster), records.MAX_RECORDS))
        set_state("last_push", {"at": utcnow().isoformat(timespec="seconds"), "sent": done,
                                 "pending": Outbox.select().count(), "by": "usb"})
        SyncLog.create(direction="ack-in", ok=1, events=done, message=Path(path).name)
    return BundleResult(None, done, f"The hub confirmed {done} more events; {applied} roster changes applied.")


def _first_contact_key(message: dict, me: str) -> str:
    """On a first USB pairing, trust the hub key only with proof it knows our pairing code."""
    code_hash = get_state("pending_code_hash")
    key = str(message.get("hub_public_key", ""))
    proof = (message.get("pairing_proofs") or {}).get(me, "")
    if not code_hash or not hmac.compare_digest(_proof(code_hash, key, me), str(proof)):
        raise Forbidden("This return bundle cannot be trusted yet (no proof of our pairing code).")
    return key


def _proof(code_hash: str, hub_key: str, device: str) -> str:
    return hmac.new(code_hash.encode(), f"{hub_key}\n{device}".encode(), hashlib.sha256).hexdigest()


# --- hub side ----------------------------------------------------------------------------------

def import_school_bundle(path: Path, data_dir: Path | None = None) -> BundleResult:
    """Ingest a school's results bundle on the hub (pairing it first if it carries a request)."""
    envelope, body = _open_envelope(path)
    if envelope.get("direction") != "to-hub":
        raise SyncError(f"{Path(path).name} is a return bundle for a school, not for the hub.")
    message = protocol.decode(body, "push")
    device = HubDevice.get_or_none(HubDevice.id == str(envelope.get("sender")))
    pairing = message.get("pairing")
    if device is None and isinstance(pairing, dict):
        device = apply.pair_device(pairing.get("code"), pairing.get("public_key"), pairing.get("name"),
                                   device_id=pairing.get("device_id"), code_kept=True)
        message["school_id"] = device.school_id
    if device is None or device.revoked_at is not None:
        raise Forbidden(f"{Path(path).name} comes from a device that is not paired or was revoked.")
    if not protocol.verify(device.public_key, envelope.get("signature", ""), DOMAIN + body):
        raise Forbidden(f"{Path(path).name} has an invalid signature (damaged or forged); nothing was applied.")
    if message.get("school_id") is None:
        message["school_id"] = device.school_id
    roster = records.check_records(message.get("records", []))
    with database.atomic():
        ack = uploads.ingest_with_erasure(device, message, data_dir)
        roster_hub.declare_admins(device, message.get("admins"))
        taken = roster_hub.merge_records(device.school_id, roster, device.id)
    stored = uploads.read_beside(device, message.get("uploads"), Path(path).parent, data_dir) if data_dir else 0
    files = f", {stored} uploaded files" if stored else ""
    return BundleResult(None, ack["new"], f"{ack['new']} new events of {ack['received']}{files} and {taken} roster "
                                          f"changes from {Path(path).name}")


def export_return_bundle(school_id: str, hub_data_dir: Path, dest_dir: Path, with_packs: bool = True) -> BundleResult:
    """Write the acknowledgements (and the hub's key) for one school's devices."""
    key = device_key(hub_data_dir)
    hub_key = public_key_hex(key)
    devices = list(HubDevice.select().where((HubDevice.school_id == school_id) & HubDevice.revoked_at.is_null()))
    if not devices:
        raise SyncError("This school has no paired device yet: import its first bundle before writing a reply.")
    proofs = {d.id: _proof(d.pairing_code_hash, hub_key, d.id) for d in devices if d.pairing_code_hash}
    roster = [roster_hub.to_wire(r) for r in HubRecord.select().where(HubRecord.school_id == school_id)
              .order_by(HubRecord.seq)]
    message = {"type": "return", "school_id": school_id, "hub_public_key": hub_key, "pairing_proofs": proofs,
               "acks": [{"device_id": d.id, "through_seq": d.acked_seq} for d in devices], "records": roster}
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    pack_files = _copy_offered_packs(hub_data_dir, dest_dir) if with_packs else []
    path = _write(dest_dir, f"lantern-return-{school_id[:8]}-{stamp}.lsync", _envelope("to-school", "hub", key, message))
    SyncLog.create(school_id=school_id, direction="bundle-out", ok=1, message=path.name)
    extra = f"; {len(pack_files)} pack files beside it (import them from the USB page)" if pack_files else ""
    return BundleResult(path, 0, f"Return bundle written: {path.name} ({len(roster)} roster records{extra})")


def _copy_offered_packs(hub_data_dir: Path, dest_dir: Path) -> list[Path]:
    """Copy every offered pack archive beside the return bundle (skipping ones already there)."""

    written = []
    for row in HubPack.select().order_by(HubPack.pack_id):
        source = offered_dir(hub_data_dir) / f"{row.sha256}{row.suffix}"
        target = Path(dest_dir) / f"lantern-pack-{row.pack_id}-{row.version}{row.suffix}"
        if source.is_file() and not (target.exists() and target.stat().st_size == row.size):
            _write_file(source, target)
        written.append(target)
    return written


def _write_file(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.part")
    with open(source, "rb") as src, open(tmp, "wb") as out:
        while chunk := src.read(1024 * 1024):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)

"""Learners' uploaded work (the photo or recording of a hand-in) travels to the hub after the event
that names it, and is erased there with the learner.

School: after its events are pushed, each hand-in's upload the hub has not stored yet goes in one
signed `POST /sync/v1/upload/<sha256>` (the raw bytes), oldest first. A cursor (hand-in time, id) in
sync_state moves past each upload once the hub stored it, so a cut pass resumes where it stopped and a
stored file is never sent twice. Nothing is deleted on the school.

Hub: stores the bytes in its content-addressed blob store only when their SHA-256 is the one in the
address and a hand-in event of that device's school names it (a device cannot park arbitrary files).
When a learner is erased, the uploads their hand-ins named are removed unless another event still names
them.
"""
import hashlib
import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from peewee import OP, Expression, Value

from server.content.blobs import BlobStore
from server.errors import NotFound, SyncError
from server.identity import device_key
from server.models import HubDevice, ReceivedEvent
from server.models.projects import HandIn
from server.coaching.uploads import MAX_UPLOAD_BYTES
from sync.client import _reply_message, _signed_headers
from sync.state import get_state, set_state
from sync import apply

log = logging.getLogger(__name__)
CURSOR = "uploads_cursor"  # [handed_in_at ISO, hand-in id] of the last upload the hub stored
PER_PASS = 200
SHA = re.compile(r"^[0-9a-f]{64}\Z")


@dataclass
class UploadPush:
    sent: int = 0
    bytes: int = 0
    stopped: bool = False  # by the byte budget, or the hub does not know the hand-in yet


# --- school side -------------------------------------------------------------------------------

def waiting_uploads(limit: int = PER_PASS) -> list[HandIn]:
    """Hand-ins with an upload after the cursor, oldest first."""
    query = HandIn.select(HandIn.id, HandIn.upload_sha256, HandIn.upload_size, HandIn.handed_in_at).where(
        HandIn.upload_sha256.is_null(False))
    cursor = get_state(CURSOR)
    if cursor:
        at, last_id = datetime.fromisoformat(cursor[0]), cursor[1]
        query = query.where((HandIn.handed_in_at > at) | ((HandIn.handed_in_at == at) & (HandIn.id > last_id)))
    return list(query.order_by(HandIn.handed_in_at, HandIn.id).limit(limit))


def push_uploads(transport, data_dir: Path, budget: int | None = None) -> UploadPush:
    """Send the uploads the hub lacks (after their events went); stops at the budget or a refusal."""
    device, school = get_state("hub_device_id"), get_state("hub_school_id")
    if not device or not school:
        raise SyncError("This server is not paired with a hub yet: run `lantern sync pair HUB_URL CODE`.")
    key, store, report = device_key(data_dir), BlobStore(Path(data_dir) / "blobs"), UploadPush()
    for work in waiting_uploads():
        path = store.path_for(work.upload_sha256)
        if path.is_file():
            data = path.read_bytes()
            if budget is not None and report.bytes + len(data) > budget:
                report.stopped = True
                break
            address = f"/sync/v1/upload/{work.upload_sha256}"
            reply = transport.post(address, data, _signed_headers(key, device, address, data))
            report.bytes += len(data)
            if reply.status == 404:  # the hub has not got the hand-in's event yet: next pass
                report.stopped = True
                break
            _reply_message(reply, "upload-ack")
            report.sent += 1
        else:  # the file is gone here (it cannot be sent); move on rather than block the others
            log.warning("hand-in %s names an upload this server no longer has", work.id)
        set_state(CURSOR, [work.handed_in_at.isoformat(), work.id])
    return report


def write_beside(data_dir: Path, dest_dir: Path, limit: int = 2000) -> list[str]:
    """For a USB bundle: copy the uploads after the cursor beside it as `lantern-upload-<sha256>.bin` (files
    already on the stick are kept); returns their hashes. The cursor stays: the stick brings no ack back."""
    store, dest = BlobStore(Path(data_dir) / "blobs"), Path(dest_dir)
    written = []
    for work in waiting_uploads(limit):
        source, target = store.path_for(work.upload_sha256), dest / beside_name(work.upload_sha256)
        if not source.is_file():
            continue
        if not target.exists():
            dest.mkdir(parents=True, exist_ok=True)
            part = dest / f".{target.name}.part"
            shutil.copyfile(source, part)
            with open(part, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(part, target)
        written.append(work.upload_sha256)
    return list(dict.fromkeys(written))


def beside_name(sha256: str) -> str:
    return f"lantern-upload-{sha256}.bin"


# --- hub side ----------------------------------------------------------------------------------

def read_beside(device: HubDevice, listed: object, folder: Path, data_dir: Path) -> int:
    """On the hub: store the uploads a (verified) school bundle lists from the files beside it; a missing,
    damaged or unnamed file is skipped (logged), never stored. Returns how many were stored."""
    if not isinstance(listed, list):
        return 0
    stored = 0
    for sha in listed[:5000]:
        path = Path(folder) / beside_name(str(sha)) if isinstance(sha, str) and SHA.match(sha) else None
        if path is None or not path.is_file() or path.stat().st_size > MAX_UPLOAD_BYTES:
            continue
        try:
            receive_upload(device, sha, path.read_bytes(), data_dir)
            stored += 1
        except (SyncError, NotFound) as err:
            log.warning("upload %s beside the bundle was not stored: %s", sha, err)
    return stored


def receive_upload(device: HubDevice, sha256: str, data: bytes, data_dir: Path) -> dict:
    """Store one upload a school's hand-in names (idempotent: the store is content-addressed)."""
    if not SHA.match(sha256):
        raise SyncError("The address does not name a SHA-256.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise SyncError("The upload is larger than a hand-in can be.")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SyncError("The upload does not match its SHA-256 (damaged on the way); nothing was stored.")
    if not named_uploads(device.school_id, sha256):
        raise NotFound("No hand-in of this school names this upload (yet): send its events first.")
    BlobStore(Path(data_dir) / "blobs").put_bytes(data)
    return {"type": "upload-ack", "sha256": sha256}


def named_uploads(school_id: str | None, sha256: str | None = None, learners: set[str] | None = None) -> set[str]:
    """The upload hashes a school's hand-in events name (`None`: any school's; optionally only this hash, or
    only these learners' hand-ins)."""
    query = ReceivedEvent.select(ReceivedEvent.payload).where(ReceivedEvent.kind == "handed_in")
    if school_id is not None:
        query = query.where(ReceivedEvent.school_id == school_id)
    if learners is not None:
        query = query.where(ReceivedEvent.learner_id.in_(list(learners)))
    if sha256 is not None:  # let the database skip the hand-ins that cannot name it (checked exactly below)
        query = query.where(Expression(ReceivedEvent.payload, OP.ILIKE, Value(f"%{sha256}%", converter=False)))
    shas = set()
    for row in query:
        upload = row.payload.get("upload") if isinstance(row.payload, dict) else None
        sha = upload.get("sha256") if isinstance(upload, dict) else None
        if isinstance(sha, str) and (sha256 is None or sha == sha256):
            shas.add(sha)
    return shas


def erased_learners(message: dict) -> set[str]:
    """Learners a push erases (their uploads go once their events went)."""
    events = message.get("events") if isinstance(message, dict) else None
    return {e["learner_id"] for e in events or [] if isinstance(e, dict) and e.get("kind") == "erased"
            and isinstance(e.get("learner_id"), str)}


def forget_uploads(candidates: set[str], data_dir: Path) -> int:
    """Remove the candidate uploads no hand-in event of any school names any more; returns how many."""
    still = {sha for sha in candidates if named_uploads(None, sha)}
    removed = 0
    store = BlobStore(Path(data_dir) / "blobs")
    for sha in candidates - still:
        path = store.path_for(sha)
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def ingest_with_erasure(device: HubDevice, message: dict, data_dir: Path | None) -> dict:
    """`apply.ingest_push`, then remove the uploads of learners the push erased (when the blob store is known)."""

    erased = erased_learners(message)
    candidates = named_uploads(device.school_id, learners=erased) if erased else set()
    ack = apply.ingest_push(device, message)
    if candidates and data_dir is not None:
        forget_uploads(candidates, data_dir)
    return ack


"""Learners' uploads (photos of paper work, short recordings): untrusted until checked here.

Every upload is read in a bounded way (at most MAX_UPLOAD_BYTES), typed by its content, never by
its name, and then:
  * a photo is decoded with the pack-image guard (pixel bombs refused before decoding), turned
    upright (EXIF orientation), shrunk to MAX_IMAGE_SIDE and re-encoded as JPEG without any
    metadata: EXIF (GPS location included), XMP and ICC profiles are dropped;
  * a recording must be Ogg/Opus, WebM, MP4/M4A, MP3 or WAV by its magic bytes; WAV's length is
    read with the standard library and capped at MAX_AUDIO_SECONDS; compressed formats are capped
    by size instead (MAX_AUDIO_BYTES, about three minutes at 128 kbit/s) since no audio parser is
    among our dependencies.
Checked files go to the content-addressed blob store (data/blobs) but are never served by the
public /media route: only `server.coaching.handins` hands them out, to their learner, the learner's coaches
and the admin. Each learner has a storage quota.
"""
import io
import logging
import time
import wave
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from server.content.blobs import BlobStore
from server.errors import InvalidInput, StorageFull, TooLarge
from server.i18n import N_
from server.models import Blob, ReceivedEvent
from server.models.projects import HandIn

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 8 * 1024**2
MAX_AUDIO_BYTES = 3 * 1024**2
MAX_AUDIO_SECONDS = 180
MAX_IMAGE_SIDE = 1280
JPEG_QUALITY = 80
LEARNER_QUOTA_BYTES = 50 * 1024**2
ORPHAN_GRACE_SECONDS = 6 * 3600  # longer than any import or hand-in takes between its file and its commit
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}
SUFFIXES = {"image/jpeg": ".jpg", "audio/ogg": ".ogg", "audio/webm": ".webm", "audio/mp4": ".m4a",
            "audio/mpeg": ".mp3", "audio/wav": ".wav"}


@dataclass(frozen=True)
class CheckedUpload:
    """Bytes that passed the checks, ready to store."""

    data: bytes
    media_type: str

    @property
    def size(self) -> int:
        """Bytes stored."""
        return len(self.data)

    @property
    def sha256(self) -> str:
        """The content hash (the blob's name in the store)."""
        return sha256(self.data).hexdigest()


def read_bounded(stream, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """Read at most `limit` bytes from a file object; TooLarge if there is more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(N_("This file is too large. A photo or recording can be at most %(mb)d MB."), mb=limit // 1024**2)
    return data


def clean_photo(data: bytes) -> CheckedUpload:
    """A photo re-encoded for phones: upright, at most MAX_IMAGE_SIDE, JPEG, no metadata."""
    from PIL import Image, ImageOps  # Pillow loads on the first photo, not at start-up

    from server.content.packs.images import ImageRejected, load_image  # with Pillow, on the first photo

    try:
        img = load_image(io.BytesIO(data), draft_size=(MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    except ImageRejected as err:
        if "pixel" in str(err):
            raise InvalidInput(N_("This picture is far too large in pixels. Please take a normal photo."),
                               field="photo") from None
        raise InvalidInput(N_("This file is not a photo we can read. Please send a JPEG or PNG picture."),
                           field="photo") from None
    with img:
        if img.format not in PHOTO_FORMATS:
            raise InvalidInput(N_("This file is not a photo we can read. Please send a JPEG or PNG picture."),
                               field="photo")
        upright = ImageOps.exif_transpose(img)
        rgb = _flatten(upright)
        rgb.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
        clean = Image.new("RGB", rgb.size)  # a fresh image: nothing of the original's metadata
        clean.paste(rgb)
        out = io.BytesIO()
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return CheckedUpload(out.getvalue(), "image/jpeg")


def _flatten(img):
    """The picture on white, in RGB (transparency flattened)."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "P", "PA"):
        rgba = img.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return img.convert("RGB")


def audio_type(head: bytes) -> str | None:
    """The media type of a recording by its magic bytes (None: not a format we take)."""
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    return None


def check_audio(data: bytes) -> CheckedUpload:
    """A short recording, kept as sent once its type and length are acceptable."""
    media_type = audio_type(data[:16])
    if media_type is None:
        raise InvalidInput(N_("This file is not a recording we can play. Please record again."), field="audio")
    if media_type == "audio/wav":
        if wav_seconds(data) > MAX_AUDIO_SECONDS:
            raise InvalidInput(N_("This recording is too long: at most 3 minutes, please."), field="audio")
    elif len(data) > MAX_AUDIO_BYTES:
        raise InvalidInput(N_("This recording is too long: at most 3 minutes, please."), field="audio")
    return CheckedUpload(data, media_type)


def wav_seconds(data: bytes) -> float:
    """The length of a WAV recording in seconds (InvalidInput if it is not a readable WAV)."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            return wav.getnframes() / float(wav.getframerate() or 1)
    except (wave.Error, EOFError, ValueError):
        raise InvalidInput(N_("This file is not a recording we can play. Please record again."),
                           field="audio") from None


def ensure_quota(used: int, adding: int, quota: int = LEARNER_QUOTA_BYTES) -> None:
    """StorageFull when `adding` bytes would take a learner past their quota."""
    if used + adding > quota:
        raise StorageFull(N_("Your space for photos and recordings is full (%(used)d of %(quota)d MB used). "
                             "Hand in text instead, or ask your coach to make room."),
                          used=used // 1024**2, quota=quota // 1024**2)


def store(data_dir: Path, upload: CheckedUpload) -> str:
    """Put checked bytes in the blob store; return their hash."""
    return BlobStore(Path(data_dir) / "blobs").put_bytes(upload.data)


def remove_blobs(data_dir: Path, digests: set[str]) -> int:
    """Delete upload blobs (the caller made sure nothing else refers to them); return how many."""
    store_ = BlobStore(Path(data_dir) / "blobs")
    removed = 0
    for digest in digests:
        path = store_.path_for(digest)
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def referenced_blobs(among: set[str] | None = None) -> set[str]:
    """The blobs something in the database names (`among`: only these candidates are looked up): pack
    files, learners' hand-ins here and, on a hub, the uploads a school's received hand-in event names."""
    def within(query, column):
        return query.where(column.in_(list(among))) if among is not None else query

    names = {b.sha256 for b in within(Blob.select(Blob.sha256), Blob.sha256)}
    names |= {h.upload_sha256 for h in within(HandIn.select(HandIn.upload_sha256).distinct()
                                              .where(HandIn.upload_sha256.is_null(False)), HandIn.upload_sha256)}
    for row in ReceivedEvent.select(ReceivedEvent.payload).where(ReceivedEvent.kind == "handed_in"):
        upload = row.payload.get("upload") if isinstance(row.payload, dict) else None
        if isinstance(upload, dict) and isinstance(upload.get("sha256"), str):
            names.add(upload["sha256"])
    return names if among is None else names & among


def remove_unreferenced(data_dir: Path, candidates: set[str], still_named: set[str] | None = None) -> int:
    """Delete the candidate blobs that nothing in the database names (nor `still_named`); return how many."""
    return remove_blobs(data_dir, candidates - referenced_blobs(candidates) - (still_named or set()))


def sweep_orphans(data_dir: Path, older_than: float = ORPHAN_GRACE_SECONDS, now: float | None = None) -> int:
    """Delete blob files that nothing in the database names and that are older than `older_than` seconds
    (a file of an import or hand-in still in progress is younger); return how many were removed.

    Decisions: a hand-in's file is written just before the commit that names it, so a power cut in between
    leaves a file nobody names; it is found here, at every start and once a day (server.device.maintenance)."""
    root = Path(data_dir) / "blobs"
    now = time.time() if now is None else now
    on_disk = {}
    for path in root.glob("??/*"):
        if len(path.name) == 64 and path.parent.name == path.name[:2]:
            try:
                if now - path.stat().st_mtime >= older_than:
                    on_disk[path.name] = path
            except FileNotFoundError:
                continue
    orphans = set(on_disk) - referenced_blobs()
    if orphans:
        log.warning("removing %d blob files nothing refers to (left by an interrupted upload or import)",
                    len(orphans))
    return remove_blobs(data_dir, orphans)


def suffix_for(media_type: str) -> str:
    """A file suffix for a stored upload's media type."""
    return SUFFIXES.get(media_type, ".bin")

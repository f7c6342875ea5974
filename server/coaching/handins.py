"""Hand-ins: work a learner sends to their coach (a project version, or an answer to an open
question in a pack), the coach's review, and who may see the files.

Each hand-in is a `handed_in` event and each review a `work_reviewed` event (server.learning.progress
record_event: the event, its derived HandIn row and the sync outbox in one transaction). An upload
is checked by server.coaching.uploads, then quota-checked, stored and recorded inside one `BEGIN IMMEDIATE`
transaction with its event; the event carries its sha256, type and size, not the bytes.

Decisions: the attempt id (the form's hidden field) is the event id, so a repeated post of the same form
(a double tap, a retry after the Wi-Fi dropped) returns the hand-in already made and stores no second file.
A file is written before the commit that names it; if the event fails the file is removed at once, and if
the power fails between the two, the orphan is swept at the next start (uploads.sweep_orphans).

Open questions (essay items) are never graded automatically and never count for mastery, neither
before nor after review: mastery rests on auto-checked answers, and the coach's review is feedback
for the learner, not a score. So an essay response writes no `answer` event and changes no SkillState.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from server.db import database
from server.people import classes
from server.coaching import projects, uploads
from server.errors import InvalidInput, NotFound
from server.i18n import N_
from server.ids import uuid7
from server.content.library import get_pack
from server.models import Account, CoachClass, Item, PackVersion
from server.models.projects import HandIn, Project
from server.learning.progress import record_event
from sync.protocol import MAX_PAYLOAD
from server.models import Blob

MAX_TEXT = 3000
MAX_FEEDBACK = 1500
NOT_YOURS = "This work does not exist, or it is not yours to see."


@dataclass(frozen=True)
class Files:
    """What a hand-in form posted: file objects (or None) with a `stream`."""

    photo: object = None
    audio: object = None


@dataclass(frozen=True)
class OpenQuestion:
    pack: PackVersion
    item: Item
    versions: list[HandIn]  # newest first
    attempt_id: str


@dataclass(frozen=True)
class QueueRow:
    work: HandIn
    learner: Account
    what: str  # a project's title, or the open question's pack title


@dataclass(frozen=True)
class ReviewPage:
    classroom: object
    learner: Account
    work: HandIn
    earlier: list[HandIn]
    project: Project | None
    item: Item | None
    pack: PackVersion | None
    criteria: list[str]


def _text(raw: str | None) -> str:
    text = (raw or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(N_("Your text is too long (at most %(num)d characters)."), field="text", num=MAX_TEXT)
    return text


def _read_upload(files: Files) -> uploads.CheckedUpload | None:
    """The one checked upload of a form, if any (a photo or a recording, not both)."""
    sent = {}
    for name in ("photo", "audio"):
        storage = getattr(files, name)
        data = uploads.read_bounded(storage.stream) if storage is not None else b""
        if data:
            sent[name] = data
    if len(sent) > 1:
        raise InvalidInput(N_("Send a photo or a recording, not both at once."), field="photo")
    if "photo" in sent:
        return uploads.clean_photo(sent["photo"])
    if "audio" in sent:
        return uploads.check_audio(sent["audio"])
    return None


def used_bytes(learner_id: str) -> int:
    """Bytes of uploads a learner's hand-ins hold in the store (their quota use; a file counts once)."""
    return sum(_stored_files(learner_id).values())


def _stored_files(learner_id: str) -> dict[str, int]:
    return {h.upload_sha256: h.upload_size for h in HandIn.select(HandIn.upload_sha256, HandIn.upload_size)
            .where((HandIn.learner_id == learner_id) & HandIn.upload_sha256.is_null(False))}


def _earlier_attempt(learner: Account, attempt_id: str) -> HandIn | None:
    """The hand-in this form already made (a repeated post); NotFound when the id is someone else's."""
    work = HandIn.get_or_none(HandIn.id == attempt_id) if attempt_id else None
    if work is not None and work.learner_id != learner.id:
        raise NotFound(NOT_YOURS)
    return work


def _record(learner: Account, attempt_id: str, payload: dict) -> HandIn:
    if len(json.dumps(payload)) > MAX_PAYLOAD - 200:
        raise InvalidInput(N_("Your text is too long to send. Please shorten it."), field="text")
    event, _ = record_event(learner.id, "handed_in", payload, event_id=attempt_id)
    work = HandIn.get_or_none(HandIn.id == event.id)
    if work is None:
        raise NotFound(NOT_YOURS)
    return work


def hand_in_project(learner: Account, project_id: str, attempt_id: str, text: str | None, files: Files,
                    data_dir: Path, quota: int = uploads.LEARNER_QUOTA_BYTES) -> HandIn:
    """Hand in a new version of project work (text and/or one photo or recording); a repeated post of
    the same form returns the hand-in it made."""
    project = projects.project_for_learner(learner, project_id)
    if (earlier := _earlier_attempt(learner, attempt_id)) is not None:
        return earlier
    if not projects.can_hand_in(project):
        raise InvalidInput(N_("Wait until your coach accepts this project."))
    text = _text(text)
    upload = _read_upload(files)
    if not text and upload is None:
        raise InvalidInput(N_("Write something, or add a photo or a recording."), field="text")
    with database.atomic():  # BEGIN IMMEDIATE: one post at a time checks the quota, stores and records
        if (earlier := _earlier_attempt(learner, attempt_id)) is not None:
            return earlier
        version = HandIn.select().where((HandIn.learner_id == learner.id)
                                        & (HandIn.project_id == project.id)).count()
        payload = {"source": "project", "project_id": project.id, "project_title": project.title,
                   "version": version + 1, "text": text, "upload": None}
        if upload is None:
            return _record(learner, attempt_id, payload)
        return _record_with_file(learner, attempt_id, payload, upload, data_dir, quota)


def _record_with_file(learner: Account, attempt_id: str, payload: dict, upload: uploads.CheckedUpload,
                      data_dir: Path, quota: int) -> HandIn:
    """Quota, file and event as one step: the file is removed again if the event is not recorded."""
    stored = _stored_files(learner.id)
    uploads.ensure_quota(sum(stored.values()), 0 if upload.sha256 in stored else upload.size, quota)
    sha = uploads.store(data_dir, upload)
    payload["upload"] = {"sha256": sha, "type": upload.media_type, "size": upload.size}
    try:
        return _record(learner, attempt_id, payload)
    except BaseException:
        if sha not in stored:
            uploads.remove_unreferenced(data_dir, {sha}, still_named=set())
        raise


def project_versions(learner_id: str, project_id: str) -> list[HandIn]:
    """Every version a learner handed in on a project, newest first."""
    return list(HandIn.select().where((HandIn.learner_id == learner_id) & (HandIn.project_id == project_id))
                .order_by(HandIn.version.desc()))


def _essay_item(pack_id: str, item_id: str) -> tuple[PackVersion, Item]:
    pack = get_pack(pack_id)
    item = Item.get_or_none((Item.pack_version == pack) & (Item.item_id == item_id) & (Item.kind == "essay"))
    if item is None:
        raise NotFound(N_("This open question is not in the pack."))
    return pack, item


def open_questions(pack_id: str) -> tuple[PackVersion, list[Item]]:
    """A pack's open questions (essay items), in pack order."""
    pack = get_pack(pack_id)
    return pack, list(Item.select().where((Item.pack_version == pack) & (Item.kind == "essay"))
                      .order_by(Item.position))


def open_question(learner: Account, pack_id: str, item_id: str) -> OpenQuestion:
    """An open question with what this learner sent before and the feedback on it."""
    pack, item = _essay_item(pack_id, item_id)
    versions = list(HandIn.select().where((HandIn.learner_id == learner.id) & (HandIn.pack_id == pack.pack_id)
                                          & (HandIn.item_id == item.item_id)).order_by(HandIn.version.desc()))
    return OpenQuestion(pack, item, versions, uuid7())


def hand_in_essay(learner: Account, pack_id: str, item_id: str, attempt_id: str, text: str | None) -> HandIn:
    """Send an answer to an open question to the coach (it is stored, never graded automatically)."""
    pack, item = _essay_item(pack_id, item_id)
    text = _text(text)
    if not text:
        raise InvalidInput(N_("Write your answer first."), field="text")
    version = HandIn.select().where((HandIn.learner_id == learner.id) & (HandIn.pack_id == pack.pack_id)
                                    & (HandIn.item_id == item.item_id)).count()
    payload = {"source": "essay", "pack_id": pack.pack_id, "item_id": item.item_id, "skill_id": item.skill_id,
               "pack_version": pack.version, "version": version + 1, "text": text, "upload": None}
    return _record(learner, attempt_id, payload)


def review_queue(coach: Account, class_id: str) -> tuple[object, list[QueueRow], list[QueueRow]]:
    """A class's hand-ins waiting for review (oldest first) and the latest reviewed ones."""
    classroom = classes.class_for(coach, class_id)
    learners = {a.id: a for a in classes.learners_query(classroom)}
    query = HandIn.select().where(HandIn.learner_id.in_(list(learners)))
    waiting = list(query.where(HandIn.reviewed_at.is_null()).order_by(HandIn.handed_in_at))
    done = list(query.where(HandIn.reviewed_at.is_null(False)).order_by(HandIn.reviewed_at.desc()).limit(20))
    names = _what(waiting + done)
    return (classroom, [QueueRow(w, learners[w.learner_id], names.get(w.id, "")) for w in waiting],
            [QueueRow(w, learners[w.learner_id], names.get(w.id, "")) for w in done])


def _what(rows: list[HandIn]) -> dict[str, str]:
    titles = {p.id: p.title for p in Project.select(Project.id, Project.title).where(
        Project.id.in_({r.project_id for r in rows if r.project_id}))}
    packs = {p.pack_id: p.title for p in PackVersion.select().where(
        PackVersion.is_active & PackVersion.pack_id.in_({r.pack_id for r in rows if r.pack_id}))}
    return {r.id: titles.get(r.project_id, "") if r.source == "project" else packs.get(r.pack_id, r.pack_id or "")
            for r in rows}


def review_page(coach: Account, class_id: str, handin_id: str) -> ReviewPage:
    """One hand-in with its earlier versions and the rubric, for a coach of the learner's class."""
    classroom = classes.class_for(coach, class_id)
    work = HandIn.get_or_none(HandIn.id == handin_id)
    if work is None:
        raise NotFound(NOT_YOURS)
    learner = classes.learner_in(classroom, work.learner_id)
    project = Project.get_or_none(Project.id == work.project_id) if work.project_id else None
    pack = item = None
    if work.source == "essay":
        pack = PackVersion.get_or_none((PackVersion.pack_id == work.pack_id) & PackVersion.is_active)
        item = Item.get_or_none((Item.pack_version == pack) & (Item.item_id == work.item_id)) if pack else None
        earlier = HandIn.select().where((HandIn.learner_id == learner.id) & (HandIn.pack_id == work.pack_id)
                                        & (HandIn.item_id == work.item_id))
    else:
        earlier = HandIn.select().where((HandIn.learner_id == learner.id) & (HandIn.project_id == work.project_id))
    earlier = list(earlier.where(HandIn.version < work.version).order_by(HandIn.version.desc()))
    return ReviewPage(classroom, learner, work, earlier, project, item, pack,
                      list(project.criteria) if project else [])


def review(coach: Account, class_id: str, handin_id: str, form) -> HandIn:
    """Record a coach's rubric levels and written feedback on a hand-in."""
    page = review_page(coach, class_id, handin_id)
    levels = {}
    for n, criterion in enumerate(page.criteria):
        level = form.get(f"level-{n}") or ""
        if level not in projects.LEVELS:
            raise InvalidInput(N_("Choose a level for every criterion."), field=f"level-{n}")
        levels[criterion] = level
    feedback = (form.get("feedback") or "").replace("\x00", "").strip()
    if len(feedback) > MAX_FEEDBACK:
        raise InvalidInput(N_("The feedback is too long (at most %(num)d characters)."), field="feedback",
                           num=MAX_FEEDBACK)
    if not feedback:
        raise InvalidInput(N_("Write a few words of feedback for the learner."), field="feedback")
    payload = {"handin_id": page.work.id, "reviewer_id": coach.id, "levels": levels, "feedback": feedback,
               "finished": page.work.source == "project" and form.get("finished") == "yes"}
    record_event(page.learner.id, "work_reviewed", payload)
    return HandIn.get(HandIn.id == page.work.id)


def file_of(account: Account, handin_id: str) -> tuple[Path, str, str]:
    """(blob path relative to data/blobs, media type, download name) of a hand-in's upload, for its
    learner, a coach of the learner's class or an admin of the school; NotFound for anyone else."""
    work = HandIn.get_or_none(HandIn.id == handin_id)
    if work is None or not work.upload_sha256 or not may_see(account, work.learner_id):
        raise NotFound(NOT_YOURS)
    sha = work.upload_sha256
    return Path(sha[:2]) / sha, work.upload_type, f"work-{work.version}{uploads.suffix_for(work.upload_type)}"


def may_see(account: Account, learner_id: str) -> bool:
    """True for the learner, a coach of the learner's current class, and an admin of the school."""
    if account.id == learner_id:
        return True
    learner = Account.get_or_none((Account.id == learner_id) & (Account.role == "learner"))
    if learner is None or learner.classroom_id is None:
        return False
    if account.role == "admin":
        return learner.school_id == account.school_id
    if account.role == "coach":
        return CoachClass.select().where((CoachClass.coach == account.id)
                                         & (CoachClass.classroom == learner.classroom_id)).exists()
    return False


def export_rows(learner_id: str) -> list[dict]:
    """A learner's hand-ins and reviews, for their data export."""
    return [{"id": h.id, "source": h.source, "project": h.project_id, "pack": h.pack_id, "item": h.item_id,
             "version": h.version, "text": h.text, "handed_in_at": h.handed_in_at.isoformat(timespec="seconds"),
             "upload": {"sha256": h.upload_sha256, "type": h.upload_type, "size": h.upload_size}
             if h.upload_sha256 else None,
             "reviewed_at": h.reviewed_at and h.reviewed_at.isoformat(timespec="seconds"),
             "levels": h.levels, "feedback": h.feedback, "finished": h.is_finished}
            for h in HandIn.select().where(HandIn.learner_id == learner_id).order_by(HandIn.handed_in_at)]


def forget_learner(learner_id: str) -> set[str]:
    """Delete a learner's hand-ins and plans; return the upload blobs nobody else refers to now."""

    shas = {h.upload_sha256 for h in HandIn.select(HandIn.upload_sha256).where(
        (HandIn.learner_id == learner_id) & HandIn.upload_sha256.is_null(False))}
    HandIn.delete().where(HandIn.learner_id == learner_id).execute()
    projects.forget_learner(learner_id)
    still_used = {h.upload_sha256 for h in HandIn.select(HandIn.upload_sha256).where(HandIn.upload_sha256.in_(shas))}
    still_used |= {b.sha256 for b in Blob.select(Blob.sha256).where(Blob.sha256.in_(shas))}
    return shas - still_used


def is_open_question(pack_id: str, item_id: str) -> bool:
    """True when an item of a pack's active version is an open question (essay)."""
    return (Item.select().join(PackVersion)
            .where((PackVersion.pack_id == pack_id) & PackVersion.is_active & (Item.item_id == item_id)
                   & (Item.kind == "essay")).exists())


def open_question_count(pack: PackVersion) -> int:
    """How many open questions a pack version has."""
    return Item.select().where((Item.pack_version == pack) & (Item.kind == "essay")).count()

"""Questions on a lesson: learners of one class ask and answer; their coach moderates.

A learner's question or answer is a `post` event (so it is in their export, syncs to the hub and
is erased with them); the `Post` row is made from it in the same transaction, keyed by the event
id, so replaying the log changes nothing. Deleting one's own post is a `post_deleted` event that
removes the text here (from the row and from the original event). Hiding, "helpful" and reports
are the coach's moderation, kept on the row.

Learners see only their own class's posts, by first name; posting to another class is refused.

Decisions:
- A coach's reply is a `coach_reply` event in the log of the learner who asked (like `work_reviewed`:
  the coach acts on a learner's work, the payload names the coach). So it syncs, is in the asker's
  export and goes with them when they are erased, and `lantern rebuild` makes the same row again.
- Pages mark a reply as the coach's by its author's role (a learner account cannot write one), shown
  as the word "Coach", not only a colour.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from peewee import Case, fn

from server.content import library
from server.learning import event_kinds, progress
from server.people.classes import class_for, classes_for
from server.errors import Forbidden, InvalidInput, NotFound
from server.i18n import N_
from server.models import Account, Classroom, CoachClass, Event, Lesson, PackVersion
from server.models.base import utcnow
from server.models.discussion import Post

MAX_POST = 1000  # characters
PREVIEW = 3  # questions shown under the lesson itself (the page stays small)
BURST_POSTS, BURST_MINUTES = 10, 10  # at most this many posts by one learner in this many minutes
THREAD_LIMIT = 10  # questions per page of the full discussion (the page stays within its byte budget)
BOARD_LIMIT = 30  # recent questions on the coach's page
MODERATION = {"helpful": {"helpful": True}, "not_helpful": {"helpful": False}, "hide": {"hidden": True},
              "unhide": {"hidden": False}, "keep": {"reported_at": None, "reported_by": None}}


@dataclass(frozen=True)
class Message:
    """A post as a page shows it: the text and the author's first name."""

    post: Post
    name: str
    mine: bool = False
    coach: bool = False  # written by a coach (pages say so in words)


@dataclass
class Question:
    message: Message
    answers: list[Message] = field(default_factory=list)
    lesson_title: str = ""
    lesson_language: str = ""
    class_name: str = ""  # on a coach's thread, when they coach more than one class


@dataclass(frozen=True)
class Board:
    """A class's questions as its coach sees them."""

    classroom: object
    reported: list[Message]
    unanswered: list[Question]
    recent: list[Question]


def first_name(display_name: str) -> str:
    """The first word of a display name (learners see each other by first name only)."""
    words = (display_name or "").split()
    return words[0] if words else "?"


def clean_body(text: str | None) -> str:
    """The text of a post, checked: not empty, not too long (plain text; pages escape it)."""
    body = (text or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput(N_("Write your question or answer first."), field="body")
    if len(body) > MAX_POST:
        raise InvalidInput(N_("Please keep it shorter (at most %(max)d characters)."), field="body", max=MAX_POST)
    return body


# --- learners ---------------------------------------------------------------------------------

def _class_of(learner: Account, class_id: str | None = None) -> str:
    if not learner.classroom_id:
        raise Forbidden(N_("You are not in a class yet, so there is nobody to ask."))
    if class_id is not None and class_id != learner.classroom_id:
        raise Forbidden(N_("You can only ask and answer in your own class."))
    return learner.classroom_id


def ask(learner: Account, pack_id: str, lesson_id: str, form) -> Post:
    """A learner asks their class a question about a lesson."""
    class_id = _class_of(learner, form.get("class"))
    library.lesson_page(pack_id, lesson_id)  # NotFound for a lesson that is not installed
    body = clean_body(form.get("body"))
    return _record_post(learner, {"class_id": class_id, "pack_id": pack_id, "lesson_id": lesson_id,
                                  "parent_id": None, "body": body})


def answer(learner: Account, question_id: str, form) -> Post:
    """A learner answers a classmate's question."""
    question = _visible(question_id)
    if question.parent_id is not None:
        raise NotFound(N_("Answers are given to questions."))
    class_id = _class_of(learner, question.classroom_id)
    body = clean_body(form.get("body"))
    return _record_post(learner, {"class_id": class_id, "pack_id": question.pack_id,
                                  "lesson_id": question.lesson_id, "parent_id": question.id, "body": body})


def _record_post(learner: Account, payload: dict) -> Post:
    since = utcnow() - timedelta(minutes=BURST_MINUTES)
    if Post.select().where((Post.author_id == learner.id) & (Post.created_at > since)).count() >= BURST_POSTS:
        raise InvalidInput(N_("You have posted a lot just now. Please wait a few minutes, then post again."),
                           field="body")
    event, _ = progress.record_event(learner.id, "post", payload)
    return Post.get_by_id(event.id)


def delete_post(learner: Account, post_id: str) -> Post:
    """A learner deletes their own post (anyone else's is refused and left as it was)."""
    post = Post.get_or_none((Post.id == post_id) & ~Post.deleted)
    if post is None:
        raise NotFound(N_("This post does not exist or was deleted."))
    if post.author_id != learner.id:
        raise Forbidden(N_("You can only delete your own posts."))
    progress.record_event(learner.id, "post_deleted", {"post_id": post.id})
    return post


def report_post(learner: Account, post_id: str) -> Post:
    """A learner asks the coach to look at a classmate's post (it goes on the moderation list)."""
    post = _visible(post_id)
    _class_of(learner, post.classroom_id)
    if post.reported_at is None:
        Post.update(reported_at=utcnow(), reported_by=learner.id).where(Post.id == post.id).execute()
    return post


def _visible(post_id: str) -> Post:
    post = Post.get_or_none((Post.id == post_id) & ~Post.deleted & ~Post.hidden)
    if post is None:
        raise NotFound(N_("This post does not exist, or it was deleted or hidden."))
    return post


@event_kinds.applies_to("post", "post_deleted", "coach_reply")
def apply_post_event(event: Event) -> None:
    """Derive the Post row from a `post`, `coach_reply` or `post_deleted` event (idempotent, so replays
    are safe)."""
    p = event.payload
    if event.kind in ("post", "coach_reply"):
        author = p["coach_id"] if event.kind == "coach_reply" else event.learner_id
        Post.insert(id=event.id, classroom_id=p["class_id"], pack_id=p["pack_id"], lesson_id=p["lesson_id"],
                    parent_id=p.get("parent_id"), author_id=author, body=p.get("body", ""),
                    created_at=event.created_at).on_conflict_ignore().execute()
        return
    Post.update(deleted=True, body="").where((Post.id == p["post_id"])
                                             & (Post.author_id == event.learner_id)).execute()
    original = Event.get_or_none((Event.id == p["post_id"]) & (Event.learner_id == event.learner_id))
    if original is not None and original.payload.get("body"):
        original.payload = {**original.payload, "body": ""}  # deleted means the words are gone here
        original.save(only=[Event.payload])


def lesson_questions(learner: Account, pack_id: str, lesson_id: str, limit: int = THREAD_LIMIT,
                     page: int = 1) -> tuple[list[Question], int]:
    """A page of the newest questions of the learner's class on a lesson, with answers; and how many in all."""
    if not learner.classroom_id:
        return [], 0
    where = ((Post.classroom_id == learner.classroom_id) & (Post.pack_id == pack_id)
             & (Post.lesson_id == lesson_id) & Post.parent_id.is_null() & ~Post.deleted & ~Post.hidden)
    total = Post.select().where(where).count()
    questions = list(Post.select().where(where).order_by(Post.created_at.desc(), Post.id.desc())
                     .paginate(max(1, page), limit)) if total else []
    return _threads(questions, learner.id, staff=False), total


def _threads(questions: list[Post], viewer_id: str | None, staff: bool) -> list[Question]:
    """Questions with their answers (oldest first) and first names, in three queries."""
    if not questions:
        return []
    answers = Post.select().where(Post.parent_id.in_([q.id for q in questions]) & ~Post.deleted)
    if not staff:
        answers = answers.where(~Post.hidden)
    answers = list(answers.order_by(Post.created_at))
    names = _names({p.author_id for p in questions + answers})
    threads = {q.id: Question(_message(q, names, viewer_id)) for q in questions}
    for a in answers:
        threads[a.parent_id].answers.append(_message(a, names, viewer_id))
    return list(threads.values())


def _message(post: Post, names: dict, viewer_id: str | None = None) -> Message:
    name, coach = names.get(post.author_id, ("?", False))
    return Message(post, name, post.author_id == viewer_id, coach)


def _names(account_ids: set[str]) -> dict[str, tuple[str, bool]]:
    """(first name, is a coach) of each author."""
    rows = Account.select(Account.id, Account.display_name, Account.role).where(Account.id.in_(list(account_ids)))
    return {a.id: (first_name(a.display_name), a.role != "learner") for a in rows}


# --- the coach ------------------------------------------------------------------------------

def class_board(staff: Account, class_id: str) -> Board:
    """Reported posts, unanswered questions and recent questions of one of the coach's classes."""
    classroom = class_for(staff, class_id)
    mine = (Post.classroom_id == classroom.id) & ~Post.deleted
    reported = list(Post.select().where(mine & Post.reported_at.is_null(False) & ~Post.hidden)
                    .order_by(Post.reported_at))
    names = _names({p.author_id for p in reported})
    questions = list(Post.select().where(mine & Post.parent_id.is_null())
                     .order_by(Post.created_at.desc()).limit(BOARD_LIMIT))
    threads = _threads(questions, None, staff=True)
    _add_lesson_titles(threads)
    unanswered = _unanswered_threads(classroom.id)
    _add_lesson_titles(unanswered)
    return Board(classroom, [_message(p, names) for p in reported],
                 unanswered, threads)


def _unanswered_query(class_id: str):
    answered = Post.select(Post.parent_id).where((Post.classroom_id == class_id) & Post.parent_id.is_null(False)
                                                 & ~Post.deleted & ~Post.hidden)
    return Post.select().where((Post.classroom_id == class_id) & Post.parent_id.is_null() & ~Post.deleted
                               & ~Post.hidden & Post.id.not_in(answered))


def _unanswered_threads(class_id: str) -> list[Question]:
    return _threads(list(_unanswered_query(class_id).order_by(Post.created_at).limit(BOARD_LIMIT)),
                    None, staff=True)


def _add_lesson_titles(threads: list[Question]) -> None:
    """Each question's lesson title and the pack's language ("" when the lesson is no longer installed)."""
    ids = {t.message.post.lesson_id for t in threads}
    if not ids:
        return
    titles = {(row.pack_version.pack_id, row.lesson_id): (row.title, row.pack_version.language) for row in
              Lesson.select(Lesson.lesson_id, Lesson.title, PackVersion.pack_id, PackVersion.language)
              .join(PackVersion).where(PackVersion.is_active & Lesson.lesson_id.in_(list(ids)))}
    for t in threads:
        t.lesson_title, t.lesson_language = titles.get((t.message.post.pack_id, t.message.post.lesson_id), ("", ""))


def reply(coach: Account, question_id: str, form) -> Post:
    """A coach of the asker's class answers a question (a `coach_reply` event in the asker's log)."""
    question = _visible(question_id)
    if question.parent_id is not None:
        raise NotFound(N_("Answers are given to questions."))
    classroom = class_for(coach, question.classroom_id)  # NotFound unless the coach has this class
    if coach.role != "coach":
        raise Forbidden(N_("Only the class's coach can reply here."))
    body = clean_body(form.get("body"))
    payload = {"class_id": classroom.id, "pack_id": question.pack_id, "lesson_id": question.lesson_id,
               "parent_id": question.id, "body": body, "coach_id": coach.id}
    event, _ = progress.record_event(question.author_id, "coach_reply", payload)
    return Post.get_by_id(event.id)


def coach_lesson_questions(coach: Account, pack_id: str, lesson_id: str, limit: int = THREAD_LIMIT,
                           page: int = 1) -> tuple[list[Question], int]:
    """A page of the newest questions on a lesson from every class the coach has, with answers."""
    classes = {c.classroom.id: c.classroom.name for c in classes_for(coach)}
    where = _coach_lesson_where(list(classes), pack_id, lesson_id)
    total = Post.select().where(where).count() if classes else 0
    questions = list(Post.select().where(where).order_by(Post.created_at.desc(), Post.id.desc())
                     .paginate(max(1, page), limit)) if total else []
    threads = _threads(questions, coach.id, staff=False)
    for t in threads:
        t.class_name = classes[t.message.post.classroom_id] if len(classes) > 1 else ""
    return threads, total


def coach_question_total(account: Account, pack_id: str, lesson_id: str) -> int:
    """How many questions the coach's classes asked on a lesson (0 for anyone but a coach)."""
    if account.role != "coach":
        return 0
    classes = (CoachClass.select(CoachClass.classroom).join(Classroom)
               .where((CoachClass.coach == account.id) & ~Classroom.deleted))
    return Post.select().where(_coach_lesson_where(classes, pack_id, lesson_id)).count()


def _coach_lesson_where(class_ids, pack_id: str, lesson_id: str):
    return (Post.classroom_id.in_(class_ids) & (Post.pack_id == pack_id) & (Post.lesson_id == lesson_id)
            & Post.parent_id.is_null() & ~Post.deleted & ~Post.hidden)


def class_counts(classroom) -> tuple[int, int]:
    """(unanswered questions, reported posts) of a class, for the coach's overview (one query)."""
    unanswered = Case(None, [(Post.id.in_(_unanswered_query(classroom.id).select(Post.id)), 1)], 0)
    reported = Case(None, [(Post.reported_at.is_null(False), 1)], 0)
    row = (Post.select(fn.COALESCE(fn.SUM(unanswered), 0).alias("unanswered"),
                       fn.COALESCE(fn.SUM(reported), 0).alias("reported"))
           .where((Post.classroom_id == classroom.id) & ~Post.deleted & ~Post.hidden).dicts().get())
    return row["unanswered"], row["reported"]


def moderate(staff: Account, class_id: str, post_id: str, action: str) -> Post:
    """The coach marks an answer helpful (or not), hides or shows a post, or keeps a reported one."""
    classroom = class_for(staff, class_id)
    post = Post.get_or_none((Post.id == post_id) & (Post.classroom_id == classroom.id) & ~Post.deleted)
    if post is None:
        raise NotFound(N_("This post is not in this class."))
    if action not in MODERATION:
        raise InvalidInput(N_("Choose what to do with the post."))
    if action in ("helpful", "not_helpful") and post.parent_id is None:
        raise InvalidInput(N_("Only an answer can be marked helpful."))
    changes = dict(MODERATION[action], moderated_by=staff.id)
    if action == "hide":
        changes.update(reported_at=None, reported_by=None)  # hiding settles a report
    Post.update(**changes).where(Post.id == post.id).execute()
    return Post.get_by_id(post.id)


def posts_of(learner_id: str) -> list[dict]:
    """A learner's posts with their moderation state, for their data export."""
    return [{"id": p.id, "class": p.classroom_id, "pack": p.pack_id, "lesson": p.lesson_id,
             "answer_to": p.parent_id, "text": p.body, "created_at": p.created_at.isoformat(timespec="seconds"),
             "deleted": p.deleted, "hidden": p.hidden, "helpful": p.helpful}
            for p in Post.select().where(Post.author_id == learner_id).order_by(Post.created_at)]


def erase_posts(learner_id: str) -> int:
    """Remove a learner's posts and the coach's replies to them, whose events are in the learner's log
    (called inside the erasure transaction, before the events go); return how many."""
    replies = Event.select(Event.id).where((Event.learner_id == learner_id) & (Event.kind == "coach_reply"))
    return Post.delete().where((Post.author_id == learner_id) | Post.id.in_(replies)).execute()


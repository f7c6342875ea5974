"""What a take-home file holds, and the file itself, made once per pack version and language.

`take_home_file` returns the path of the file under DATA/take-home, building it the first time: lessons
(their pre-rendered HTML made self-contained by `inline`), transcripts of their audio and video, and
self-check questions with their answers. The caller (the web layer) turns a `HomePack` into the document,
in the page's language.

Decisions:
* Built lazily, once, and kept: the first learner to ask waits about a second on a Pi (images are
  re-encoded once, into DATA/take-home/images, and shared by every language); everyone after gets the file
  from disk, and its size is known before the download. The name carries a hash of the pack's id,
  version and import time and of FORMAT, so a new pack version (or a new layout) gets a new file, and the
  files of versions no longer installed are removed when the next one is made.
* Budget: 60 KB a lesson for text and pictures, averaged over the pack. Text always goes in (it is the
  lesson); each lesson then earns its share and pictures spend from what is left, at 480 px, then 320 px,
  then named in words. Questions are self-checks, not the question bank: a few per skill.
"""
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup, escape

from server.content.blobs import BlobStore
from server.content.quiz.grading import choices_for_display
from server.content.take_home.inline import Budget, Inliner
from server.storage import ensure_free_space
from server.models import Blob, Item, Lesson, PackVersion, Unit

FORMAT = 1  # raise when the file's content or layout changes: cached files are then rebuilt
LESSON_BUDGET = 60_000
SHELL_SHARE = 4_000  # per lesson, kept back for the page around the lessons (styles, contents, headings)
QUESTIONS_PER_SKILL = 3
QUESTIONS_PER_UNIT = 8
SELF_CHECK_KINDS = ("single", "multiple", "truefalse", "numeric", "short", "fill", "matching")
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass
class HomeQuestion:
    kind: str
    prompt: Markup
    choices: list[Markup]  # options to read (single, multiple, choice fills; matching's right-hand side)
    lefts: list[str]  # matching: the left-hand side, in order
    right: list[Markup]  # the right answer(s), ready to show
    truth: bool | None  # truefalse: which one
    feedback: Markup | None
    solution: Markup | None


@dataclass
class HomeLesson:
    anchor: str
    title: str
    html: Markup
    transcripts: list[tuple[str, list]]  # (media title, [[speaker, text], …])
    media: list[str]  # titles of the recordings, documents and activities left at school


@dataclass
class HomeUnit:
    anchor: str
    title: str
    lessons: list[HomeLesson] = field(default_factory=list)
    questions: list[HomeQuestion] = field(default_factory=list)


@dataclass
class HomePack:
    pack: PackVersion
    units: list[HomeUnit]


def take_home_file(data_dir: Path, pack: PackVersion, language: str, render: Callable[[HomePack], str],
                   left_out: Callable[[str], str], min_free_bytes: int = 0) -> Path:
    """The pack's take-home file in `language`, built with `render` the first time (see Decisions); a
    nearly full disk refuses the build (StorageFull) rather than fill the last bytes."""
    folder = Path(data_dir) / "take-home"
    path = folder / f"{pack.pack_id}-{_version_key(pack)}-{language}.html"
    if path.is_file():
        return path
    with _lock_for(path.name):
        if not path.is_file():
            ensure_free_space(Path(data_dir), min_free_bytes, needed=LESSON_BUDGET * max(1, pack.lesson_count))
            html = render(collect(pack, Path(data_dir), left_out, language))
            folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.part")
            partial.write_text(html, encoding="utf-8")
            partial.replace(path)
            _remove_other_versions(folder, pack)
    return path


def collect(pack: PackVersion, data_dir: Path, left_out: Callable[[str], str], language: str = "en") -> HomePack:
    """A pack version's units, lessons and self-check questions, self-contained and within the budget."""
    lessons = list(Lesson.select().where(Lesson.pack_version == pack).order_by(Lesson.position))
    anchors = {lesson.lesson_id: f"l{n}" for n, lesson in enumerate(lessons, start=1)}
    inliner = Inliner(pack.pack_id, BlobStore(data_dir / "blobs"), data_dir / "take-home" / "images",
                      _pack_blobs(), anchors, left_out, language)
    budget, units = Budget(), []
    items = _self_check_items(pack)
    for unit in Unit.select().where(Unit.pack_version == pack).order_by(Unit.position):
        home = HomeUnit(f"u{unit.position}", unit.title)
        for lesson in (lesson for lesson in lessons if lesson.unit_id == unit.id):
            home.lessons.append(_lesson(lesson, anchors[lesson.lesson_id], inliner, budget))
        for n, item in enumerate(items.get(unit.id, []), start=1):
            home.questions.append(_question(item.data, f"{home.anchor}-q{n}", inliner, budget))
        if home.lessons or home.questions:
            units.append(home)
    return HomePack(pack, units)


def _lesson(lesson: Lesson, anchor: str, inliner: Inliner, budget: Budget) -> HomeLesson:
    transcripts = [(m.get("title") or "", m["transcript"]) for m in lesson.media if m.get("transcript")]
    text = len(lesson.html.encode()) + sum(len(s or "") + len(t) for _, lines in transcripts for s, t in lines)
    budget.earn(LESSON_BUDGET - SHELL_SHARE - text)
    media = [m.get("title") or "" for m in lesson.media]
    return HomeLesson(anchor, lesson.title, Markup(inliner.fragment(lesson.html, anchor, budget)), transcripts,
                      media)


def _question(data: dict, anchor: str, inliner: Inliner, budget: Budget) -> HomeQuestion:
    def html(text: str | None) -> Markup | None:
        if not text:
            return None
        budget.earn(-len(text.encode()))
        return Markup(inliner.fragment(text, anchor, budget))

    choices, lefts, right, truth = _answers(data, html)
    return HomeQuestion(data["kind"], html(data.get("prompt_html")) or Markup(""), choices, lefts, right, truth,
                        html(data.get("feedback_html")), html(data.get("solution_html")))


def _answers(data: dict, html: Callable) -> tuple[list, list, list, bool | None]:
    """(choices to read, matching's left-hand side, the right answers, true or false) of one item."""
    kind, answers = data["kind"], data.get("answers", [])
    best = max((a.get("weight", 0) for a in answers), default=0)
    if kind in ("single", "multiple") or data.get("input") == "choice":
        choices = [html(a.get("text_html")) or Markup("") for a in answers]
        right = [choice for choice, a in zip(choices, answers)
                 if a["weight"] > 0 and (kind == "multiple" or a["weight"] == best)]
        return choices, [], right, None
    if kind == "truefalse":
        return [], [], [], next(bool(a["value"]) for a in answers if a["weight"] > 0)
    if kind == "matching":
        pairs = [p for p in data["pairs"] if p["left"]]
        return ([escape(text) for text in choices_for_display(data)], [p["left"] for p in pairs],
                [Markup("{} → {}").format(p["left"], p["right"]) for p in pairs], None)
    if kind == "numeric":
        return [], [], [escape(_number(a)) for a in answers if a["weight"] == best and "any" not in a], None
    return [], [], [escape(a["text"]) for a in answers if a["weight"] == best and a["text"].strip() != "*"], None


def _number(answer: dict) -> str:
    if "min" in answer:
        return f"{answer['min']:g} – {answer['max']:g}"
    return f"{answer['value']:g}" + (f" ± {answer['tolerance']:g}" if answer.get("tolerance") else "")


def _self_check_items(pack: PackVersion) -> dict[int, list[Item]]:
    """A few questions per skill and per unit, in pack order (a self-check, not the whole bank)."""
    chosen: dict[int, list[Item]] = {}
    per_skill: dict[tuple, int] = {}
    query = (Item.select().where((Item.pack_version == pack) & Item.kind.in_(SELF_CHECK_KINDS))
             .order_by(Item.position))
    for item in query:
        key = (item.unit_id, item.skill_id)
        if per_skill.get(key, 0) >= QUESTIONS_PER_SKILL or len(chosen.get(item.unit_id, [])) >= QUESTIONS_PER_UNIT:
            continue
        per_skill[key] = per_skill.get(key, 0) + 1
        chosen.setdefault(item.unit_id, []).append(item)
    return chosen


def _pack_blobs() -> set[str]:
    """The images packs installed (with their phone-sized copies): the only ones a file may inline, never a
    learner's upload (the store holds those too, but the Blob table does not)."""
    return {b.sha256 for b in Blob.select(Blob.sha256).where(Blob.media_type.startswith("image/"))}


def _version_key(pack: PackVersion) -> str:
    key = f"{FORMAT}:{pack.pack_id}:{pack.version}:{pack.imported_at}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _lock_for(name: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(name, threading.Lock())


def _remove_other_versions(folder: Path, pack: PackVersion) -> None:
    """Files of this pack's other versions (or older formats) go; this version's other languages stay."""
    keep = f"{pack.pack_id}-{_version_key(pack)}-"
    for old in folder.glob(f"{pack.pack_id}-*.html"):
        rest = old.name[len(pack.pack_id) + 1:]
        if not old.name.startswith(keep) and len(rest.split("-")) == 2:
            old.unlink(missing_ok=True)

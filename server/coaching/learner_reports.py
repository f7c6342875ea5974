"""One learner as their coach (and their family) sees them: read-only, in plain words.

The coach's learner page: what they did lately (the event log, newest first), mastery per
skill, their weekly goal and their reflections. The parent report is the same facts on one
printable page, as a few sentences.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.coaching import reports
from server.coaching.item_analysis import question_words, response_label
from server.content.quiz.grading import correct_answer_text
from server.learning import profiles
from server.learning.practice import SkillStatus
from server.people.classes import class_for, learner_in
from server.i18n import N_, ngettext, translate
from server.models import Account, Answer, Event, Item, LearnerStat, Lesson, PackVersion, Skill, Unit
from server.models.base import utcnow
from server.learning.progress_report import LearnerReport, learner_report

TIMELINE_LENGTH = 40
ACTIVE_WINDOW_DAYS = 30
WRONG_SHOWN = 10  # recent wrong answers on the coach's learner page
UNTITLED = {  # shown instead of an id when a title or a question's words are missing
    "lesson": N_("a lesson no longer installed"), "skill": N_("a skill no longer installed"),
    "unit": N_("a unit no longer installed"), "item": N_("a question no longer installed"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    text: str


@dataclass(frozen=True)
class Reflection:
    at: datetime
    unit_title: str
    learned: str
    next: str


@dataclass(frozen=True)
class LearnerView:
    classroom: object
    learner: Account
    school_name: str
    report: LearnerReport
    timeline: list[TimelineEntry]
    reflections: list[Reflection]
    week_done: int
    weekly_goal: int
    answers: int
    correct: int
    days_active: int  # in the last ACTIVE_WINDOW_DAYS days

    @property
    def language(self) -> str:
        """The language the family reads: the learner's own choice, else the school's."""
        return (self.learner.profile or {}).get("language") or self.classroom.school.language or "en"

    @property
    def summary(self) -> list[str]:
        """The parent report's sentences (in the language of the page being made)."""
        return parent_sentences(self.learner.display_name, self.answers, self.correct, self.days_active,
                                [s.title for p in self.report.packs for s in p.mastered],
                                [s.title for s in self.report.in_progress])


@dataclass(frozen=True)
class SkillLine:
    """A skill on the coach's learner page: the overview's cell (same rule, same words) and the learner's
    own status (how many right answers are still needed)."""

    status: SkillStatus
    cell: reports.Cell


@dataclass(frozen=True)
class PackSkills:
    pack: PackVersion
    mastered: int
    lines: list[SkillLine]


@dataclass(frozen=True)
class WrongAnswerLine:
    """One recent wrong answer: the question's words, what the learner answered, the right answer."""

    at: datetime
    language: str  # the pack's
    prompt: str
    given: str
    right: str


@dataclass(frozen=True)
class CoachLearnerPage:
    view: "LearnerView"
    packs: list[PackSkills]
    wrong: list[WrongAnswerLine]


# --- pure helpers -----------------------------------------------------------------------------

def describe_event(kind: str, payload: dict, titles: dict) -> str:
    """One line of the timeline in plain words; `titles` maps (kind, pack id, id) to a title."""
    pack = payload.get("pack_id", "")

    def title(of: str, ref: str | None) -> str:
        return titles.get((of, pack, ref)) or translate(UNTITLED[of])

    def say(message: str, **params) -> str:
        return translate(message) % params if params else translate(message)
    skill, lesson = title("skill", payload.get("skill_id")), title("lesson", payload.get("lesson_id"))
    if kind == "answer":
        if payload.get("correct"):
            return say(N_("Answered a question on %(skill)s: right"), skill=skill)
        return say(N_("Answered a question on %(skill)s: not right"), skill=skill)
    if kind == "lesson_opened":
        return say(N_("Opened the lesson “%(lesson)s”"), lesson=lesson)
    if kind == "lesson_finished":
        return say(N_("Finished the lesson “%(lesson)s”"), lesson=lesson)
    if kind == "mastered":
        return say(N_("Mastered %(skill)s"), skill=skill)
    if kind == "mastery_lost":
        return say(N_("Needs to refresh %(skill)s (recent answers show it has faded)"), skill=skill)
    if kind == "goal_set":
        return say(N_("Set a weekly goal of %(num)s answers"), num=payload.get("weekly_answers"))
    if kind == "reflection":
        return say(N_("Wrote a reflection on “%(unit)s”"), unit=title("unit", payload.get("unit_id")))
    if kind == "post":
        if payload.get("parent_id"):
            return say(N_("Answered a classmate’s question on “%(lesson)s”"), lesson=lesson)
        return say(N_("Asked the class a question on “%(lesson)s”"), lesson=lesson)
    if kind == "coach_reply":
        return say(N_("Got a reply from the coach on “%(lesson)s”"), lesson=lesson)
    if kind == "post_deleted":
        return say(N_("Deleted one of their posts"))
    if kind == "handed_in":
        if payload.get("source") == "project":
            return say(N_("Handed in work for the project “%(title)s”"), title=payload.get("project_title", "?"))
        return say(N_("Answered an open question on %(skill)s (sent to the coach)"), skill=skill)
    if kind == "work_reviewed":
        return say(N_("Got feedback from the coach on handed-in work"))
    return kind.replace("_", " ").capitalize()


def parent_sentences(name: str, answers: int, correct: int, days_active: int,
                     mastered: list[str], working_on: list[str]) -> list[str]:
    """A short report a family can read: what the learner did, can do, and is working on."""
    if not answers:
        return [translate(N_("%(name)s has not answered practice questions on Lantern yet.")) % {"name": name}]
    lines = [ngettext("%(name)s answered %(num)d practice question and got %(right)d right.",
                      "%(name)s answered %(num)d practice questions and got %(right)d right.",
                      answers, name=name, right=correct) + " "
             + translate(N_("%(name)s practised on %(days)d of the last %(window)d days.")) % {
                 "name": name, "days": days_active, "window": ACTIVE_WINDOW_DAYS}]
    if mastered:
        lines.append(translate(N_("%(name)s has mastered: %(skills)s.")) % {
            "name": name, "skills": ", ".join(mastered)})
    if working_on:
        lines.append(translate(N_("%(name)s is now working on: %(skills)s.")) % {
            "name": name, "skills": ", ".join(working_on)})
    lines.append(translate(N_("You can help by asking them to explain one thing they learned this week.")))
    return lines


# --- reading the database ---------------------------------------------------------------------

def learner_view(account: Account, class_id: str, learner_id: str) -> LearnerView:
    """Everything the coach's learner page and the parent report show (read-only)."""
    classroom = class_for(account, class_id)
    learner = learner_in(classroom, learner_id)
    events = list(Event.select().where(Event.learner_id == learner.id)
                  .order_by(Event.created_at.desc(), Event.id.desc()).limit(TIMELINE_LENGTH))
    reflections = list(Event.select().where((Event.learner_id == learner.id) & (Event.kind == "reflection"))
                       .order_by(Event.created_at.desc()).limit(20))
    titles = _titles(events + reflections)
    stat = LearnerStat.get_or_none(LearnerStat.learner_id == learner.id)
    done, goal = profiles.weekly_progress(learner)
    return LearnerView(
        classroom, learner, classroom.school.name, learner_report(learner),
        [TimelineEntry(e.created_at, e.kind, describe_event(e.kind, e.payload, titles)) for e in events],
        [Reflection(e.created_at, titles.get(("unit", e.payload.get("pack_id"), e.payload.get("unit_id")), ""),
                    e.payload.get("learned", ""), e.payload.get("next", "")) for e in reflections],
        done, goal, stat.answers if stat else 0, stat.correct if stat else 0, _days_active(learner.id))


def _titles(events: list[Event]) -> dict:
    """Titles of the lessons, skills and units these events mention (three queries at most)."""
    wanted = {"lesson": set(), "skill": set(), "unit": set()}
    for event in events:
        for kind in wanted:
            if event.payload.get(f"{kind}_id"):
                wanted[kind].add(event.payload[f"{kind}_id"])
    titles = {}
    for kind, model, field in (("lesson", Lesson, Lesson.lesson_id), ("skill", Skill, Skill.skill_id),
                               ("unit", Unit, Unit.unit_id)):
        if wanted[kind]:
            for row in (model.select(PackVersion.pack_id, field.alias("ref"), model.title).join(PackVersion)
                        .where(PackVersion.is_active & field.in_(sorted(wanted[kind]))).dicts()):
                titles[(kind, row["pack_id"], row["ref"])] = row["title"]
    return titles


def _days_active(learner_id: str) -> int:
    since = utcnow() - timedelta(days=ACTIVE_WINDOW_DAYS)
    return len({a.answered_at.date() for a in Answer.select(Answer.answered_at).where(
        (Answer.learner_id == learner_id) & (Answer.answered_at >= since))})


# --- the coach's learner page -------------------------------------------------------------------

def coach_learner_page(account: Account, class_id: str, learner_id: str) -> CoachLearnerPage:
    """The learner view, with each skill as the class overview shows it and the recent wrong answers."""
    view = learner_view(account, class_id, learner_id)
    return CoachLearnerPage(view, [_pack_skills(view.learner.id, p) for p in view.report.packs],
                            recent_wrong_answers(view.learner.id))


def _pack_skills(learner_id: str, progress) -> PackSkills:
    columns = reports.skill_columns(progress.pack)
    cells = dict(zip((c.skill_id for c in columns), reports.learner_cells(
        reports.skill_states([learner_id], progress.pack.pack_id).get(learner_id, {}), columns, utcnow())))
    lines = [SkillLine(s, cells.get(s.skill_id) or reports.Cell("new")) for s in progress.skills]
    return PackSkills(progress.pack, sum(line.cell.is_mastered for line in lines), lines)


def recent_wrong_answers(learner_id: str, limit: int = WRONG_SHOWN) -> list[WrongAnswerLine]:
    """The learner's latest wrong answers, each with the question's words (never its id), newest first."""
    rows = list(Answer.select(Answer.pack_id, Answer.item_id, Answer.response, Answer.answered_at)
                .where((Answer.learner_id == learner_id) & ~Answer.is_correct)
                .order_by(Answer.answered_at.desc(), Answer.event_id.desc()).limit(limit))
    items = {}
    for i in (Item.select(Item.item_id, Item.data, PackVersion.pack_id, PackVersion.language).join(PackVersion)
              .where(PackVersion.is_active & Item.item_id.in_(sorted({r.item_id for r in rows}))).dicts()
              if rows else []):
        items[(i["pack_id"], i["item_id"])] = (i["data"], i["language"])
    return [_wrong_line(row, *items.get((row.pack_id, row.item_id), ({}, ""))) for row in rows]


def _wrong_line(row: Answer, item: dict, language: str) -> WrongAnswerLine:
    if not item:
        return WrongAnswerLine(row.answered_at, "", translate(UNTITLED["item"]), response_label({}, row.response), "")
    right = correct_answer_text(item)
    if item.get("kind") == "truefalse":
        right = translate(N_("True") if right == "True" else N_("False"))
    return WrongAnswerLine(row.answered_at, language, question_words(item), response_label(item, row.response), right)

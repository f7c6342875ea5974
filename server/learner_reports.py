"""One learner as their coach (and their family) sees them: read-only, in plain words.

The coach's learner page: what they did lately (the event log, newest first), mastery per
skill, their weekly goal and their reflections. The parent report is the same facts on one
printable page, as a few sentences.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from server import profiles
from server.classes import class_for, learner_in
from server.models import Account, Answer, Event, LearnerStat, Lesson, PackVersion, Skill, Unit
from server.models.base import utcnow
from server.progress_report import LearnerReport, learner_report

TIMELINE_LENGTH = 40
ACTIVE_WINDOW_DAYS = 30


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
    def summary(self) -> list[str]:
        """The parent report's sentences."""
        return parent_sentences(self.learner.display_name, self.answers, self.correct, self.days_active,
                                [s.title for p in self.report.packs for s in p.mastered],
                                [s.title for s in self.report.in_progress])


# --- pure helpers -----------------------------------------------------------------------------

def describe_event(kind: str, payload: dict, titles: dict) -> str:
    """One line of the timeline in plain words; `titles` maps (kind, pack id, id) to a title."""
    pack = payload.get("pack_id", "")

    def title(of: str, ref: str | None) -> str:
        return titles.get((of, pack, ref), ref or "?")
    if kind == "answer":
        result = "right" if payload.get("correct") else "not right"
        return f"Answered a question on {title('skill', payload.get('skill_id'))}: {result}"
    if kind in ("lesson_opened", "lesson_finished"):
        verb = "Opened" if kind == "lesson_opened" else "Finished"
        return f"{verb} the lesson “{title('lesson', payload.get('lesson_id'))}”"
    if kind == "mastered":
        return f"Mastered {title('skill', payload.get('skill_id'))}"
    if kind == "goal_set":
        return f"Set a weekly goal of {payload.get('weekly_answers')} answers"
    if kind == "reflection":
        return f"Wrote a reflection on “{title('unit', payload.get('unit_id'))}”"
    return kind.replace("_", " ").capitalize()


def parent_sentences(name: str, answers: int, correct: int, days_active: int,
                     mastered: list[str], working_on: list[str]) -> list[str]:
    """A short report a family can read: what the learner did, can do, and is working on."""
    if not answers:
        return [f"{name} has not answered practice questions on Lantern yet."]
    lines = [f"{name} answered {answers} practice question{'s' if answers != 1 else ''} and got "
             f"{correct} right. {name} practised on {days_active} of the last {ACTIVE_WINDOW_DAYS} days."]
    if mastered:
        lines.append(f"{name} has mastered: {', '.join(mastered)}.")
    if working_on:
        lines.append(f"{name} is now working on: {', '.join(working_on)}.")
    lines.append("You can help by asking them to explain one thing they learned this week.")
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

"""What a learner sees of their own progress, in words they can follow."""
from dataclasses import dataclass
from datetime import timedelta

from server.errors import InvalidInput, NotFound
from server.content.library import get_pack
from server.models import Account, Answer, Event, LessonProgress, PackVersion, Unit
from server.models.base import utcnow
from server.learning.practice import SkillStatus, skill_statuses
from server.learning.progress import record_event

MAX_REFLECTION = 2000


@dataclass(frozen=True)
class PackProgress:
    pack: PackVersion
    skills: list[SkillStatus]
    lessons_finished: int

    @property
    def mastered(self) -> list[SkillStatus]:
        return [s for s in self.skills if s.state in ("mastered", "review_due")]


@dataclass(frozen=True)
class LearnerReport:
    packs: list[PackProgress]
    due: list[SkillStatus]
    in_progress: list[SkillStatus]
    day_streak: int
    badges: list[str]


def learner_report(learner: Account) -> LearnerReport:
    """The learner's standing in every pack they have started."""
    finished = {}
    for row in LessonProgress.select().where((LessonProgress.learner_id == learner.id)
                                             & LessonProgress.finished_at.is_null(False)):
        finished[row.pack_id] = finished.get(row.pack_id, 0) + 1
    packs = []
    for pack in PackVersion.select().where(PackVersion.is_active).order_by(PackVersion.title):
        statuses = skill_statuses(learner.id, pack)
        if finished.get(pack.pack_id) or any(s.attempts for s in statuses):
            packs.append(PackProgress(pack, statuses, finished.get(pack.pack_id, 0)))
    every = [s for p in packs for s in p.skills]
    streak = day_streak(learner.id)
    mastered = sum(len(p.mastered) for p in packs)
    badges = [label for count, label in ((1, "First skill mastered"), (5, "Five skills mastered"))
              if mastered >= count] + (["A week of learning in a row"] if streak >= 7 else [])
    return LearnerReport(packs, [s for s in every if s.state == "review_due"],
                         [s for s in every if s.state in ("refresh", "in_progress")], streak, badges)


def day_streak(learner_id: str) -> int:
    """Days in a row, ending today or yesterday, with at least one answer."""
    since = utcnow() - timedelta(days=60)
    days = {a.answered_at.date() for a in Answer.select(Answer.answered_at).where(
        (Answer.learner_id == learner_id) & (Answer.answered_at >= since))}
    day, streak = utcnow().date(), 0
    if day not in days:
        day -= timedelta(days=1)
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def unit_of(pack_id: str, unit_id: str) -> Unit:
    """A unit of an active pack, or NotFound."""
    unit = Unit.get_or_none((Unit.pack_version == get_pack(pack_id)) & (Unit.unit_id == unit_id))
    if unit is None:
        raise NotFound("This unit is not in the pack.")
    return unit


def save_reflection(learner: Account, pack_id: str, unit_id: str, form) -> Event:
    """Record a reflection on a unit (plain text, kept short)."""
    unit_of(pack_id, unit_id)
    text = (form.get("learned", "") + "\n" + form.get("next", "")).strip()
    if not text:
        raise InvalidInput("Write a few words, or choose “Skip”.", field="learned")
    if len(text) > MAX_REFLECTION:
        raise InvalidInput("Please keep your reflection shorter.", field="learned")
    event, _ = record_event(learner.id, "reflection", {"pack_id": pack_id, "unit_id": unit_id,
                                                       "learned": form.get("learned", "")[:1000],
                                                       "next": form.get("next", "")[:1000]})
    return event

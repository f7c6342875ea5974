"""What a learner is offered after a lesson, and which "What next" suggestions they can read.

Decisions:
* After a lesson its own practice comes first ("Now practise: …"): a lesson is followed by the questions
  that check it, so finishing never jumps past them. Then work the coach assigned, then the reflection at
  a unit's end, then the next lesson. A skill already mastered, locked, or without questions is skipped.
* "What next" keeps a suggestion only when its pack is in a language the learner reads: the language of
  the pages they are reading (their own choice, else the school's) and the school's. Work a coach assigned
  is always kept: the coach chose it for them. This filters `recommend.suggest` from outside, so the
  choice of suggestions itself stays in `recommend`.
"""
from dataclasses import dataclass

from server.content.library import LessonPage
from server.learning.practice import skill_statuses
from server.learning.recommend import Suggestion, suggest
from server.models import Account, PackVersion, School

PLAYABLE = ("new", "in_progress", "refresh", "review_due")


@dataclass(frozen=True)
class LessonPractice:
    """The practice that follows a lesson: the skill's title and where to answer."""
    title: str
    url: str


def lesson_practice(learner: Account, page: LessonPage) -> LessonPractice | None:
    """The first skill of this lesson the learner can still practise (not mastered, not locked)."""
    wanted = list(page.lesson.skills or [])
    if not wanted:
        return None
    statuses = {s.skill_id: s for s in skill_statuses(learner.id, page.pack)}
    for skill_id in wanted:
        status = statuses.get(skill_id)
        if status and status.state in PLAYABLE and status.item_count:
            return LessonPractice(status.title, f"/practice/{status.pack_id}/{status.skill_id}")
    return None


def after_lesson(learner: Account, page: LessonPage, unit_ends: bool) -> str | None:
    """Where finishing a lesson leads: its practice, else open assigned work; None: the usual next page."""
    practice = lesson_practice(learner, page)
    if practice:
        return practice.url
    here = f"/packs/{page.pack.pack_id}/lessons/{page.lesson.lesson_id}"
    assigned = next((s.url for s in suggest(learner, limit=6) if s.kind == "assigned" and s.url != here), None)
    if assigned and not unit_ends:
        return assigned
    return None


def languages_read(learner: Account, page_language: str) -> set[str]:
    """The languages a learner reads: the page's (their own choice, else the school's) and the school's."""
    school = School.select(School.language).where(~School.deleted).first()
    codes = {page_language, (school.language if school else "") or ""}
    return {code.split("-")[0].lower() for code in codes if code}


def readable_suggestions(learner: Account, page_language: str, limit: int = 3) -> list[Suggestion]:
    """ "What next" for this learner, without packs in languages they do not read (assigned work stays)."""
    languages = languages_read(learner, page_language)
    packs = {p.pack_id: p.language.split("-")[0].lower()
             for p in PackVersion.select(PackVersion.pack_id, PackVersion.language).where(PackVersion.is_active)}
    kept = [s for s in suggest(learner, limit=limit * 3)
            if s.kind == "assigned" or packs.get(_pack_of(s.url)) in languages]
    return kept[:limit]


def _pack_of(url: str) -> str:
    """The pack id in a suggestion's address (/packs/<id>/… or /practice/<id>/…)."""
    parts = url.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] in ("packs", "practice") else ""

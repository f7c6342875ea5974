""""What next": a few choices for a learner, each with a reason they can understand.

Order of preference: work a coach assigned, reviews that are due, a skill in progress,
the next step after a mastered prerequisite, something matching the learner's interests.
The learner picks; nothing here forces a path.
"""
from dataclasses import dataclass
from datetime import date

from server.content.library import PAGE_COLUMNS, lesson_skills
from server.learning import pack_facts
from server.models import Account, Assignment, Lesson, LessonProgress, PackVersion
from server.models.base import utcnow
from server.learning.practice import SkillStatus, skill_statuses


@dataclass(frozen=True)
class Suggestion:
    kind: str  # assigned | refresh | review | continue | next | keep_fresh | interest
    title: str
    reason: str  # in English; the page says it in the learner's language from the fields below
    url: str
    due: date | None = None  # assigned work
    needed: int = 0  # right answers still needed (continue)
    skill: str = ""  # the skill's title (review, continue, next)
    topic: str = ""  # the matching interest (interest)


def suggest(learner: Account, limit: int = 3) -> list[Suggestion]:
    """Up to `limit` suggestions, at most one of each kind first, then more of the best kinds."""
    packs = _packs_for(learner)
    statuses = {p.pack_id: skill_statuses(learner.id, p) for p in packs}
    finished = {(r.pack_id, r.lesson_id) for r in LessonProgress.select().where(
        (LessonProgress.learner_id == learner.id) & LessonProgress.finished_at.is_null(False))}
    pools = [_assigned(learner, finished, statuses), _refreshes(statuses), _reviews(statuses), _continuing(statuses),
             _next_steps(statuses, packs, finished)]
    if not any(pools[1:4]):  # nothing to refresh, review or finish: practice keeps mastered skills fresh
        pools.append(_keep_fresh(statuses))
    pools.append(_interests(learner, packs, finished))
    chosen: list[Suggestion] = []
    for pool in pools:  # one of each kind first, so the learner has a real choice
        if pool and len(chosen) < limit:
            chosen.append(pool.pop(0))
    for pool in pools:
        while pool and len(chosen) < limit:
            chosen.append(pool.pop(0))
    seen, unique = set(), []
    for suggestion in chosen:
        if suggestion.url not in seen:
            seen.add(suggestion.url)
            unique.append(suggestion)
    return unique


def _packs_for(learner: Account) -> list[PackVersion]:
    packs = list(PackVersion.select(*PAGE_COLUMNS).where(PackVersion.is_active).order_by(PackVersion.title))
    language = (learner.profile or {}).get("language")
    return sorted(packs, key=lambda p: (p.language.split("-")[0] != language, p.title)) if language else packs


def _practice_url(status: SkillStatus) -> str:
    return f"/practice/{status.pack_id}/{status.skill_id}"


def _assigned(learner: Account, finished: set, statuses: dict) -> list[Suggestion]:
    targets = [("learner", learner.id)] + ([("class", learner.classroom_id)] if learner.classroom_id else [])
    out = []
    rows = Assignment.select().where(~Assignment.deleted).order_by(Assignment.due.asc(nulls="last"), Assignment.created_at)
    for row in rows:
        target = (row.target.get("type"), row.target.get("id"))
        in_group = target[0] == "group" and learner.id in row.target.get("members", [])
        if target not in targets and not in_group:
            continue
        due = f" (due {row.due:%A %d %B})" if row.due else ""
        if row.kind == "lesson" and (row.pack_id, row.ref_id) not in finished:
            out.append(Suggestion("assigned", row.title, f"Your coach assigned this{due}.",
                                  f"/packs/{row.pack_id}/lessons/{row.ref_id}", due=row.due))
        elif row.kind == "skill":
            status = next((s for s in statuses.get(row.pack_id, []) if s.skill_id == row.ref_id), None)
            if status and status.state not in ("mastered",):
                out.append(Suggestion("assigned", row.title, f"Your coach assigned this{due}.", _practice_url(status),
                                      due=row.due))
    return out


def _reviews(statuses: dict) -> list[Suggestion]:
    return [Suggestion("review", f"Review: {s.title}", "Due for review today: a few questions keep it fresh.",
                       _practice_url(s), skill=s.title) for group in statuses.values() for s in group if s.state == "review_due"]


def _refreshes(statuses: dict) -> list[Suggestion]:
    return [Suggestion("refresh", f"Refresh: {s.title}", "You knew this before: a few right answers bring it back.",
                       _practice_url(s), needed=s.needed, skill=s.title)
            for group in statuses.values() for s in group if s.state == "refresh" and s.item_count]


def _keep_fresh(statuses: dict) -> list[Suggestion]:
    """Practice for skills already mastered, the faintest first: there is always something to practise."""
    mastered = sorted((s for group in statuses.values() for s in group if s.state == "mastered" and s.item_count),
                      key=lambda s: (s.p_known, s.title))
    return [Suggestion("keep_fresh", f"Keep it fresh: {s.title}", "You mastered this. Practice keeps it strong.",
                       _practice_url(s), skill=s.title) for s in mastered]


def _continuing(statuses: dict) -> list[Suggestion]:
    return [Suggestion("continue", f"Keep going: {s.title}",
                       f"{s.needed} more right answer{'s' if s.needed != 1 else ''} to master it.", _practice_url(s),
                       needed=s.needed, skill=s.title)
            for group in statuses.values() for s in group if s.state == "in_progress" and s.item_count]


def _next_steps(statuses: dict, packs: list[PackVersion], finished: set) -> list[Suggestion]:
    out = []
    for pack in packs:
        by_id = {s.skill_id: s for s in statuses[pack.pack_id]}
        for status in statuses[pack.pack_id]:
            if status.state != "new":
                continue
            lesson = _first_unfinished_lesson(pack, status.skill_id, finished)
            url = f"/packs/{pack.pack_id}/lessons/{lesson}" if lesson else _practice_url(status)
            if not status.item_count and not lesson:
                continue
            reason = ("You mastered the step before." if _has_mastered_prereq(status, by_id, pack)
                      else "A good place to start.")
            out.append(Suggestion("next", f"Next: {status.title}", reason, url, skill=status.title))
    return out


def _has_mastered_prereq(status: SkillStatus, by_id: dict, pack: PackVersion) -> bool:
    skill = pack_facts.facts_for(pack).skill(status.skill_id)  # in memory per pack version
    return bool(skill and skill.prerequisites and all(by_id[p].state in ("mastered", "review_due")
                                                      for p in skill.prerequisites if p in by_id))


def _first_unfinished_lesson(pack: PackVersion, skill_id: str, finished: set) -> str | None:
    """The id of the first lesson teaching this skill that the learner has not finished."""
    for lesson_id, skills in lesson_skills(pack):  # in memory per pack version
        if skill_id in skills and (pack.pack_id, lesson_id) not in finished:
            return lesson_id
    return None


def _interests(learner: Account, packs: list[PackVersion], finished: set) -> list[Suggestion]:
    interests = {i.lower() for i in (learner.profile or {}).get("interests", [])}
    out = []
    for pack in packs:
        subjects = {s.lower() for s in pack.subjects}
        if not interests & subjects:
            continue
        lesson = (Lesson.select(Lesson.lesson_id, Lesson.title).where(Lesson.pack_version == pack)
                  .order_by(Lesson.position))
        for row in lesson:
            if (pack.pack_id, row.lesson_id) not in finished:
                topic = sorted(interests & subjects)[0]
                out.append(Suggestion("interest", row.title, f"Matches your interest in {topic}.",
                                      f"/packs/{pack.pack_id}/lessons/{row.lesson_id}", topic=topic))
                break
    return out

"""Study buddies: the coach's overview suggests pairs, the coach decides, both learners see it.

A suggestion pairs a learner stuck on a skill (the overview's "struggling" state) with a classmate
who has mastered it, spreading the helping across the class. Nothing is stored until the coach
confirms; the coach can end a pairing at any time. The rule is a pure function over the overview's
rows (tested with tables); reading and writing the pairs is below it.
"""
from dataclasses import dataclass

from server.people.classes import class_for, learner_in
from server.learning.discussion import first_name
from server.errors import InvalidInput, NotFound
from server.i18n import N_
from server.ids import uuid7
from server.models import Account, PackVersion, Skill, SkillState
from server.models.base import utcnow
from server.models.discussion import StudyPair

MAX_SUGGESTIONS = 8


@dataclass(frozen=True)
class Suggestion:
    helper_id: str
    helper_name: str
    learner_id: str
    learner_name: str
    skill_id: str
    skill_title: str


@dataclass(frozen=True)
class Pairing:
    """A confirmed pair as a page shows it."""

    pair: StudyPair
    helper_name: str
    learner_name: str
    skill_title: str


@dataclass(frozen=True)
class BuddyPanel:
    suggestions: list[Suggestion]
    active: list[Pairing]


@dataclass(frozen=True)
class MyPairing:
    """A pairing as one of its two learners sees it."""

    is_helper: bool
    buddy: str  # the other learner's first name
    skill_title: str
    pack_id: str
    skill_id: str


# --- the pure rule ----------------------------------------------------------------------------

def suggest_pairs(rows, skills, paired: set[tuple[str, str]], load: dict[str, int] | None = None,
                  limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Pairs (mastered → stuck) from the overview grid; `paired` holds (learner, skill) already paired,
    `load` how many learners each helper already helps. Each stuck learner gets one suggestion."""
    load = dict(load or {})
    out: list[Suggestion] = []
    suggested: set[str] = set()
    for i, skill in enumerate(skills):
        helpers = [row for row in rows if row.cells[i].is_mastered]
        for row in rows:
            if (row.cells[i].state != "struggling" or row.learner_id in suggested
                    or (row.learner_id, skill.skill_id) in paired or not helpers):
                continue
            helper = min(helpers, key=lambda h: (load.get(h.learner_id, 0), h.name))
            load[helper.learner_id] = load.get(helper.learner_id, 0) + 1
            suggested.add(row.learner_id)
            out.append(Suggestion(helper.learner_id, helper.name, row.learner_id, row.name,
                                  skill.skill_id, skill.title))
    return out[:limit]


# --- the coach --------------------------------------------------------------------------------

def buddy_panel(overview) -> BuddyPanel:
    """Suggested and confirmed pairs for the class overview (on its chosen pack)."""
    if overview.pack is None:
        return BuddyPanel([], [])
    active = _active(overview.classroom.id)
    names = {row.learner_id: row.name for row in overview.rows}
    titles = _skill_titles({(p.pack_id, p.skill_id) for p in active})
    paired = {(p.learner_id, p.skill_id) for p in active if p.pack_id == overview.pack.pack_id}
    load: dict[str, int] = {}
    for p in active:
        load[p.helper_id] = load.get(p.helper_id, 0) + 1
    shown = [Pairing(p, names.get(p.helper_id, "?"), names.get(p.learner_id, "?"),
                     titles.get((p.pack_id, p.skill_id), p.skill_id)) for p in active]
    return BuddyPanel(suggest_pairs(overview.rows, overview.skills, paired, load), shown)


def confirm_pair(staff: Account, class_id: str, form) -> StudyPair:
    """The coach confirms a pair: the helper has mastered the skill, the learner has not."""
    classroom = class_for(staff, class_id)
    helper = learner_in(classroom, form.get("helper", ""))
    learner = learner_in(classroom, form.get("learner", ""))
    pack_id, skill_id = form.get("pack", ""), form.get("skill", "")
    if helper.id == learner.id:
        raise InvalidInput(N_("Choose two different learners."))
    if (pack_id, skill_id) not in _skill_titles({(pack_id, skill_id)}):
        raise NotFound(N_("This skill is not in an installed pack."))
    states = {s.learner_id: s.mastered_at for s in SkillState.select().where(
        (SkillState.pack_id == pack_id) & (SkillState.skill_id == skill_id)
        & SkillState.learner_id.in_([helper.id, learner.id]))}
    if states.get(helper.id) is None:
        raise InvalidInput(N_("%(name)s has not mastered this skill, so cannot be the helper."),
                           name=helper.display_name)
    if states.get(learner.id) is not None:
        raise InvalidInput(N_("%(name)s has already mastered this skill."), name=learner.display_name)
    existing = StudyPair.get_or_none((StudyPair.classroom_id == classroom.id) & StudyPair.ended_at.is_null()
                                     & (StudyPair.helper_id == helper.id) & (StudyPair.learner_id == learner.id)
                                     & (StudyPair.pack_id == pack_id) & (StudyPair.skill_id == skill_id))
    if existing is not None:
        return existing  # confirming twice pairs them once
    return StudyPair.create(id=uuid7(), classroom_id=classroom.id, pack_id=pack_id, skill_id=skill_id,
                            helper_id=helper.id, learner_id=learner.id, created_by=staff.id)


def end_pair(staff: Account, class_id: str, pair_id: str) -> StudyPair:
    """The coach ends a pairing (it stays on record, ended)."""
    classroom = class_for(staff, class_id)
    pair = StudyPair.get_or_none((StudyPair.id == pair_id) & (StudyPair.classroom_id == classroom.id))
    if pair is None:
        raise NotFound(N_("This pairing is not in this class."))
    if pair.ended_at is None:
        pair.ended_at, pair.ended_by = utcnow(), staff.id
        pair.save()
    return pair


def _active(class_id: str) -> list[StudyPair]:
    return list(StudyPair.select().where((StudyPair.classroom_id == class_id) & StudyPair.ended_at.is_null())
                .order_by(StudyPair.created_at))


def _skill_titles(keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    if not keys:
        return {}
    rows = (Skill.select(Skill.skill_id, Skill.title, PackVersion.pack_id).join(PackVersion)
            .where(PackVersion.is_active & PackVersion.pack_id.in_([k[0] for k in keys])
                   & Skill.skill_id.in_([k[1] for k in keys])))
    return {(r.pack_version.pack_id, r.skill_id): r.title for r in rows}


# --- the learners -----------------------------------------------------------------------------

def pairings_for(learner: Account) -> list[MyPairing]:
    """The learner's current study buddies, as helper or as the one helped."""
    if not learner.classroom_id:
        return []
    pairs = list(StudyPair.select().where(
        (StudyPair.classroom_id == learner.classroom_id) & StudyPair.ended_at.is_null()
        & ((StudyPair.helper_id == learner.id) | (StudyPair.learner_id == learner.id))).order_by(StudyPair.created_at))
    if not pairs:
        return []
    others = {p.learner_id if p.helper_id == learner.id else p.helper_id for p in pairs}
    names = {a.id: first_name(a.display_name) for a in Account.select(Account.id, Account.display_name)
             .where(Account.id.in_(list(others)) & ~Account.deleted)}
    titles = _skill_titles({(p.pack_id, p.skill_id) for p in pairs})
    out = []
    for p in pairs:
        is_helper = p.helper_id == learner.id
        buddy = names.get(p.learner_id if is_helper else p.helper_id)
        if buddy and (p.pack_id, p.skill_id) in titles:
            out.append(MyPairing(is_helper, buddy, titles[(p.pack_id, p.skill_id)], p.pack_id, p.skill_id))
    return out


def pairs_of(learner_id: str) -> list[dict]:
    """A learner's pairings, for their data export."""
    return [{"skill": p.skill_id, "pack": p.pack_id, "role": "helper" if p.helper_id == learner_id else "helped",
             "since": p.created_at.isoformat(timespec="seconds"),
             "ended": p.ended_at and p.ended_at.isoformat(timespec="seconds")}
            for p in StudyPair.select().where(_involving(learner_id))]


def erase_pairs(learner_id: str) -> int:
    """Remove every pairing a learner is part of (inside the erasure transaction)."""
    return StudyPair.delete().where(_involving(learner_id)).execute()


def _involving(learner_id: str):
    return (StudyPair.helper_id == learner_id) | (StudyPair.learner_id == learner_id)

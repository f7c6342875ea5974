"""Coaches assign work (groups are made in server/coaching/groups.py).

Work is a lesson or a skill's practice, assigned to the whole class, a group or one learner,
with an optional due date. An Assignment row names its target as {"type": "class"|"group"|
"learner", "id": …}; a group target also carries the members at the time of assigning, so
"What next" (server/learning/recommend.py, which puts assigned work first) needs no join. Rows carry
`version` and `deleted` for sync: removing work is a tombstone, never a row removal.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime

from server.people.audit import record
from server.people.classes import class_for, learners_query
from server.db import database
from server.errors import InvalidInput, NotFound
from server.i18n import N_
from server.ids import uuid7
from server.models import Account, Assignment, LearnerGroup, Lesson, PackVersion, Skill
from server.models.base import utcnow
from server.coaching.reports import choose_pack

MAX_WORK_AT_ONCE = 20
MAX_DAYS_AHEAD = 366
WORK = re.compile(r"^(lesson|skill):([a-z0-9][a-z0-9_.-]{0,79})\Z")


@dataclass(frozen=True)
class WorkChoice:
    value: str  # "lesson:<id>" | "skill:<id>"
    title: str  # what the learner sees in "What next"


@dataclass(frozen=True)
class AssignmentLine:
    assignment: Assignment
    target: str  # in words


@dataclass(frozen=True)
class AssignPage:
    classroom: object
    pack: PackVersion | None
    packs: list[PackVersion]
    lessons: list[WorkChoice]
    practice: list[WorkChoice]
    targets: list[tuple[str, str]]  # (value, words)
    learners: list[Account]
    assignments: list[AssignmentLine]


# --- pure helpers -----------------------------------------------------------------------------

def parse_due(text: str | None, today: date) -> datetime | None:
    """A due date from a date field (YYYY-MM-DD); empty means none; not in the past."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("Please give the due date as a date, like 2025-06-13."), field="due") from None
    if day < today:
        raise InvalidInput(N_("The due date is in the past. Please choose today or a later day."), field="due")
    if (day - today).days > MAX_DAYS_AHEAD:
        raise InvalidInput(N_("The due date is more than a year away."), field="due")
    return datetime(day.year, day.month, day.day)


def parse_target(text: str | None) -> tuple[str, str | None]:
    """("class", None), ("group", id) or ("learner", id) from a form value."""
    text = (text or "").strip()
    if text == "class":
        return "class", None
    kind, _, ref = text.partition(":")
    if kind in ("group", "learner") and ref:
        return kind, ref
    raise InvalidInput(N_("Please choose who the work is for."), field="target")


def parse_work(values: list[str]) -> list[tuple[str, str]]:
    """[(kind, ref id)] from the ticked work boxes, without repeats."""
    picked = list(dict.fromkeys(v for v in values if v))
    if not picked:
        raise InvalidInput(N_("Please tick at least one lesson or practice to assign."), field="work")
    if len(picked) > MAX_WORK_AT_ONCE:
        raise InvalidInput(N_("Please assign at most %(num)d things at once."), field="work", num=MAX_WORK_AT_ONCE)
    parsed = [WORK.match(v) for v in picked]
    if not all(parsed):
        raise InvalidInput(N_("Some of the ticked work is not in this pack."), field="work")
    return [(m.group(1), m.group(2)) for m in parsed]


def describe_target(target: dict, names: dict[str, str], groups: dict[str, str]) -> str:
    """An assignment's target in words."""
    kind = target.get("type")
    if kind == "class":
        return "the whole class"
    if kind == "group":
        return f"group “{groups.get(target.get('id'), '?')}” ({len(target.get('members', []))} learners)"
    return names.get(target.get("id"), "a learner who left the class")


# --- reading and writing ----------------------------------------------------------------------

def assign_page(account: Account, class_id: str, pack_id: str | None = None) -> AssignPage:
    """What the assign form offers: this pack's lessons and practice, and who can get them."""
    classroom = class_for(account, class_id)
    packs, pack = choose_pack(classroom, pack_id)
    learners = list(learners_query(classroom))
    groups = list(LearnerGroup.select().where((LearnerGroup.classroom == classroom) & ~LearnerGroup.deleted)
                  .order_by(LearnerGroup.updated_at.desc()))
    targets = ([("class", "The whole class")]
               + [(f"group:{g.id}", f"Group: {g.name} ({len(g.members)})") for g in groups]
               + [(f"learner:{a.id}", a.display_name) for a in learners])
    lessons, practice = _work_choices(pack) if pack else ([], [])
    names, group_names = {a.id: a.display_name for a in learners}, {g.id: g.name for g in groups}
    rows = (Assignment.select().where((Assignment.classroom_id == classroom.id) & ~Assignment.deleted)
            .order_by(Assignment.due.asc(nulls="last"), Assignment.created_at.desc()))
    lines = [AssignmentLine(a, describe_target(a.target, names, group_names)) for a in rows]
    return AssignPage(classroom, pack, packs, lessons, practice, targets, learners, lines)


def _work_choices(pack: PackVersion) -> tuple[list[WorkChoice], list[WorkChoice]]:
    lessons = [WorkChoice(f"lesson:{row.lesson_id}", row.title) for row in Lesson.select(
        Lesson.lesson_id, Lesson.title).where(Lesson.pack_version == pack).order_by(Lesson.position)]
    practice = [WorkChoice(f"skill:{row.skill_id}", f"Practice: {row.title}") for row in Skill.select(
        Skill.skill_id, Skill.title).where(Skill.pack_version == pack).order_by(Skill.position)]
    return lessons, practice


def assign(account: Account, class_id: str, form) -> list[Assignment]:
    """Create one Assignment per ticked piece of work, for one target, in one transaction."""
    classroom = class_for(account, class_id)
    _, pack = choose_pack(classroom, form.get("pack"))
    if pack is None or pack.pack_id != form.get("pack"):
        raise InvalidInput(N_("Please choose a pack first."), field="pack")
    target = _target(classroom, *parse_target(form.get("target")))
    due = parse_due(form.get("due"), utcnow().date())
    lessons, practice = _work_choices(pack)
    titles = {w.value: w.title for w in lessons + practice}
    work = parse_work(form.getlist("work"))
    if any(f"{kind}:{ref}" not in titles for kind, ref in work):
        raise InvalidInput(N_("Some of the ticked work is not in this pack."), field="work")
    with database.atomic():
        made = [Assignment.create(id=uuid7(), classroom_id=classroom.id, target=target, pack_id=pack.pack_id,
                                  kind=kind, ref_id=ref, title=titles[f"{kind}:{ref}"], due=due,
                                  created_by=account.id) for kind, ref in work]
        record(account, "assign_work", class_id=classroom.id, to=target["type"], pack=pack.pack_id,
               work=[row.title for row in made], due=due.date().isoformat() if due else None)
    return made


def _target(classroom, kind: str, ref: str | None) -> dict:
    if kind == "class":
        return {"type": "class", "id": classroom.id}
    if kind == "group":
        group = LearnerGroup.get_or_none((LearnerGroup.id == ref) & (LearnerGroup.classroom == classroom)
                                         & ~LearnerGroup.deleted)
        if group is None:
            raise InvalidInput(N_("That group is not in this class."), field="target")
        return {"type": "group", "id": group.id, "members": list(group.members)}
    if not learners_query(classroom).where(Account.id == ref).exists():
        raise InvalidInput(N_("That learner is not in this class."), field="target")
    return {"type": "learner", "id": ref}


def remove_assignment(account: Account, class_id: str, assignment_id: str) -> Assignment:
    """Take work back (a tombstone with a new version, so sync carries the removal)."""
    classroom = class_for(account, class_id)
    row = Assignment.get_or_none((Assignment.id == assignment_id) & (Assignment.classroom_id == classroom.id)
                                 & ~Assignment.deleted)
    if row is None:
        raise NotFound(N_("This assignment is not in this class, or it was already removed."))
    row.deleted, row.version = True, row.version + 1
    with database.atomic():
        row.save()
        record(account, "remove_assignment", class_id=classroom.id, work=row.title)
    return row

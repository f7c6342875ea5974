"""Groups of learners within a class: made from the overview (ticked learners, a wrong answer's
learners, everyone who has not mastered a skill), renamed, re-membered, deleted.

Groups are versioned records (sync carries them); deleting one is a tombstone. Work already assigned
to a group keeps the members it had when it was assigned (server/coaching/assignments.py), so editing or
deleting a group never takes work away from a learner. Every change is in the audit log.
"""
import re
import uuid
from dataclasses import dataclass

from server.people.audit import record
from server.people.classes import class_for, learners_query
from server.db import database
from server.errors import InvalidInput, NotFound
from server.i18n import N_
from server.identity import device_id
from server.models import Account, LearnerGroup, SkillState
from server.models.base import utcnow
from server.coaching.reports import choose_pack, skill_columns

MAX_GROUP = 500
MAX_WORK_AT_ONCE = 20
WORK = re.compile(r"^(lesson|skill):([a-z0-9][a-z0-9_.-]{0,79})\Z")


@dataclass(frozen=True)
class GroupMade:
    group: LearnerGroup
    work: list[str]  # work to tick on the assign form that follows


@dataclass(frozen=True)
class GroupLine:
    group: LearnerGroup
    members: list[Account]  # those still in the class, by name


@dataclass(frozen=True)
class GroupsPage:
    classroom: object
    groups: list[GroupLine]
    learners: list[Account]


def group_name(text: str | None, size: int) -> str:
    """A group's name as typed (spaces tidied, 100 characters at most), or "Group of N"."""
    return " ".join((text or "").split())[:100] or f"Group of {size}"


def groups_page(account: Account, class_id: str) -> GroupsPage:
    """The class's groups with their members, and the class's learners to choose from."""
    classroom = class_for(account, class_id)
    learners = list(learners_query(classroom))
    by_id = {a.id: a for a in learners}
    groups = LearnerGroup.select().where((LearnerGroup.classroom == classroom) & ~LearnerGroup.deleted).order_by(
        LearnerGroup.name)
    lines = [GroupLine(g, sorted((by_id[m] for m in g.members if m in by_id), key=lambda a: a.display_name))
             for g in groups]
    return GroupsPage(classroom, lines, learners)


def make_group(account: Account, class_id: str, form) -> GroupMade:
    """A group of learners of this class: the ticked ones, or everyone who has not mastered a skill."""
    classroom = class_for(account, class_id)
    skill_id = form.get("not_mastered", "")
    work = [w for w in form.getlist("work") if WORK.match(w)][:MAX_WORK_AT_ONCE]
    if skill_id:
        members, work = _not_mastered(classroom, form.get("pack", ""), skill_id)
        if not members:
            raise InvalidInput(N_("Everyone in this class has mastered that skill: no group is needed."))
    else:
        members = _members_of(classroom, form.getlist("members"))
    with database.atomic():
        group = LearnerGroup.create(id=str(uuid.uuid4()), classroom=classroom, name=group_name(form.get("name"),
                                    len(members)), members=members, updated_by=device_id())
        record(account, "make_group", class_id=classroom.id, group=group.name, size=len(members))
    return GroupMade(group, work)


def edit_group(account: Account, class_id: str, group_id: str, form) -> LearnerGroup:
    """Rename a group and choose its members again (a new version, so sync carries the change)."""
    classroom = class_for(account, class_id)
    group = _group_in(classroom, group_id)
    members = _members_of(classroom, form.getlist("members"))
    with database.atomic():
        LearnerGroup.update(name=group_name(form.get("name"), len(members)), members=members,
                            version=LearnerGroup.version + 1, updated_at=utcnow(), updated_by=device_id()
                            ).where(LearnerGroup.id == group.id).execute()
        record(account, "edit_group", class_id=classroom.id, group=group.name, size=len(members))
    return LearnerGroup.get_by_id(group.id)


def delete_group(account: Account, class_id: str, group_id: str) -> LearnerGroup:
    """Delete a group (a tombstone); work assigned to it stays with the learners who had it."""
    classroom = class_for(account, class_id)
    group = _group_in(classroom, group_id)
    with database.atomic():
        LearnerGroup.update(deleted=True, version=LearnerGroup.version + 1, updated_at=utcnow(),
                            updated_by=device_id()).where(LearnerGroup.id == group.id).execute()
        record(account, "delete_group", class_id=classroom.id, group=group.name)
    return group


def _group_in(classroom, group_id: str) -> LearnerGroup:
    group = LearnerGroup.get_or_none((LearnerGroup.id == group_id) & (LearnerGroup.classroom == classroom)
                                     & ~LearnerGroup.deleted)
    if group is None:
        raise NotFound(N_("This group is not in this class, or it was deleted."))
    return group


def _members_of(classroom, chosen: list[str]) -> list[str]:
    """The chosen learner ids, once each, all of this class — or a clear error."""
    members = list(dict.fromkeys(chosen))
    in_class = {a.id for a in learners_query(classroom).where(Account.id.in_(members[:MAX_GROUP]))}
    if not members or set(members) - in_class:
        raise InvalidInput(N_("Please choose learners of this class for the group."), field="members")
    return members


def _not_mastered(classroom, pack_id: str, skill_id: str) -> tuple[list[str], list[str]]:
    """(learners of the class who have not mastered a skill, the work that teaches it)."""
    _, pack = choose_pack(classroom, pack_id)
    skill = next((s for s in skill_columns(pack) if s.skill_id == skill_id), None) if pack else None
    if skill is None or pack.pack_id != pack_id:
        raise InvalidInput(N_("That skill is not in this pack."), field="not_mastered")
    mastered = SkillState.select(SkillState.learner_id).where(
        (SkillState.pack_id == pack_id) & (SkillState.skill_id == skill_id) & SkillState.mastered_at.is_null(False))
    return [a.id for a in learners_query(classroom).where(Account.id.not_in(mastered))], skill.work

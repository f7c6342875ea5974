"""Projects: the menu a coach offers a class, learners' own proposals, plans, and portfolios.

A coach offers a short menu of projects to a class (title, description, optional rubric
criteria). A learner may propose their own; it waits, seen only by them and their coaches, until a
coach accepts it (then only that learner works on it) or declines it. A learner plans steps (a
checklist), then hands in work (server.coaching.handins); a version the coach marks finished goes to the
learner's portfolio.
"""
from dataclasses import dataclass

from server.people import classes
from server.db import database
from server.errors import InvalidInput, NotFound
from server.i18n import N_
from server.ids import uuid7
from server.models import Account
from server.models.base import utcnow
from server.models.projects import HandIn, Project, ProjectPlan

LEVELS = ("not_yet", "getting_there", "got_it")
MAX_CRITERIA = 6
MAX_STEPS = 20
MAX_OFFERED = 12
NOT_YOURS = "This project does not exist, or it is not one of yours."


@dataclass(frozen=True)
class ProjectCard:
    """A project as one learner sees it: their plan and where their work stands."""

    project: Project
    steps: list
    latest: HandIn | None
    state: str  # not_started | planning | waiting | revise | finished


@dataclass(frozen=True)
class LearnerProjects:
    menu: list[ProjectCard]  # offered to the class, and the learner's accepted proposals
    proposals: list[Project]  # the learner's proposals waiting or declined


@dataclass(frozen=True)
class ClassProjects:
    classroom: object
    offered: list[Project]
    proposals: list[tuple[Project, Account]]  # waiting for a decision
    accepted: list[tuple[Project, Account]]


@dataclass(frozen=True)
class PortfolioEntry:
    project: Project
    work: HandIn  # the newest finished version


def _clean_text(form, name: str, limit: int, required: bool = False) -> str:
    value = (form.get(name) or "").replace("\x00", "").strip()
    if required and not value:
        raise InvalidInput(N_("Please fill this in."), field=name)
    if len(value) > limit:
        raise InvalidInput(N_("This is too long (at most %(num)d characters)."), field=name, num=limit)
    return value


def _criteria(form) -> list[str]:
    raw = _clean_text(form, "criteria", 600)
    criteria = [line.strip() for line in raw.splitlines() if line.strip()]
    if len(criteria) > MAX_CRITERIA or any(len(c) > 80 for c in criteria):
        raise InvalidInput(N_("At most %(num)d criteria, one per line, each under 80 characters."), num=MAX_CRITERIA,
                           field="criteria")
    return list(dict.fromkeys(criteria))


def offer_project(coach: Account, class_id: str, form) -> Project:
    """Add a project to a class's menu."""
    classroom = classes.class_for(coach, class_id)
    title = _clean_text(form, "title", 120, required=True)
    description = _clean_text(form, "description", 2000)
    criteria = _criteria(form)
    offered = Project.select().where((Project.classroom_id == classroom.id) & (Project.status == "offered")
                                     & ~Project.deleted).count()
    if offered >= MAX_OFFERED:
        raise InvalidInput(N_("A class menu holds at most %(num)d projects. Remove one first."), field="title",
                           num=MAX_OFFERED)
    return Project.create(id=uuid7(), classroom_id=classroom.id, title=title, description=description,
                          criteria=criteria, status="offered", created_by=coach.id)


def class_projects(coach: Account, class_id: str) -> ClassProjects:
    """A class's menu and its learners' proposals, for the coach."""
    classroom = classes.class_for(coach, class_id)
    rows = list(Project.select().where((Project.classroom_id == classroom.id) & ~Project.deleted)
                .order_by(Project.created_at))
    learners = {a.id: a for a in classes.learners_query(classroom)}
    by_learner = [(p, learners[p.proposed_by]) for p in rows if p.proposed_by in learners]
    return ClassProjects(classroom, [p for p in rows if p.status == "offered"],
                         [(p, a) for p, a in by_learner if p.status == "proposed"],
                         [(p, a) for p, a in by_learner if p.status == "accepted"])


def _class_project(coach: Account, class_id: str, project_id: str) -> Project:
    classroom = classes.class_for(coach, class_id)
    project = Project.get_or_none((Project.id == project_id) & (Project.classroom_id == classroom.id)
                                  & ~Project.deleted)
    if project is None:
        raise NotFound(NOT_YOURS)
    return project


def decide_proposal(coach: Account, class_id: str, project_id: str, form) -> Project:
    """Accept a learner's proposal (optionally adding rubric criteria) or decline it."""
    project = _class_project(coach, class_id, project_id)
    decision = form.get("decision")
    if project.status != "proposed" or decision not in ("accept", "decline"):
        raise InvalidInput(N_("Choose to accept or decline this proposal."), field="decision")
    project.status = "accepted" if decision == "accept" else "declined"
    if decision == "accept":
        project.criteria = _criteria(form) or project.criteria
    project.save()
    return project


def remove_project(coach: Account, class_id: str, project_id: str) -> Project:
    """Take a project off the menu (work already handed in is kept)."""
    project = _class_project(coach, class_id, project_id)
    project.deleted = True
    project.save()
    return project


def propose_project(learner: Account, form) -> Project:
    """A learner's own project idea, waiting for a coach's answer."""
    if learner.classroom_id is None:
        raise InvalidInput(N_("You are not in a class yet, so there is no coach to send a proposal to."))
    title = _clean_text(form, "title", 120, required=True)
    description = _clean_text(form, "description", 2000, required=True)
    waiting = Project.select().where((Project.proposed_by == learner.id) & (Project.status == "proposed")
                                     & ~Project.deleted).count()
    if waiting >= 3:
        raise InvalidInput(N_("You already have three proposals waiting. Wait for your coach's answer."),
                           field="title")
    return Project.create(id=uuid7(), classroom_id=learner.classroom_id, title=title, description=description,
                          criteria=[], status="proposed", proposed_by=learner.id, created_by=learner.id)


def _visible_to(learner: Account):
    offered = (Project.classroom_id == learner.classroom_id) & (Project.status == "offered")
    return Project.select().where((offered | (Project.proposed_by == learner.id)) & ~Project.deleted)


def project_for_learner(learner: Account, project_id: str) -> Project:
    """A project this learner may see (offered to their class, or their own proposal), or NotFound."""
    project = _visible_to(learner).where(Project.id == project_id).first()
    if project is None:
        raise NotFound(NOT_YOURS)
    return project


def can_hand_in(project: Project) -> bool:
    """Work can be handed in on offered projects and accepted proposals."""
    return project.status in ("offered", "accepted")


def card(learner_id: str, project: Project) -> ProjectCard:
    """Where one learner stands on one project."""
    plan = ProjectPlan.get_or_none((ProjectPlan.learner_id == learner_id) & (ProjectPlan.project_id == project.id))
    latest = (HandIn.select().where((HandIn.learner_id == learner_id) & (HandIn.project_id == project.id))
              .order_by(HandIn.version.desc()).first())
    steps = plan.steps if plan else []
    if latest is None:
        state = "planning" if steps else "not_started"
    elif latest.reviewed_at is None:
        state = "waiting"
    else:
        state = "finished" if latest.is_finished else "revise"
    return ProjectCard(project, steps, latest, state)


def learner_projects(learner: Account) -> LearnerProjects:
    """The menu with this learner's standing on each, and their own proposals."""
    rows = list(_visible_to(learner).order_by(Project.created_at))
    return LearnerProjects([card(learner.id, p) for p in rows if can_hand_in(p)],
                           [p for p in rows if p.status in ("proposed", "declined")])


def edit_plan(learner: Account, project_id: str, form) -> list:
    """Add a step, tick or untick one, or remove one; return the steps."""
    project = project_for_learner(learner, project_id)
    if not can_hand_in(project):
        raise InvalidInput(N_("Wait until your coach accepts this project."))
    with database.atomic():
        plan, _ = ProjectPlan.get_or_create(learner_id=learner.id, project_id=project.id)
        steps = list(plan.steps)
        action = form.get("action")
        if action == "add":
            text = _clean_text(form, "step", 200, required=True)
            if len(steps) >= MAX_STEPS:
                raise InvalidInput(N_("A plan holds at most %(num)d steps."), field="step", num=MAX_STEPS)
            steps.append({"text": text, "done": False})
        elif action in ("toggle", "remove"):
            index = _step_index(form.get("step_index"), len(steps))
            if action == "toggle":
                steps[index] = {**steps[index], "done": not steps[index]["done"]}
            else:
                del steps[index]
        else:
            raise InvalidInput(N_("This form has expired. Please open the project again."))
        (ProjectPlan.update(steps=steps, updated_at=utcnow())
         .where((ProjectPlan.learner_id == learner.id) & (ProjectPlan.project_id == project.id)).execute())
    return steps


def _step_index(raw, count: int) -> int:
    if not (raw or "").isdigit() or int(raw) >= count:
        raise InvalidInput(N_("This step is no longer in your plan. Please open the project again."))
    return int(raw)


def portfolio(learner_id: str) -> list[PortfolioEntry]:
    """The learner's finished projects, newest first, each with its newest finished version."""
    entries, seen = [], set()
    rows = (HandIn.select().where((HandIn.learner_id == learner_id) & HandIn.is_finished
                                  & (HandIn.source == "project")).order_by(HandIn.reviewed_at.desc()))
    projects = {p.id: p for p in Project.select().where(Project.id.in_({h.project_id for h in rows}))}
    for work in rows:
        if work.project_id in seen or work.project_id not in projects:
            continue
        seen.add(work.project_id)
        entries.append(PortfolioEntry(projects[work.project_id], work))
    return entries


def forget_learner(learner_id: str) -> None:
    """Erase a learner's plans and own proposals (their hand-ins go with their events)."""
    ProjectPlan.delete().where(ProjectPlan.learner_id == learner_id).execute()
    Project.delete().where(Project.proposed_by == learner_id).execute()

"""Coach reports on a class: the overview grid (learners × skills), who needs help, and the maths.

Everything is read from the derived tables (SkillState, LearnerStat) with a fixed handful of
queries whatever the class size (no query per learner or per cell). The rules that turn those
rows into words — a cell's state, a help note and its suggested action, shares and bars — are
pure functions over plain data, tested with tables in tests/test_reports.py.
"""
from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from server.people.classes import class_for, learner_ids_query, learners_query
from server.i18n import N_, translate
from server.learning import pack_facts
from server.models import Account, Lesson, LearnerStat, PackVersion, Skill, SkillState
from server.models.base import utcnow

STUCK_WRONG_IN_A_ROW = 3  # this many wrong answers in a row on a skill: the learner needs help
INACTIVE_DAYS = 7  # no answer for this many days: check in
OVERDUE_DAYS = 7  # a review this many days late: the skill is slipping
STATES = {  # state → (icon, words); icons always come with words, never colour alone
    "mastered": ("✔", N_("Mastered")), "review_due": ("↻", N_("Review due")),
    "struggling": ("⚠", N_("Struggling")), "in_progress": ("◐", N_("In progress")),
    "new": ("○", N_("Not started")), "locked": ("🔒", N_("Locked")), "refresh": ("↺", N_("To refresh")),
}
WEAK_EVIDENCE = {  # a skill whose questions cannot tell much: the coach is told once, under the grid
    "truefalse": N_("%(skill)s has only true/false questions, so mastery there is weak evidence."),
    "one_item": N_("%(skill)s has a single question, so mastery there rests on that one question."),
}


@dataclass(frozen=True)
class Cell:
    """One learner's standing on one skill."""

    state: str
    attempts: int = 0
    correct: int = 0
    wrong_streak: int = 0
    review_due: datetime | None = None

    @property
    def is_mastered(self) -> bool:
        return self.state in ("mastered", "review_due")

    @property
    def words(self) -> str:
        """The state in words, with the numbers a coach needs (for cells, CSV and screen readers)."""
        name = translate(STATES[self.state][1])
        if self.state == "struggling":
            return translate(N_("%(state)s: %(num)d wrong in a row")) % {"state": name, "num": self.wrong_streak}
        if self.state == "in_progress":
            return translate(N_("%(state)s: %(right)d right of %(num)d")) % {
                "state": name, "right": self.correct, "num": self.attempts}
        return name


@dataclass(frozen=True)
class LessonRef:
    lesson_id: str
    title: str


@dataclass(frozen=True)
class SkillColumn:
    skill_id: str
    title: str
    prerequisites: tuple[str, ...]
    lesson: LessonRef | None  # the first lesson that teaches it
    mastered: int = 0  # learners who mastered it
    weak_evidence: str = ""  # "truefalse" or "one_item" (see WEAK_EVIDENCE), else ""

    @property
    def evidence_note(self) -> str:
        """A plain sentence when this skill's questions are weak evidence of mastery (else "")."""
        note = WEAK_EVIDENCE.get(self.weak_evidence)
        return translate(note) % {"skill": self.title} if note else ""

    @property
    def work(self) -> list[str]:
        """What to assign to someone who has not got it yet: its lesson, then its practice."""
        return ([f"lesson:{self.lesson.lesson_id}"] if self.lesson else []) + [f"skill:{self.skill_id}"]


@dataclass(frozen=True)
class LearnerRow:
    learner_id: str
    name: str
    cells: tuple[Cell, ...]
    last_active: datetime | None

    @property
    def mastered(self) -> int:
        return sum(cell.is_mastered for cell in self.cells)


@dataclass(frozen=True)
class HelpNote:
    """Someone who needs help, why (in plain words), and one suggested piece of work."""

    learner_id: str
    name: str
    kind: str  # stuck | refresh | overdue | inactive | not_started
    reason: str
    action: str
    work: str | None  # "lesson:<id>" or "skill:<id>", for the one-tap assign button


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    total: int
    y: int
    width: int


@dataclass(frozen=True)
class ClassOverview:
    classroom: object
    pack: PackVersion | None
    packs: list[PackVersion]
    skills: list[SkillColumn]
    rows: list[LearnerRow]
    needs_help: list[HelpNote]
    bars: list[Bar]


# --- pure rules -------------------------------------------------------------------------------

def cell_for(state: dict | None, prerequisites_met: bool, now: datetime) -> Cell:
    """A grid cell from a learner's skill state (a mapping of SkillState fields, or None)."""
    if state is None or not state.get("attempts"):
        return Cell("new" if prerequisites_met else "locked")
    numbers = {k: state.get(k) or 0 for k in ("attempts", "correct", "wrong_streak")}
    if state.get("mastered_at"):
        due = state.get("review_due")
        return Cell("review_due" if due and due <= now else "mastered", review_due=due, **numbers)
    if not prerequisites_met:
        return Cell("locked", **numbers)
    if state.get("refresh_at"):
        return Cell("refresh", **numbers)
    if numbers["wrong_streak"] >= STUCK_WRONG_IN_A_ROW:
        return Cell("struggling", **numbers)
    return Cell("in_progress", **numbers)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


def percent(part: int, whole: int) -> str:
    """A share in words a coach reads at a glance: '62 %' ('no answers' when whole is 0)."""
    value = share(part, whole)
    return "no answers" if value is None else f"{round(value * 100)} %"


def days_since(moment: datetime | None, now: datetime) -> int | None:
    """Whole days from `moment` to `now` (None when it never happened)."""
    return None if moment is None else max(0, (now - moment).days)


def help_notes(rows: list[LearnerRow], skills: list[SkillColumn], now: datetime) -> list[HelpNote]:
    """Who needs help: stuck on a skill, a review long overdue, or no practice for days."""
    notes: list[tuple[tuple, HelpNote]] = []
    class_started = any(row.last_active for row in rows)
    for row in rows:
        for cell, skill in zip(row.cells, skills):
            if cell.state == "struggling":
                notes.append(((0, -cell.wrong_streak), _stuck_note(row, skill, cell)))
            if cell.state == "refresh":
                notes.append(((1, 0), HelpNote(
                    row.learner_id, row.name, "refresh",
                    translate(N_("mastered %(skill)s before, but recent answers show it needs a refresh"))
                    % {"skill": skill.title},
                    translate(N_("assign practice on %(skill)s")) % {"skill": skill.title}, f"skill:{skill.skill_id}")))
            late = days_since(cell.review_due, now) if cell.state == "review_due" else None
            if late is not None and late > OVERDUE_DAYS:
                notes.append(((2, -late), HelpNote(
                    row.learner_id, row.name, "overdue",
                    translate(N_("review of %(skill)s is %(days)d days late")) % {"skill": skill.title, "days": late},
                    translate(N_("assign practice on %(skill)s")) % {"skill": skill.title}, f"skill:{skill.skill_id}")))
        idle = days_since(row.last_active, now)
        if idle is not None and idle >= INACTIVE_DAYS:
            notes.append(((3, -idle), _idle_note(
                row, skills, translate(N_("no practice for %(days)d days")) % {"days": idle}, "inactive")))
        elif idle is None and class_started:
            notes.append(((4, 0), _idle_note(row, skills, translate(N_("has not answered a question yet")),
                                             "not_started")))
    return [note for _, note in sorted(notes, key=lambda pair: (pair[0], pair[1].name))]


def _stuck_note(row: LearnerRow, skill: SkillColumn, cell: Cell) -> HelpNote:
    reason = translate(N_("%(num)d wrong in a row on %(skill)s")) % {"num": cell.wrong_streak, "skill": skill.title}
    if skill.lesson:
        return HelpNote(row.learner_id, row.name, "stuck", reason,
                        translate(N_("assign the lesson “%(lesson)s” that teaches %(skill)s")) % {
                            "lesson": skill.lesson.title, "skill": skill.title},
                        f"lesson:{skill.lesson.lesson_id}")
    return HelpNote(row.learner_id, row.name, "stuck", reason,
                    translate(N_("sit with them for a few of the %(skill)s questions")) % {"skill": skill.title}, None)


def _idle_note(row: LearnerRow, skills: list[SkillColumn], reason: str, kind: str) -> HelpNote:
    """Suggest the first skill they can work on now (in progress first, then the next new one)."""
    open_skills = [(cell, skill) for cell, skill in zip(row.cells, skills)
                   if cell.state in ("refresh", "in_progress", "struggling", "new")]
    open_skills.sort(key=lambda pair: pair[0].state == "new")
    if not open_skills:
        return HelpNote(row.learner_id, row.name, kind, reason, translate(N_("check in with them")), None)
    skill = open_skills[0][1]
    return HelpNote(row.learner_id, row.name, kind, reason,
                    translate(N_("check in, and assign practice on %(skill)s")) % {"skill": skill.title},
                    f"skill:{skill.skill_id}")


def mastery_bars(skills: list[SkillColumn], learners: int, width: int = 200, step: int = 34) -> list[Bar]:
    """Bar geometry for "learners who mastered each skill" (an SVG drawn by the template)."""
    return [Bar(skill.title, skill.mastered, learners, 22 + i * step,
                round(width * (share(skill.mastered, learners) or 0))) for i, skill in enumerate(skills)]


# --- reading the database ---------------------------------------------------------------------

def class_overview(account: Account, class_id: str, pack_id: str | None = None) -> ClassOverview:
    """The overview of one class on one pack: grid, needs help, mastery bars."""
    classroom = class_for(account, class_id)
    learners = list(learners_query(classroom))
    packs, pack = choose_pack(classroom, pack_id)
    if pack is None:
        return ClassOverview(classroom, None, packs, [], [], [], [])
    skills = skill_columns(pack)
    rows = _learner_rows(classroom, learners, pack, skills, utcnow())
    counted = [SkillColumn(s.skill_id, s.title, s.prerequisites, s.lesson,
                           sum(row.cells[i].is_mastered for row in rows), s.weak_evidence) for i, s in enumerate(skills)]
    return ClassOverview(classroom, pack, packs, counted, rows, help_notes(rows, counted, utcnow()),
                         mastery_bars(counted, len(rows)))


def choose_pack(classroom, pack_id: str | None) -> tuple[list[PackVersion], PackVersion | None]:
    """The active packs, and the one asked for (else the one the class practised most)."""
    packs = list(PackVersion.select().where(PackVersion.is_active).order_by(PackVersion.title))
    by_id = {p.pack_id: p for p in packs}
    if pack_id in by_id:
        return packs, by_id[pack_id]
    busiest = (SkillState.select(SkillState.pack_id, fn.SUM(SkillState.attempts).alias("n"))
               .where(SkillState.learner_id.in_(learner_ids_query(classroom)))
               .group_by(SkillState.pack_id).order_by(fn.SUM(SkillState.attempts).desc()))
    for row in busiest:
        if row.pack_id in by_id:
            return packs, by_id[row.pack_id]
    return packs, packs[0] if packs else None


def skill_columns(pack: PackVersion) -> list[SkillColumn]:
    """The pack's skills in order, each with the first lesson that teaches it (two queries)."""
    first_lesson: dict[str, LessonRef] = {}
    for lesson in (Lesson.select(Lesson.lesson_id, Lesson.title, Lesson.skills)
                   .where(Lesson.pack_version == pack).order_by(Lesson.position)):
        for skill_id in lesson.skills or []:
            first_lesson.setdefault(skill_id, LessonRef(lesson.lesson_id, lesson.title))
    facts = pack_facts.facts_for(pack)
    return [SkillColumn(s.skill_id, s.title, s.prerequisites, first_lesson.get(s.skill_id),
                        weak_evidence=s.weak_evidence) for s in facts.skills]


def learner_cells(states: dict[str, dict], skills: list[SkillColumn], now: datetime) -> tuple[Cell, ...]:
    """One learner's cells on a pack's skills, from their skill states by skill id: the one rule the
    overview's grid and the learner's own page both show (so they never disagree)."""
    mastered = {sid for sid, st in states.items() if st["mastered_at"]}
    return tuple(cell_for(states.get(s.skill_id), set(s.prerequisites) <= mastered, now) for s in skills)


def skill_states(learners, pack_id: str) -> dict[str, dict[str, dict]]:
    """Skill states by learner id, then skill id (what `cell_for` reads), of some learners (ids or a
    subquery) in one pack: one query."""
    states: dict[str, dict[str, dict]] = {}
    for row in (SkillState.select(SkillState.learner_id, SkillState.skill_id, SkillState.attempts,
                                  SkillState.correct, SkillState.wrong_streak, SkillState.mastered_at,
                                  SkillState.review_due, SkillState.refresh_at)
                .where(SkillState.learner_id.in_(learners) & (SkillState.pack_id == pack_id)).dicts()):
        states.setdefault(row["learner_id"], {})[row["skill_id"]] = row
    return states


def _learner_rows(classroom, learners: list[Account], pack: PackVersion, skills: list[SkillColumn],
                  now: datetime) -> list[LearnerRow]:
    states = skill_states(learner_ids_query(classroom), pack.pack_id)
    active = {row.learner_id: row.last_active for row in LearnerStat.select(
        LearnerStat.learner_id, LearnerStat.last_active).where(
        LearnerStat.learner_id.in_(learner_ids_query(classroom)))}
    return [LearnerRow(learner.id, learner.display_name, learner_cells(states.get(learner.id, {}), skills, now),
                       active.get(learner.id)) for learner in learners]


def grid_csv_rows(overview: ClassOverview) -> list[list]:
    """The grid as spreadsheet rows: one line per learner, one column per skill, states in words."""
    header = ["Learner"] + [s.title for s in overview.skills] + ["Skills mastered", "Last practice (UTC)"]
    rows = [header]
    for row in overview.rows:
        last = row.last_active.strftime("%Y-%m-%d %H:%M") if row.last_active else ""
        rows.append([row.name] + [cell.words for cell in row.cells] + [row.mastered, last])
    return rows

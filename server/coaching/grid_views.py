"""The mastery grid in pieces a phone can show: one skill with every learner, one learner with every skill.

A class of 40 on a 30-skill pack is a 40 × 30 table: on a 360 px screen only one skill column is in view
and the page is thousands of pixels tall. These views cut the same overview (server.coaching.reports,
same cells, same words) into one column or one row, with the previous and the next one a tap away.

Decisions:
- Pure functions over a ClassOverview: no query of their own, so a view can never disagree with the
  overview's table (or the learner's page, which uses the same rule).
- An unknown skill or learner in the address falls back to the first one (an old bookmark still shows
  a page), never to an error.
"""
from dataclasses import dataclass

from server.coaching.reports import Cell, ClassOverview, LearnerRow, SkillColumn

COUNTED = ("mastered", "struggling", "in_progress", "refresh")  # the states a skill's summary counts


@dataclass(frozen=True)
class SkillSummary:
    """One skill of the overview's list: how many learners are in each state."""

    skill: SkillColumn
    counts: dict  # state -> learners (review_due counts as mastered)

    def count(self, state: str) -> int:
        """Learners in this state."""
        return self.counts.get(state, 0)


@dataclass(frozen=True)
class SkillView:
    """One skill, every learner (in the overview's order, by name)."""

    skill: SkillColumn
    rows: list[tuple[LearnerRow, Cell]]
    previous: SkillColumn | None
    next: SkillColumn | None


@dataclass(frozen=True)
class LearnerGridView:
    """One learner, every skill of the pack."""

    row: LearnerRow
    lines: list[tuple[SkillColumn, Cell]]
    previous: LearnerRow | None
    next: LearnerRow | None


def skill_summaries(o: ClassOverview) -> list[SkillSummary]:
    """Per skill, the learners mastered, struggling, in progress and to refresh."""
    out = []
    for i, skill in enumerate(o.skills):
        counts: dict[str, int] = {}
        for row in o.rows:
            state = "mastered" if row.cells[i].is_mastered else row.cells[i].state
            if state in COUNTED:
                counts[state] = counts.get(state, 0) + 1
        out.append(SkillSummary(skill, counts))
    return out


def skill_view(o: ClassOverview, skill_id: str | None) -> SkillView | None:
    """The column of one skill (the first skill when `skill_id` is not in the pack); None without skills."""
    if not o.skills:
        return None
    index = next((i for i, s in enumerate(o.skills) if s.skill_id == skill_id), 0)
    return SkillView(o.skills[index], [(row, row.cells[index]) for row in o.rows],
                     o.skills[index - 1] if index > 0 else None,
                     o.skills[index + 1] if index + 1 < len(o.skills) else None)


def learner_grid_view(o: ClassOverview, learner_id: str | None) -> LearnerGridView | None:
    """The row of one learner (the first learner when `learner_id` is not in the class); None without any."""
    if not o.rows:
        return None
    index = next((i for i, r in enumerate(o.rows) if r.learner_id == learner_id), 0)
    row = o.rows[index]
    return LearnerGridView(row, list(zip(o.skills, row.cells)), o.rows[index - 1] if index > 0 else None,
                           o.rows[index + 1] if index + 1 < len(o.rows) else None)

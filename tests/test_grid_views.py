"""The mastery grid cut for a phone (server.coaching.grid_views): pure functions over an overview."""
from server.coaching.grid_views import learner_grid_view, skill_summaries, skill_view
from server.coaching.reports import Cell, ClassOverview, LearnerRow, SkillColumn

SKILLS = [SkillColumn(f"s{n}", f"Skill {n}", (), None, mastered=m) for n, m in enumerate((2, 0, 0))]
ROWS = [LearnerRow("a", "Amina", (Cell("mastered"), Cell("struggling", 4, 0, 4), Cell("locked")), None),
        LearnerRow("b", "Baraka", (Cell("review_due"), Cell("in_progress", 2, 1), Cell("new")), None),
        LearnerRow("c", "Chausiku", (Cell("refresh"), Cell("new"), Cell("locked")), None)]
OVERVIEW = ClassOverview("class", "pack", [], SKILLS, ROWS, [], [])


def test_a_skills_summary_counts_mastered_with_review_due_and_leaves_out_not_started():
    sums = skill_summaries(OVERVIEW)
    assert [s.counts for s in sums] == [{"mastered": 2, "refresh": 1}, {"struggling": 1, "in_progress": 1}, {}]
    assert sums[0].count("mastered") == 2 and sums[2].count("mastered") == 0


def test_one_skill_is_one_column_with_its_neighbours():
    view = skill_view(OVERVIEW, "s1")
    assert view.skill.skill_id == "s1" and [(r.name, c.state) for r, c in view.rows] == [
        ("Amina", "struggling"), ("Baraka", "in_progress"), ("Chausiku", "new")]
    assert (view.previous.skill_id, view.next.skill_id) == ("s0", "s2")


def test_an_unknown_or_missing_skill_shows_the_first():
    for skill_id in ("nope", None):
        view = skill_view(OVERVIEW, skill_id)
        assert view.skill.skill_id == "s0" and view.previous is None and view.next.skill_id == "s1"
    assert skill_view(ClassOverview("class", "pack", [], [], ROWS, [], []), "s0") is None


def test_one_learner_is_one_row_with_their_neighbours():
    view = learner_grid_view(OVERVIEW, "c")
    assert [(s.skill_id, c.state) for s, c in view.lines] == [("s0", "refresh"), ("s1", "new"), ("s2", "locked")]
    assert view.previous.name == "Baraka" and view.next is None
    assert learner_grid_view(OVERVIEW, "zzz").row.name == "Amina"
    assert learner_grid_view(ClassOverview("class", "pack", [], SKILLS, [], [], []), "a") is None

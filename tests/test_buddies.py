"""Study buddies: the rule that suggests pairs (a table), and the coach's flow over real HTTP on a real
SQLite file — suggested, confirmed by the coach only, seen by both learners, ended; bad input refused."""
import pytest

from server.coaching.buddies import suggest_pairs
from server.db import database
from server.models.discussion import StudyPair
from server.coaching.reports import Cell, LearnerRow, SkillColumn

SKILL = "fraction-meaning"  # the first skill of the fractions pack: never locked

# --- the rule, as a table ------------------------------------------------------------------

M, S, P, N = Cell("mastered"), Cell("struggling", 3, 0, 3), Cell("in_progress", 2, 1), Cell("new")
SKILLS = [SkillColumn("a", "Halves", (), None), SkillColumn("b", "Thirds", (), None)]


def _rows(grid: dict[str, tuple[Cell, Cell]]) -> list[LearnerRow]:
    return [LearnerRow(name.lower(), name, cells, None) for name, cells in grid.items()]


@pytest.mark.parametrize("grid, paired, load, expected", [
    # one stuck, one who mastered it
    ({"Amina": (M, N), "Juma": (S, N)}, set(), {}, [("amina", "juma", "a")]),
    # nobody mastered the skill: no pair
    ({"Amina": (P, N), "Juma": (S, N)}, set(), {}, []),
    # in progress is not stuck
    ({"Amina": (M, N), "Juma": (P, N)}, set(), {}, []),
    # two stuck learners share the helping between two helpers
    ({"Amina": (M, N), "Baraka": (M, N), "Juma": (S, N), "Neema": (S, N)}, set(), {},
     [("amina", "juma", "a"), ("baraka", "neema", "a")]),
    # the helper who already helps someone is asked last
    ({"Amina": (M, N), "Baraka": (M, N), "Juma": (S, N)}, set(), {"amina": 1}, [("baraka", "juma", "a")]),
    # already paired on that skill: not suggested again
    ({"Amina": (M, N), "Juma": (S, N)}, {("juma", "a")}, {}, []),
    # stuck on two skills: one suggestion, the first skill
    ({"Amina": (M, M), "Juma": (S, S)}, set(), {}, [("amina", "juma", "a")]),
    # a helper on one skill can be the one helped on another
    ({"Amina": (M, S), "Juma": (S, M)}, set(), {}, [("amina", "juma", "a"), ("juma", "amina", "b")]),
])
def test_suggested_pairs(grid, paired, load, expected):
    got = suggest_pairs(_rows(grid), SKILLS, paired, load)
    assert [(s.helper_id, s.learner_id, s.skill_id) for s in got] == expected


def test_suggestions_are_capped():
    grid = {"Helper": (M, N), **{f"L{n:02d}": (S, N) for n in range(20)}}
    assert len(suggest_pairs(_rows(grid), SKILLS, set(), {}, limit=8)) == 8


# --- the flow over HTTP --------------------------------------------------------------------

def _pairs():
    with database.connection_context():
        return list(StudyPair.select())


def _pair_form(people, helper="amina", learner="juma"):
    return {"pack": "fractions", "skill": SKILL, "helper": people[helper].id, "learner": people[learner].id}


def test_the_coach_confirms_a_suggested_pair_and_both_learners_see_it(stuck_and_mastered, browser_for, class_id,
                                                                     people):
    amina, juma = stuck_and_mastered
    coach = browser_for("teacher")
    overview = coach.get(f"/coach/classes/{class_id}?pack=fractions").get_data(as_text=True)
    assert "Study buddies" in overview and "Amina has mastered" in overview and "Juma is stuck on it" in overview
    assert "Pair Amina with Juma" in overview
    assert _pairs() == []  # a suggestion stores nothing
    assert "study buddy" not in juma.get("/next").get_data(as_text=True)

    confirmed = coach.post(f"/coach/classes/{class_id}/buddies", data=_pair_form(people))
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("#buddies")
    assert coach.post(f"/coach/classes/{class_id}/buddies", data=_pair_form(people)).status_code == 303
    (pair,) = _pairs()  # confirming twice pairs them once
    assert (pair.helper_id, pair.learner_id, pair.skill_id, pair.ended_at) == (
        people["amina"].id, people["juma"].id, SKILL, None)

    juma_next = juma.get("/next").get_data(as_text=True)
    assert "Amina has mastered" in juma_next and "Ask Amina to explain one question to you." in juma_next
    amina_next = amina.get("/next").get_data(as_text=True)
    assert "Your coach asked you to help Juma" in amina_next
    overview = coach.get(f"/coach/classes/{class_id}?pack=fractions").get_data(as_text=True)
    assert "Amina helps Juma with" in overview and "Pair Amina with Juma" not in overview

    ended = coach.post(f"/coach/classes/{class_id}/buddies/{pair.id}/end")
    assert ended.status_code == 303 and _pairs()[0].ended_at is not None
    assert "Ask Amina" not in juma.get("/next").get_data(as_text=True)
    assert "Your coach asked you" not in amina.get("/next").get_data(as_text=True)


@pytest.mark.parametrize("change, status", [
    ({"helper": "juma", "learner": "amina"}, 400),  # the helper has not mastered it
    ({"learner": "amina"}, 400),  # the same learner twice
    ({"learner": "neema", "helper": "baraka"}, 400),  # nobody mastered it
    ({"skill": "no-such-skill"}, 404),
    ({"learner": "x"}, 404),  # not a learner of this class
])
def test_a_bad_pair_is_refused_and_nothing_is_stored(stuck_and_mastered, browser_for, class_id, people, change,
                                                     status):
    form = _pair_form(people)
    for name, value in change.items():
        form[name] = people[value].id if value in people else value
    assert browser_for("teacher").post(f"/coach/classes/{class_id}/buddies", data=form).status_code == status
    assert _pairs() == []


def test_learners_and_other_coaches_cannot_pair_or_end(stuck_and_mastered, demo_app, browser_for, class_id, people):
    from server.people.school import create_account, create_class, the_school
    from tests.conftest import Browser

    with database.connection_context():
        school = the_school()
        stranger = create_account(school, "coach", "mwalimu-juma", "Mwalimu Juma", "other-coach-pw",
                                  create_class(school, "Class 6"))
    amina, _ = stuck_and_mastered
    assert amina.post(f"/coach/classes/{class_id}/buddies", data=_pair_form(people)).status_code == 403
    assert Browser(demo_app, stranger).post(f"/coach/classes/{class_id}/buddies",
                                            data=_pair_form(people)).status_code == 404
    no_token = browser_for("teacher").client.post(f"/coach/classes/{class_id}/buddies", data=_pair_form(people))
    assert no_token.status_code == 400
    assert _pairs() == []
    browser_for("teacher").post(f"/coach/classes/{class_id}/buddies", data=_pair_form(people))
    pair = _pairs()[0]
    assert amina.post(f"/coach/classes/{class_id}/buddies/{pair.id}/end").status_code == 403
    assert Browser(demo_app, stranger).post(f"/coach/classes/{class_id}/buddies/{pair.id}/end").status_code == 404
    assert _pairs()[0].ended_at is None


def test_pairs_are_exported_and_erased_with_the_learner(stuck_and_mastered, browser_for, class_id, people):
    amina, juma = stuck_and_mastered
    browser_for("teacher").post(f"/coach/classes/{class_id}/buddies", data=_pair_form(people))
    export = juma.get("/me/export.json").get_json()
    assert [(p["skill"], p["role"]) for p in export["study_buddies"]] == [(SKILL, "helped")]
    assert browser_for("admin").post(f"/admin/learners/{people['amina'].id}/erase").status_code == 303
    assert _pairs() == []
    assert "Ask Amina" not in juma.get("/next").get_data(as_text=True)

"""Projects, hand-ins, coach review, portfolios and open questions in packs — with JavaScript off,
on a real SQLite file, through the real app."""
import re

import pytest

from server.db import database
from server.ids import uuid7
from server.models import Account, Answer, Classroom, CoachClass, Event, SkillState
from server.models.projects import HandIn, Project, ProjectPlan


def class_id_of(people) -> str:
    return people["amina"].classroom_id


def offer(browser_for, people, title="Measure the school garden", criteria="Measured carefully\nClear drawing"):
    response = browser_for("teacher").post(f"/coach/classes/{class_id_of(people)}/projects",
                                           data={"title": title, "description": "Measure it, then draw it.",
                                                 "criteria": criteria})
    assert response.status_code == 303
    with database.connection_context():
        return Project.get(Project.title == title)


def hand_in_text(browser, project_id, text):
    return browser.post(f"/projects/{project_id}/hand-in", data={"attempt": uuid7(), "text": text})


def rows(model, *where):
    with database.connection_context():
        return list(model.select().where(*where)) if where else list(model.select())


def test_a_project_from_menu_to_portfolio(demo_app, browser_for, people):
    project = offer(browser_for, people)
    amina, teacher = browser_for("amina"), browser_for("teacher")
    menu = amina.get("/projects").get_data(as_text=True)
    assert "Measure the school garden" in menu and f'href="/projects/{project.id}"' in menu
    assert 'href="/projects"' in amina.get("/me").get_data(as_text=True)
    # Plan: add two steps, tick one, remove one.
    for step in ("Borrow a tape measure", "Draw the plan"):
        assert amina.post(f"/projects/{project.id}/plan", data={"action": "add", "step": step}).status_code == 303
    amina.post(f"/projects/{project.id}/plan", data={"action": "toggle", "step_index": "0"})
    amina.post(f"/projects/{project.id}/plan", data={"action": "remove", "step_index": "1"})
    [plan] = rows(ProjectPlan, ProjectPlan.learner_id == people["amina"].id)
    assert plan.steps == [{"text": "Borrow a tape measure", "done": True}]
    # Version 1, reviewed "not finished".
    assert hand_in_text(amina, project.id, "The garden is 12 m by 8 m.").status_code == 303
    page = amina.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Sent to your coach" in page and "The garden is 12 m by 8 m." in page
    queue = teacher.get(f"/coach/classes/{class_id_of(people)}/hand-ins").get_data(as_text=True)
    [v1] = rows(HandIn, HandIn.learner_id == people["amina"].id)
    assert f"/hand-ins/{v1.id}" in queue and "Amina" in queue
    assert "Hand-ins to review" in teacher.get(f"/coach/classes/{class_id_of(people)}").get_data(as_text=True)
    review = teacher.post(f"/coach/classes/{class_id_of(people)}/hand-ins/{v1.id}",
                          data={"level-0": "got_it", "level-1": "not_yet", "feedback": "Add a drawing, please."})
    assert review.status_code == 303
    page = amina.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Add a drawing, please." in page and "Not yet" in page and "Got it" in page
    assert "Your coach replied" in amina.get("/projects").get_data(as_text=True)
    # Version 2, marked finished: it is in the portfolio (learner's and coach's printable page).
    hand_in_text(amina, project.id, "Now with a drawing of the beds.")
    v2 = rows(HandIn, HandIn.learner_id == people["amina"].id, HandIn.version == 2)[0]
    teacher.post(f"/coach/classes/{class_id_of(people)}/hand-ins/{v2.id}",
                 data={"level-0": "got_it", "level-1": "got_it", "feedback": "Well done.", "finished": "yes"})
    assert [h.version for h in rows(HandIn, HandIn.learner_id == people["amina"].id)] == [1, 2]  # versions kept
    portfolio = amina.get("/me/portfolio").get_data(as_text=True)
    assert "Measure the school garden" in portfolio and "Now with a drawing of the beds." in portfolio
    assert "Well done." in portfolio and "Print" in portfolio
    coach_view = teacher.get(f"/coach/classes/{class_id_of(people)}/learners/{people['amina'].id}/portfolio")
    assert coach_view.status_code == 200 and "Now with a drawing of the beds." in coach_view.get_data(as_text=True)
    assert "Nothing is waiting for review." in teacher.get(
        f"/coach/classes/{class_id_of(people)}/hand-ins").get_data(as_text=True)


def test_a_learners_own_proposal_waits_for_the_coach(demo_app, browser_for, people):
    amina, juma, teacher = browser_for("amina"), browser_for("juma"), browser_for("teacher")
    assert amina.post("/projects/propose", data={"title": "Rain gauge",
                                                 "description": "Measure the rain each day."}).status_code == 303
    [idea] = rows(Project, Project.proposed_by == people["amina"].id)
    assert idea.status == "proposed" and "waiting for your coach" in amina.get("/projects").get_data(as_text=True)
    assert hand_in_text(amina, idea.id, "early").status_code == 400  # not accepted yet
    assert juma.get(f"/projects/{idea.id}").status_code == 404
    assert "Rain gauge" not in juma.get("/projects").get_data(as_text=True)
    page = teacher.get(f"/coach/classes/{class_id_of(people)}/projects").get_data(as_text=True)
    assert "Rain gauge" in page and "Amina" in page
    teacher.post(f"/coach/classes/{class_id_of(people)}/projects/{idea.id}/decide",
                 data={"decision": "accept", "criteria": "Daily readings"})
    with database.connection_context():
        idea = Project.get_by_id(idea.id)
    assert (idea.status, idea.criteria) == ("accepted", ["Daily readings"])
    assert hand_in_text(amina, idea.id, "Day 1: 4 mm").status_code == 303
    assert juma.get(f"/projects/{idea.id}").status_code == 404


def test_a_script_in_a_hand_in_is_shown_as_text(demo_app, browser_for, people):
    project = offer(browser_for, people)
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    hand_in_text(browser_for("amina"), project.id, script)
    [work] = rows(HandIn, HandIn.learner_id == people["amina"].id)
    assert work.text == script  # stored as written, never lost
    for page in (browser_for("amina").get(f"/projects/{project.id}"),
                 browser_for("teacher").get(f"/coach/classes/{class_id_of(people)}/hand-ins/{work.id}")):
        html = page.get_data(as_text=True)
        assert "&lt;script&gt;alert(" in html and "<script>alert" not in html and "<img src=x" not in html


def test_other_learners_and_other_classes_coaches_cannot_see_a_hand_in(demo_app, browser_for, people):
    project = offer(browser_for, people)
    hand_in_text(browser_for("amina"), project.id, "mine")
    [work] = rows(HandIn, HandIn.learner_id == people["amina"].id)
    with database.connection_context():
        school = people["amina"].school_id
        other = Classroom.create(id=str(uuid7()), school=school, name="Class 6")
        stranger = Account.create(id=str(uuid7()), school=school, username="coach6", display_name="Other coach",
                                  role="coach", password_hash="x")
        CoachClass.create(coach=stranger, classroom=other)
    from tests.conftest import Browser

    coach6 = Browser(demo_app, stranger)
    class5 = class_id_of(people)
    assert coach6.get(f"/coach/classes/{class5}/hand-ins").status_code == 404
    assert coach6.get(f"/coach/classes/{class5}/hand-ins/{work.id}").status_code == 404
    assert coach6.get(f"/coach/classes/{other.id}/hand-ins/{work.id}").status_code == 404
    assert coach6.post(f"/coach/classes/{other.id}/hand-ins/{work.id}", data={"feedback": "x"}).status_code == 404
    assert coach6.get(f"/coach/classes/{other.id}/learners/{people['amina'].id}/portfolio").status_code == 404
    juma = browser_for("juma")
    assert "mine" not in juma.get(f"/projects/{project.id}").get_data(as_text=True)
    assert juma.get(f"/coach/classes/{class5}/hand-ins/{work.id}").status_code == 403
    # A project of another class cannot be opened or handed in to.
    with database.connection_context():
        elsewhere = Project.create(id=str(uuid7()), classroom_id=other.id, title="Elsewhere", created_by=stranger.id)
    assert browser_for("amina").get(f"/projects/{elsewhere.id}").status_code == 404
    assert hand_in_text(browser_for("amina"), elsewhere.id, "sneaky").status_code == 404
    assert rows(HandIn, HandIn.project_id == elsewhere.id) == []


@pytest.mark.parametrize("form, message", [
    ({"level-0": "got_it", "feedback": "Good"}, "Choose a level for every criterion."),
    ({"level-0": "got_it", "level-1": "excellent", "feedback": "Good"}, "Choose a level for every criterion."),
    ({"level-0": "got_it", "level-1": "got_it", "feedback": "  "}, "Write a few words of feedback"),
])
def test_an_incomplete_review_is_refused_and_changes_nothing(demo_app, browser_for, people, form, message):
    project = offer(browser_for, people)
    hand_in_text(browser_for("amina"), project.id, "work")
    [work] = rows(HandIn, HandIn.learner_id == people["amina"].id)
    response = browser_for("teacher").post(f"/coach/classes/{class_id_of(people)}/hand-ins/{work.id}", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert rows(HandIn, HandIn.id == work.id)[0].reviewed_at is None
    assert rows(Event, Event.kind == "work_reviewed") == []


def test_bad_project_input_is_refused_clearly(demo_app, browser_for, people):
    teacher, amina = browser_for("teacher"), browser_for("amina")
    too_many = "\n".join(f"criterion {n}" for n in range(9))
    response = teacher.post(f"/coach/classes/{class_id_of(people)}/projects", data={"title": "X", "criteria": too_many})
    assert response.status_code == 400 and "At most 6 criteria" in response.get_data(as_text=True)
    assert teacher.post(f"/coach/classes/{class_id_of(people)}/projects", data={"title": ""}).status_code == 400
    assert rows(Project) == []
    project = offer(browser_for, people)
    empty = hand_in_text(amina, project.id, "   ")
    assert empty.status_code == 400 and "Write something" in empty.get_data(as_text=True)
    long = hand_in_text(amina, project.id, "x" * 3001)
    assert long.status_code == 400 and "too long" in long.get_data(as_text=True)
    assert amina.post(f"/projects/{project.id}/plan", data={"action": "toggle", "step_index": "7"}).status_code == 400
    assert rows(HandIn) == []


def test_a_double_submit_hands_in_once(demo_app, browser_for, people):
    project = offer(browser_for, people)
    amina, attempt = browser_for("amina"), uuid7()
    for _ in range(2):
        amina.post(f"/projects/{project.id}/hand-in", data={"attempt": attempt, "text": "once"})
    assert len(rows(HandIn, HandIn.learner_id == people["amina"].id)) == 1


def test_rebuild_gives_the_same_hand_ins(demo_app, browser_for, people):
    from server.learning.progress import rebuild_all

    project = offer(browser_for, people)
    hand_in_text(browser_for("amina"), project.id, "v1")
    [work] = rows(HandIn)
    browser_for("teacher").post(f"/coach/classes/{class_id_of(people)}/hand-ins/{work.id}",
                                data={"level-0": "got_it", "level-1": "getting_there", "feedback": "ok",
                                      "finished": "yes"})
    before = [(h.id, h.text, h.levels, h.feedback, h.is_finished) for h in rows(HandIn)]
    with database.connection_context():
        rebuild_all()
    assert [(h.id, h.text, h.levels, h.feedback, h.is_finished) for h in rows(HandIn)] == before


# --- open questions in packs ----------------------------------------------------------------

@pytest.fixture
def essay_pack(demo_app, library, tmp_path):
    """A small pack whose GIFT file has an essay question next to a graded one."""
    from server.content.packs.build import build_pack
    from server.content.packs.install import import_pack

    src = tmp_path / "essay-src"
    (src / "lessons").mkdir(parents=True)
    (src / "practice").mkdir()
    (src / "pack.yaml").write_text(
        "format: 1\nid: farming\nversion: 1.0.0\ntitle: Farming\nlanguage: en\nlicence: CC0-1.0\n"
        "skills:\n  - {id: soil, title: Soil, prerequisites: []}\n"
        "units:\n  - id: u1\n    title: Soil\n    lessons: [lessons/01.md]\n"
        "    practice:\n      - file: practice/soil.gift\n        skill: soil\n")
    (src / "lessons" / "01.md").write_text("---\nid: soil\ntitle: Soil\nskills: [soil]\n---\n\nSoil is alive.\n")
    (src / "practice" / "soil.gift").write_text(
        "::soil-why::Why do farmers add compost to soil? Explain in your own words.{}\n\n"
        "::soil-alive::Soil is alive.{T}\n")
    import_pack(build_pack(src, tmp_path / "farming.lantern").path, library, progress=lambda _: None)
    return "farming"


def test_an_open_question_becomes_a_coach_reviewed_hand_in(demo_app, browser_for, people, essay_pack):
    amina, teacher = browser_for("amina"), browser_for("teacher")
    skills = amina.get(f"/practice/{essay_pack}").get_data(as_text=True)
    assert f'href="/open/{essay_pack}"' in skills
    assert 'href="/open/farming/soil-why"' in amina.get(f"/open/{essay_pack}").get_data(as_text=True)
    form = amina.get("/open/farming/soil-why").get_data(as_text=True)
    attempt = re.search(r'name="attempt" value="([^"]+)"', form).group(1)
    assert "Why do farmers add compost" in form
    response = amina.post("/open/farming/soil-why", data={"attempt": attempt, "text": "It feeds the worms."})
    assert response.status_code == 303
    assert "Sent to your coach" in amina.get(response.headers["Location"]).get_data(as_text=True)
    [work] = rows(HandIn, HandIn.learner_id == people["amina"].id)
    assert (work.source, work.pack_id, work.item_id) == ("essay", "farming", "soil-why")
    assert work.text == "It feeds the worms."
    # Not right, not wrong: no answer row and no mastery change until (and after) review.
    assert rows(Answer, Answer.learner_id == people["amina"].id) == []
    assert rows(SkillState, SkillState.learner_id == people["amina"].id) == []
    queue = teacher.get(f"/coach/classes/{class_id_of(people)}/hand-ins").get_data(as_text=True)
    assert f"/hand-ins/{work.id}" in queue and "Open question" in queue
    review_page = teacher.get(f"/coach/classes/{class_id_of(people)}/hand-ins/{work.id}").get_data(as_text=True)
    assert "Why do farmers add compost" in review_page and "It feeds the worms." in review_page
    teacher.post(f"/coach/classes/{class_id_of(people)}/hand-ins/{work.id}",
                 data={"feedback": "Yes, and compost keeps water in the soil too."})
    page = amina.get("/open/farming/soil-why").get_data(as_text=True)
    assert "compost keeps water in the soil too" in page and "Feedback from your coach" in page
    assert rows(SkillState, SkillState.learner_id == people["amina"].id) == []


def test_practice_never_drops_an_essay_answer(demo_app, browser_for, people, essay_pack):
    amina = browser_for("amina")
    # The practice page sends the learner to the open-question page instead of a text box.
    moved = amina.get("/practice/farming/soil?item=soil-why")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/open/farming/soil-why")
    # An essay posted to the practice route is kept for the coach, not refused and lost.
    response = amina.post("/practice/farming/soil", data={"item": "soil-why", "attempt": uuid7(),
                                                         "answer": "Compost is food for the soil."})
    assert response.status_code == 303 and "/open/farming/soil-why" in response.headers["Location"]
    [work] = rows(HandIn, HandIn.learner_id == people["amina"].id)
    assert work.text == "Compost is food for the soil." and rows(Answer) == []


def test_a_learner_never_sees_another_learners_open_answer(demo_app, browser_for, people, essay_pack):
    amina = browser_for("amina")
    form = amina.get("/open/farming/soil-why").get_data(as_text=True)
    attempt = re.search(r'name="attempt" value="([^"]+)"', form).group(1)
    amina.post("/open/farming/soil-why", data={"attempt": attempt, "text": "Amina private answer"})
    assert "Amina private answer" in amina.get("/open/farming/soil-why").get_data(as_text=True)
    assert "Amina private answer" not in browser_for("juma").get("/open/farming/soil-why").get_data(as_text=True)
    assert browser_for("amina").get("/open/farming/soil-alive").status_code == 404  # not an open question


def test_migration_5_adds_its_tables_to_a_database_of_the_previous_release(app):
    from server.migrations import SchemaMigration, run_migrations
    from server.models.projects import PROJECT_MODELS

    with database.connection_context():
        database.drop_tables(PROJECT_MODELS)
        SchemaMigration.delete().where(SchemaMigration.number == 5).execute()
        assert not database.table_exists("hand_in")
        assert run_migrations() == [5]
        assert all(database.table_exists(m._meta.table_name) for m in PROJECT_MODELS)
        assert run_migrations() == []

"""The coach's five minutes over real HTTP: overview and needs help, item analysis, a group made
from a wrong answer, assigned work first in "What next", learner page, printable reports, CSV
exports, who may open what, and how many queries the overview costs."""
import csv
import gzip
import io
import re
import uuid

import pytest

from server.db import database
from server.models import Account, Assignment, Classroom, Item, LearnerGroup, PackVersion
from server.learning.progress import record_event
from tests.conftest import Browser, answer_in_practice as _answer

SKILL = "fraction-meaning"  # the first skill of the fractions pack: never locked


def _items():
    with database.connection_context():
        return {i.item_id: i.data for i in Item.select().join(PackVersion).where(
            PackVersion.is_active & (PackVersion.pack_id == "fractions"))}


def _row(html: str, name: str) -> str:
    """The grid row of one learner."""
    return re.search(rf'<tr><th scope="row"[^>]*><a [^>]*>{name}</a></th>(.*?)</tr>', html, re.S).group(1)


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_overview_shows_who_mastered_and_who_is_stuck_with_a_suggestion(stuck_and_mastered, browser_for, class_id):
    response = browser_for("teacher").get(f"/coach/classes/{class_id}?pack=fractions")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    first_cell = re.compile(r'<td class="s-(\w+)"><span aria-hidden="true">.</span> ([^<]*)</td>')
    assert first_cell.search(_row(html, "Amina")).groups() == ("mastered", "Mastered")
    assert first_cell.search(_row(html, "Juma")).groups() == ("struggling", "Struggling: 4 wrong in a row")
    assert first_cell.search(_row(html, "Neema")).groups() == ("new", "Not started")
    assert "Locked" in _row(html, "Neema")  # later skills wait for their prerequisites
    help_section = html[html.index('id="help"'):html.index("Who mastered what</h2>")]
    assert "Juma</bdi></a></strong> — 4 wrong in a row on Knowing what a fraction means" in help_section
    assert "Suggested: assign the lesson “What is a fraction?” that teaches Knowing what a fraction means." in help_section
    assert "Amina" not in help_section
    assert "has not answered a question yet" in help_section  # the four who never started
    # Accessible, CSP-clean markup: captions, scoped headers, a focusable scroll region, an SVG with a title.
    assert "<caption" in html and '<th scope="col">' in html and 'role="region"' in html and 'tabindex="0"' in html
    assert re.search(r'<svg [^>]*role="img"[^>]*>\s*<title id="chart-title">', html)
    assert "Knowing what a fraction means: 1 of 6." in html  # the chart's text alternative
    assert " style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline code


def test_needs_help_button_assigns_the_lesson_to_that_learner_only(stuck_and_mastered, browser_for, class_id):
    teacher = browser_for("teacher")
    html = teacher.get(f"/coach/classes/{class_id}?pack=fractions").get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+)">.*?name="target" value="(learner:[^"]+)">'
                     r'<input type="hidden" name="work" value="([^"]+)">', html, re.S)
    response = teacher.post(form.group(1), data={"pack": "fractions", "target": form.group(2), "work": form.group(3)})
    assert response.status_code == 303
    assert "done=1" in response.headers["Location"]
    juma_next = browser_for("juma").get("/next").get_data(as_text=True)
    first = re.search(r'<li><a href="([^"]+)"><strong>(?:<bdi>)?([^<]+)(?:</bdi>)?</strong></a><span>([^<]+)</span>', juma_next)
    assert first.groups() == ("/packs/fractions/lessons/what-is-a-fraction", "What is a fraction?",
                              "Your coach assigned this.")
    assert "Your coach assigned" not in browser_for("amina").get("/next").get_data(as_text=True)


def test_item_analysis_gives_shares_and_the_most_common_wrong_answer_with_names(demo_app, browser_for, class_id):
    loaves = _items()["pw-equal-loaves"]
    assert [a["text"] for a in loaves["answers"]] == ["Loaf A", "Loaf B", "Both loaves"]
    _answer(browser_for("amina"), "pw-equal-loaves", fields_override={"answer": "0"})
    _answer(browser_for("juma"), "pw-equal-loaves", fields_override={"answer": "1"})
    _answer(browser_for("juma"), "pw-equal-loaves", fields_override={"answer": "1"})
    _answer(browser_for("neema"), "pw-equal-loaves", fields_override={"answer": "1"})
    _answer(browser_for("baraka"), "pw-equal-loaves", fields_override={"answer": "2"})
    _answer(browser_for("zawadi"), "pw-unequal-quarters-tf", correct=True)
    html = browser_for("teacher").get(f"/coach/classes/{class_id}/items?pack=fractions").get_data(as_text=True)
    # Hardest first: the loaves question (1 right of 5) before the true/false one (1 of 1).
    assert html.index("Which loaf is cut into thirds?") < html.index("True or false: each piece is one quarter")
    assert "20 % right</strong>: 1 of 5 answers, 4 learners." in html
    loaves_table = html[html.index("Which loaf"):html.index("True or false: each piece")]
    wrong = [(label, re.sub(r"<[^>]+>", "", cell)) for label, cell in re.findall(
        r'<th scope="row" lang="en" dir="ltr">“([^”]+)”</th>\s*<td>(.*?)</td>', loaves_table)]
    assert wrong == [("Loaf B", "2 (50 % of those who answered), 3 times: Juma, Neema"),
                     ("Both loaves", "1 (25 % of those who answered), 1 time: Baraka")]


def test_item_analysis_reads_only_the_covering_index_of_the_class_answers(demo_app, class_id):
    """Migration 3's index answers both queries, so the page costs the class, not the school."""
    from server.coaching.item_analysis import class_answer_queries

    with database.connection_context():
        classroom = Classroom.get_by_id(class_id)
        for query in class_answer_queries(classroom, "fractions"):
            sql, params = query.sql()
            plan = " | ".join(row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "USING COVERING INDEX answer_class_items" in plan, plan


def test_a_group_from_a_wrong_answer_gets_assigned_work_first_in_what_next(demo_app, browser_for, class_id):
    for learner in ("juma", "neema"):
        _answer(browser_for(learner), "pw-equal-loaves", fields_override={"answer": "1"})
    _answer(browser_for("amina"), "pw-equal-loaves", fields_override={"answer": "0"})
    teacher = browser_for("teacher")
    items_html = teacher.get(f"/coach/classes/{class_id}/items?pack=fractions").get_data(as_text=True)
    group_form = items_html[items_html.index("“Loaf B”"):]
    group_form = group_form[:group_form.index("</form>")]
    members = re.findall(r'name="members" value="([^"]+)"', group_form)
    name = re.search(r'name="name" value="([^"]+)"', group_form).group(1)
    # Tap 1: make the group from the wrong answer; the assign form opens with the group chosen.
    work = re.findall(r'name="work" value="([^"]+)"', group_form)
    made = teacher.post(f"/coach/classes/{class_id}/groups", data={"pack": "fractions", "members": members,
                                                                   "name": name, "work": work})
    assert made.status_code == 303
    assign_page = teacher.get(made.headers["Location"]).get_data(as_text=True)
    with database.connection_context():
        group = LearnerGroup.get(LearnerGroup.classroom == class_id)
        assert sorted(group.members) == sorted(a.id for a in Account.select().where(
            Account.username.in_(["juma", "neema"])))
    assert f'<option value="group:{group.id}" selected>Group: {group.name} (2)</option>' in assign_page
    # The lesson and the practice of the question's skill are already ticked.
    ticked = re.findall(r'name="work" value="([^"]+)" checked', assign_page)
    assert ticked == ["lesson:what-is-a-fraction", "skill:fraction-meaning"]
    # Taps 2 and 3: a due date (Friday), and Assign. Add the comparing lesson too.
    from datetime import date, timedelta

    from babel.dates import format_date
    friday = date.today() + timedelta(days=(4 - date.today().weekday()) % 7 or 7)
    done = teacher.post(f"/coach/classes/{class_id}/assign", data={
        "pack": "fractions", "target": f"group:{group.id}", "due": friday.isoformat(),
        "work": ticked + ["lesson:comparing-fractions"]})
    assert done.status_code == 303
    assert "Assigned: 3. It now comes first" in teacher.get(done.headers["Location"]).get_data(as_text=True)
    with database.connection_context():
        rows = list(Assignment.select().where(Assignment.classroom_id == class_id))
        assert {(r.kind, r.ref_id) for r in rows} == {("lesson", "what-is-a-fraction"), ("lesson", "comparing-fractions"),
                                                      ("skill", "fraction-meaning")}
        assert all(r.target == {"type": "group", "id": group.id, "members": group.members} for r in rows)
        assert all(r.version == 1 and not r.deleted and r.due.date() == friday for r in rows)
    for learner in ("juma", "neema"):
        html = browser_for(learner).get("/next").get_data(as_text=True)
        first = re.search(r'<li><a href="([^"]+)"><strong>(?:<bdi>)?([^<]+)(?:</bdi>)?</strong></a><span>([^<]+)</span>', html)
        assert first.group(1) == "/packs/fractions/lessons/what-is-a-fraction"
        assert first.group(3) == f"Your coach assigned this (due {format_date(friday, 'full', locale='en')})."
    assert "Your coach assigned" not in browser_for("amina").get("/next").get_data(as_text=True)


def test_a_group_of_everyone_who_has_not_mastered_a_skill(stuck_and_mastered, browser_for, class_id):
    teacher = browser_for("teacher")
    made = teacher.post(f"/coach/classes/{class_id}/groups",
                        data={"pack": "fractions", "not_mastered": SKILL, "name": "Not yet: meaning"})
    assert made.status_code == 303
    ticked = re.findall(r'name="work" value="([^"]+)" checked', teacher.get(made.headers["Location"]).get_data(as_text=True))
    assert ticked == ["lesson:what-is-a-fraction", "skill:fraction-meaning"]
    with database.connection_context():
        group = LearnerGroup.get(LearnerGroup.name == "Not yet: meaning")
        names = {a.username for a in Account.select().where(Account.id.in_(group.members))}
    assert names == {"juma", "neema", "baraka", "zawadi", "jean"}


def _group(name):
    with database.connection_context():
        return LearnerGroup.get(LearnerGroup.name == name)


def _audit():
    from server.models import AuditEntry

    with database.connection_context():
        return [(e.action, e.detail) for e in AuditEntry.select().order_by(AuditEntry.id)]


def test_a_coach_renames_a_group_changes_its_members_and_deletes_it_keeping_assigned_work(
        demo_app, browser_for, people, class_id):
    teacher = browser_for("teacher")
    amina, juma, neema = (people[n].id for n in ("amina", "juma", "neema"))
    teacher.post(f"/coach/classes/{class_id}/groups", data={"members": [amina, juma], "name": "Readers"})
    group = _group("Readers")
    teacher.post(f"/coach/classes/{class_id}/assign",
                 data={"pack": "fractions", "target": f"group:{group.id}", "work": "lesson:naming-fractions"})
    page = teacher.get(f"/coach/classes/{class_id}/groups").get_data(as_text=True)
    assert "Readers" in page and "2 learners" in page
    saved = teacher.post(f"/coach/classes/{class_id}/groups/{group.id}",
                         data={"name": "  Strong   readers ", "members": [juma, neema]})
    assert saved.status_code == 303
    assert "The group is saved." in teacher.get(saved.headers["Location"]).get_data(as_text=True)
    edited = _group("Strong readers")
    assert set(edited.members) == {juma, neema} and edited.version == group.version + 1
    # Bad edits change nothing: no members, a learner of another class, another class's group.
    for members in ([], [juma, "not-a-learner"]):
        refused = teacher.post(f"/coach/classes/{class_id}/groups/{group.id}", data={"name": "X", "members": members})
        assert refused.status_code == 400 and "Please choose learners of this class" in refused.get_data(as_text=True)
    assert _group("Strong readers").version == edited.version
    deleted = teacher.post(f"/coach/classes/{class_id}/groups/{group.id}/delete")
    assert deleted.status_code == 303
    with database.connection_context():
        tomb = LearnerGroup.get_by_id(group.id)
    assert tomb.deleted and tomb.version == edited.version + 1
    assert "Strong readers" not in teacher.get(f"/coach/classes/{class_id}/groups").get_data(as_text=True)
    assert teacher.post(f"/coach/classes/{class_id}/groups/{group.id}/delete").status_code == 404
    # The work assigned to the group stays with the learners who were in it then.
    assert "Naming fractions" in browser_for("amina").get("/next").get_data(as_text=True)
    assert [a for a, _ in _audit()] == ["make_group", "assign_work", "edit_group", "delete_group"]


def test_another_class_coach_cannot_touch_a_group(demo_app, browser_for, people, other_class, class_id):
    teacher = browser_for("teacher")
    teacher.post(f"/coach/classes/{class_id}/groups", data={"members": [people["amina"].id], "name": "Mine"})
    group = _group("Mine")
    other = Browser(demo_app, other_class["coach"])
    assert other.post(f"/coach/classes/{class_id}/groups/{group.id}/delete").status_code == 404
    assert other.post(f"/coach/classes/{other_class['class_id']}/groups/{group.id}/delete").status_code == 404
    assert not _group("Mine").deleted


def test_coach_actions_are_in_the_audit_log_for_the_admin(demo_app, browser_for, class_id):
    from datetime import date, timedelta

    teacher = browser_for("teacher")
    due = (date.today() + timedelta(days=30)).isoformat()
    teacher.post(f"/coach/classes/{class_id}/assign",
                 data={"pack": "fractions", "target": "class", "work": "lesson:naming-fractions", "due": due})
    with database.connection_context():
        row = Assignment.get()
    teacher.post(f"/coach/classes/{class_id}/assignments/{row.id}/remove")
    log = browser_for("admin").get("/admin/audit").get_data(as_text=True)
    assert "assigned work" in log and "took back assigned work" in log and "Naming fractions" in log
    assert 'class: <bdi translate="no">Class 5</bdi>' in log and f'due: <bdi translate="no">{due}</bdi>' in log
    # A refused assignment writes no audit entry.
    teacher.post(f"/coach/classes/{class_id}/assign", data={"pack": "fractions", "target": "class"})
    assert [a for a, _ in _audit()] == ["assign_work", "remove_assignment"]


@pytest.mark.parametrize("form, message", [
    ({"target": "class", "work": "lesson:comparing-fractions", "due": "2001-01-01"}, "The due date is in the past"),
    ({"target": "class", "work": "lesson:no-such-lesson"}, "not in this pack"),
    ({"target": "class"}, "tick at least one lesson or practice"),
    ({"target": "learner:not-in-this-class", "work": "skill:fraction-meaning"}, "That learner is not in this class"),
    ({"target": "", "work": "skill:fraction-meaning"}, "choose who the work is for"),
])
def test_bad_assignments_are_refused_with_the_form_kept(demo_app, browser_for, class_id, form, message):
    response = browser_for("teacher").post(f"/coach/classes/{class_id}/assign", data={"pack": "fractions", **form})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'role="alert"' in html and "<form" in html
    with database.connection_context():
        assert Assignment.select().count() == 0


def test_removing_work_leaves_a_tombstone_and_takes_it_off_what_next(demo_app, browser_for, class_id):
    teacher = browser_for("teacher")
    teacher.post(f"/coach/classes/{class_id}/assign",
                 data={"pack": "fractions", "target": "class", "work": "lesson:naming-fractions"})
    assert "Naming fractions" in browser_for("neema").get("/next").get_data(as_text=True)
    with database.connection_context():
        row = Assignment.get()
    assert teacher.post(f"/coach/classes/{class_id}/assignments/{row.id}/remove").status_code == 303
    with database.connection_context():
        row = Assignment.get_by_id(row.id)
    assert row.deleted and row.version == 2
    assert "Your coach assigned" not in browser_for("neema").get("/next").get_data(as_text=True)
    again = teacher.post(f"/coach/classes/{class_id}/assignments/{row.id}/remove")
    assert again.status_code == 404


def test_learner_page_shows_activity_mastery_goal_and_reflections(stuck_and_mastered, browser_for, class_id):
    amina = browser_for("amina")
    amina.post("/profile", data={"language": "", "text_size": "normal", "weekly_goal": "30"})
    amina.post("/packs/fractions/units/parts-of-a-whole/reflect", data={"learned": "Thirds are equal parts."})
    html = browser_for("teacher").get(f"/coach/classes/{class_id}/learners/{amina.account.id}").get_data(as_text=True)
    assert "4 answers, 4 right" in html and "this week: 4 / 30" in html
    assert ('Knowing what a fraction means</span>: <span class="s-mastered"><span aria-hidden="true">✔</span> Mastered'
            in html)
    assert "No wrong answers yet." in html
    assert "What I learned: Thirds are equal parts." in html
    timeline = html[html.index("Recent activity"):]
    assert timeline.index("Wrote a reflection on “Parts of a whole”") < timeline.index("Set a weekly goal of 30 answers")
    assert "Mastered Knowing what a fraction means" in timeline
    assert "Answered a question on Knowing what a fraction means: right" in timeline
    assert "<form" not in html[html.index("<main"):html.index("</main>")]


def test_parent_reports_are_plain_words_one_page_each(stuck_and_mastered, browser_for, class_id):
    teacher = browser_for("teacher")
    amina = stuck_and_mastered[0].account
    one = teacher.get(f"/coach/classes/{class_id}/learners/{amina.id}/parent-report").get_data(as_text=True)
    with database.connection_context():
        school_name = Classroom.get_by_id(class_id).school.name
    assert "Learning report for <bdi>Amina</bdi>" in one and f"{school_name} · <bdi>Class 5</bdi>" in one
    assert "Amina answered 4 practice questions and got 4 right." in one
    assert "Amina has mastered: Knowing what a fraction means." in one
    every = teacher.get(f"/coach/classes/{class_id}/parent-reports").get_data(as_text=True)
    assert every.count('<article class="page"') == 6
    assert "Neema has not answered practice questions on Lantern yet." in every
    report = teacher.get(f"/coach/classes/{class_id}/report?pack=fractions").get_data(as_text=True)
    assert "Class report: Class 5" in report and "Struggling: 4 wrong in a row" in report
    assert "<form" not in report[report.index("<main"):report.index("</main>")]


def test_each_parent_report_is_in_the_language_the_family_reads(stuck_and_mastered, browser_for, class_id):
    """Amina reads in French: her family's page is French inside the coach's English page; Juma's stays English."""
    amina, juma = stuck_and_mastered[0].account, stuck_and_mastered[1].account
    with database.connection_context():
        Account.update(profile={**(amina.profile or {}), "language": "fr"}).where(Account.id == amina.id).execute()
    every = browser_for("teacher").get(f"/coach/classes/{class_id}/parent-reports").get_data(as_text=True)
    assert '<html lang="en"' in every
    french = every[every.index("Bilan d’apprentissage de <bdi>Amina</bdi>"):]
    french = french[:french.index("</article>")]
    assert 'lang="fr" dir="ltr"' in every and "Amina a répondu à 4 questions d’entraînement" in french
    assert "Learning report for <bdi>Juma</bdi>" in every and "Juma answered 4 practice questions and got 0 right." in every


def _articles(html: str) -> dict[str, str]:
    """Each parent report of a page by its learner's name."""
    return {re.search(r"<bdi>([^<]+)</bdi>", a.split("<h1", 1)[1]).group(1): a
            for a in re.findall(r'<article class="page".*?</article>', html, re.S)}


def test_print_all_gives_every_family_its_own_language_with_nothing_left_in_english(stuck_and_mastered,
                                                                                   browser_for, class_id, people):
    choices = {"amina": "ar", "juma": "sw", "neema": "fr", "baraka": "es"}  # zawadi and jean: the school's
    with database.connection_context():
        for username, code in choices.items():
            Account.update(profile={"language": code}).where(Account.id == people[username].id).execute()
    teacher = browser_for("teacher")
    overview = teacher.get(f"/coach/classes/{class_id}").get_data(as_text=True)
    assert f'<a href="/coach/classes/{class_id}/parent-reports">Parent reports: print all</a>' in overview
    every = teacher.get(f"/coach/classes/{class_id}/parent-reports").get_data(as_text=True)
    assert '<html lang="en"' in every
    assert ("6 reports, each in the language its family reads:\n<bdi>Arabic</bdi> (1), <bdi>English</bdi> (2), "
            "<bdi>Spanish</bdi> (1), <bdi>French</bdi> (1), <bdi>Swahili</bdi> (1).") in every
    articles = _articles(every)
    assert len(articles) == 6
    expected = {"Amina": ('lang="ar" dir="rtl"', "تقرير"), "Juma": ('lang="sw" dir="ltr"', "Ripoti"),
                "Neema": ('lang="fr" dir="ltr"', "Bilan"), "Baraka": ('lang="es" dir="ltr"', "Informe"),
                "Zawadi": ('lang="en" dir="ltr"', "Learning report"), "Jean": ('lang="en" dir="ltr"', "Learning report")}
    english = ("Learning report for", "practice questions", "skills mastered", "has mastered", "working on",
               "You can help", "Family", "has not answered")
    for name, (attributes, heading) in expected.items():
        article = articles[name]
        assert article.startswith(f'<article class="page" aria-labelledby="r-') and attributes in article.split(">")[0]
        assert heading in article.split("</h1>")[0], (name, article[:300])
        if "en" not in attributes:
            assert not [words for words in english if words in article], (name, article)
    # One learner's own report is the same article, in the same language.
    single = teacher.get(f"/coach/classes/{class_id}/learners/{people['amina'].id}/parent-report").get_data(as_text=True)
    assert _articles(single)["Amina"].replace('r-1"', 'r-N"') == articles["Amina"].replace(
        f'r-{list(articles).index("Amina") + 1}"', 'r-N"')


def test_csv_exports_neutralize_formulas(stuck_and_mastered, browser_for, class_id):
    with database.connection_context():
        evil = Account.create(id=str(uuid.uuid4()), school=Classroom.get_by_id(class_id).school, username="evil",
                              display_name="=HYPERLINK(\"http://x\")", role="learner", password_hash="x",
                              classroom=class_id)
        record_event(evil.id, "answer", {"pack_id": "fractions", "item_id": "pw-half-in-words",
                                         "skill_id": "naming-fractions", "correct": False, "score": 0,
                                         "response": '{"answer": "@SUM(1+1)"}'})
    teacher = browser_for("teacher")
    grid = teacher.get(f"/coach/classes/{class_id}/grid.csv?pack=fractions")
    assert grid.status_code == 200 and grid.mimetype == "text/csv"
    assert grid.headers["Content-Disposition"] == 'attachment; filename="class-5-fractions-grid.csv"'
    rows = _csv_rows(grid)
    assert rows[0][:2] == ["Learner", "Knowing what a fraction means"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Amina"][1] == "Mastered" and by_name["Juma"][1] == "Struggling: 4 wrong in a row"
    assert "'=HYPERLINK(\"http://x\")" in by_name
    answers = _csv_rows(teacher.get(f"/coach/classes/{class_id}/answers.csv?pack=fractions"))
    assert answers[0] == ["Learner", "Username", "Answered at (UTC)", "Question", "Skill", "Right?", "Answer given"]
    evil_row = next(row for row in answers if row[1] == "evil")
    assert evil_row[0].startswith("'=") and evil_row[-1] == "'@SUM(1+1)"
    assert sum(row[0] == "Juma" and row[-1] == "Loaf B" or row[0] == "Juma" and row[-1] == "Both loaves"
               for row in answers) == 4
    items = _items()  # the question column has the question's words, never the item's id
    assert {row[3] for row in answers if row[0] == "Juma"} == {
        "Two loaves are each cut into 3 pieces. Which loaf is cut into thirds?"}
    assert not any(row[3] in items for row in answers)
    assert {row[4] for row in answers if row[0] == "Juma"} == {"Knowing what a fraction means"}  # a title, not an id


def test_the_learner_page_says_what_the_overview_says_and_lists_recent_wrong_answers(stuck_and_mastered,
                                                                                    browser_for, class_id):
    juma = stuck_and_mastered[1].account
    teacher = browser_for("teacher")
    overview = teacher.get(f"/coach/classes/{class_id}?pack=fractions").get_data(as_text=True)
    assert "Struggling: 4 wrong in a row" in _row(overview, "Juma")
    page = teacher.get(f"/coach/classes/{class_id}/learners/{juma.id}").get_data(as_text=True)
    skills = page[page.index("<h2>Skills</h2>"):page.index('<h2 id="wrong">')]
    assert ('Knowing what a fraction means</span>: <span class="s-struggling"><span aria-hidden="true">⚠</span> '
            'Struggling: 4 wrong in a row</span>') in skills
    assert "In progress" not in skills
    # Every cell of the overview's row appears, in the same words, on the learner's page.
    for words in re.findall(r'<td class="s-[a-z_]+"><span aria-hidden="true">[^<]*</span> ([^<]+)</td>',
                            _row(overview, "Juma")):
        assert words in skills
    wrong = page[page.index('<h2 id="wrong">'):page.index("<h2>Reflections</h2>")]
    assert wrong.count("<li>") == 4
    assert "Two loaves are each cut into 3 pieces. Which loaf is cut into thirds?" in wrong
    assert "Their answer: <bdi" in wrong and ">Loaf A</bdi>" in wrong  # the right answer, in words
    assert "<time datetime=" in wrong
    assert not any(item_id in page for item_id in _items())


def test_the_grid_one_skill_with_every_learner_and_one_learner_with_every_skill(stuck_and_mastered, browser_for,
                                                                                class_id, people):
    teacher = browser_for("teacher")
    overview = teacher.get(f"/coach/classes/{class_id}?pack=fractions").get_data(as_text=True)
    sums = overview[overview.index('<ul class="skill-sums">'):]
    assert ">Knowing what a fraction means</a>: 1 of 6 learners mastered it, 1 struggling</li>" in sums
    assert f'href="/coach/classes/{class_id}/grid?skill={SKILL}&amp;pack=fractions"' in sums
    assert '<details class="wide"><summary>Every learner and every skill (a wide table)</summary>' in overview

    one_skill = teacher.get(f"/coach/classes/{class_id}/grid?pack=fractions&skill={SKILL}").get_data(as_text=True)
    rows = dict(re.findall(r'<th scope="row" class="name" translate="no"><a [^>]*>([^<]+)</a></th>'
                           r'<td class="s-[a-z_]+"><span aria-hidden="true">[^<]*</span> ([^<]+)</td>', one_skill))
    assert rows == {"Amina": "Mastered", "Baraka": "Not started", "Jean": "Not started",
                    "Juma": "Struggling: 4 wrong in a row", "Neema": "Not started", "Zawadi": "Not started"}
    assert "1 of 6 learners mastered it" in one_skill and "<strong aria-current=\"page\">One skill, all learners" in one_skill
    assert 'rel="next"' in one_skill and 'rel="prev"' not in one_skill  # the first skill: the next one a tap away
    # An unknown skill shows the first one; no skill at all too.
    def main(url):
        html = teacher.get(url).get_data(as_text=True)
        return html[html.index("<main"):html.index("</main>")]
    assert main(f"/coach/classes/{class_id}/grid?pack=fractions&skill=nope") == main(
        f"/coach/classes/{class_id}/grid?pack=fractions") == one_skill[one_skill.index("<main"):one_skill.index("</main>")]

    juma = people["juma"].id
    one_learner = teacher.get(f"/coach/classes/{class_id}/grid?pack=fractions&learner={juma}").get_data(as_text=True)
    lines = re.findall(r'<th scope="row" lang="en" dir="ltr"><a [^>]*>([^<]+)</a></th>'
                       r'<td class="s-[a-z_]+"><span aria-hidden="true">[^<]*</span> ([^<]+)</td>', one_learner)
    assert lines[0] == ("Knowing what a fraction means", "Struggling: 4 wrong in a row") and len(lines) == 6
    assert {state for _, state in lines[1:]} == {"Locked"}
    # The same words as the overview's table and the learner's page.
    assert [state for _, state in lines] == re.findall(
        r'<td class="s-[a-z_]+"><span aria-hidden="true">[^<]*</span> ([^<]+)</td>', _row(overview, "Juma"))
    assert 'rel="prev"' in one_learner and 'rel="next"' in one_learner  # Juma is between Jean and Neema


def test_a_wrong_answer_on_a_question_no_longer_installed_gets_a_neutral_label(stuck_and_mastered, browser_for,
                                                                              class_id):
    juma = stuck_and_mastered[1].account
    with database.connection_context():
        record_event(juma.id, "answer", {"pack_id": "fractions", "item_id": "pw-gone-since-the-update",
                                         "skill_id": SKILL, "correct": False, "score": 0,
                                         "response": '{"answer": "7"}'})
    page = browser_for("teacher").get(f"/coach/classes/{class_id}/learners/{juma.id}").get_data(as_text=True)
    assert "pw-gone-since-the-update" not in page
    assert "a question no longer installed" in page and ">7</bdi>" in page


def _coach_routes(class_id: str, learner_id: str) -> list[tuple[str, str, dict]]:
    base = f"/coach/classes/{class_id}"
    return [("GET", base, {}), ("GET", f"{base}/items", {}), ("GET", f"{base}/report", {}),
            ("GET", f"{base}/grid?skill={SKILL}", {}), ("GET", f"{base}/grid?learner={learner_id}", {}),
            ("GET", f"{base}/learners/{learner_id}", {}), ("GET", f"{base}/learners/{learner_id}/parent-report", {}),
            ("GET", f"{base}/parent-reports", {}), ("GET", f"{base}/assign", {}),
            ("GET", f"{base}/grid.csv", {}), ("GET", f"{base}/answers.csv", {}),
            ("POST", f"{base}/assign", {"pack": "fractions", "target": "class", "work": "skill:fraction-meaning"}),
            ("POST", f"{base}/groups", {"pack": "fractions", "members": learner_id}),
            ("POST", f"{base}/assignments/{uuid.uuid4()}/remove", {})]


@pytest.mark.parametrize("who, expected", [
    ("anonymous", {"GET": 302, "POST": 401}), ("learner", {"GET": 403, "POST": 403}),
    ("own coach", {"GET": 200, "POST": 303}), ("other coach", {"GET": 404, "POST": 404}),
    ("admin", {"GET": 200, "POST": 303}),
])
def test_only_the_class_coach_and_admin_open_class_pages(demo_app, people, other_class, class_id, who, expected):
    account = {"anonymous": None, "learner": people["amina"], "own coach": people["teacher"],
               "other coach": other_class["coach"], "admin": people["admin"]}[who]
    browser = Browser(demo_app, account)
    for method, url, data in _coach_routes(class_id, people["juma"].id):
        response = browser.get(url) if method == "GET" else browser.post(url, data=data)
        want = expected[method]
        if url.endswith("/remove") and want == 303:
            want = 404  # a made-up assignment id: the class is theirs, the assignment is not there
        elif want == 404:
            assert "not one of your classes" in response.get_data(as_text=True)
        assert response.status_code == want, (who, method, url, response.status_code)
    with database.connection_context():
        made = Assignment.select().count()
    assert made == (1 if who in ("own coach", "admin") else 0)


def test_coaches_list_only_their_own_classes_and_admins_all(demo_app, people, other_class):
    own = Browser(demo_app, other_class["coach"]).get("/coach").get_data(as_text=True)
    assert "Class 6" in own and "Class 5" not in own
    every = Browser(demo_app, people["admin"]).get("/coach").get_data(as_text=True)
    assert "Class 5" in every and "Class 6" in every
    # A learner of another class is not found through this class's pages.
    halima = other_class["learner"].id
    teacher = Browser(demo_app, people["teacher"])
    assert teacher.get(f"/coach/classes/{other_class['class_id']}/learners/{halima}").status_code == 404
    with database.connection_context():
        class5 = Classroom.get(Classroom.name == "Class 5").id
    assert teacher.get(f"/coach/classes/{class5}/learners/{halima}").status_code == 404


# --- a class of 40 on a 30-skill pack: query count and page weight --------------------------

def _write_big_pack(folder, skills: int = 30):
    (folder / "lessons").mkdir(parents=True)
    (folder / "practice").mkdir()
    skill_lines = "\n".join(f"  - {{id: s{n:02d}, title: Skill number {n}, prerequisites: [{'s%02d' % (n - 1) if n % 5 else ''}]}}"
                            for n in range(skills))
    (folder / "pack.yaml").write_text(
        "format: 1\nid: big\nversion: 1.0.0\ntitle: Big pack\nlanguage: en\nlicence: CC0-1.0\n"
        f"skills:\n{skill_lines}\nunits:\n  - id: u1\n    title: Unit one\n    lessons: [lessons/01.md]\n"
        "    practice:\n      - file: practice/items.yaml\n")
    (folder / "lessons" / "01.md").write_text("---\nid: one\ntitle: One\nskills: [s00]\n---\n\nText.\n")
    items = "".join(f"  - id: q{n:02d}\n    kind: single\n    skill: s{n:02d}\n    prompt: Question {n}?\n"
                    "    answers:\n      - {text: 'Yes', weight: 1.0}\n      - {text: 'No', weight: 0}\n"
                    for n in range(skills))
    (folder / "practice" / "items.yaml").write_text("items:\n" + items)


@pytest.fixture
def big_class(demo_app, library, people, tmp_path, class_id):
    """Class 5 grown to 40 learners with answers on a 30-skill pack (real events)."""
    from server.content.packs.build import build_pack
    from server.content.packs.install import import_pack

    _write_big_pack(tmp_path / "big")
    import_pack(build_pack(tmp_path / "big", tmp_path / "big.lantern").path, library, progress=lambda _: None)
    with database.connection_context():
        school = Classroom.get_by_id(class_id).school
        for n in range(34):
            Account.create(id=str(uuid.uuid4()), school=school, username=f"learner{n:02d}",
                           display_name=f"Learner {n:02d}", role="learner", password_hash="x", classroom=class_id)
        learners = list(Account.select().where((Account.classroom == class_id) & (Account.role == "learner")))
        for i, learner in enumerate(learners):
            for skill in range(0, 30, 5):
                for k in range(i % 4):
                    record_event(learner.id, "answer", {"pack_id": "big", "item_id": f"q{skill:02d}",
                                                        "skill_id": f"s{skill:02d}", "correct": bool((i + k) % 3) and i % 8 != 3,
                                                        "score": 1, "response": '{"answer": "1"}'})
    return len(learners)


def _selects_during(action) -> list[str]:
    statements: list[str] = []
    with database.connection_context():
        connection = database.connection()
        connection.set_trace_callback(statements.append)
        try:
            action()
        finally:
            connection.set_trace_callback(None)
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_the_overview_of_40_learners_on_30_skills_is_a_handful_of_queries_and_small(demo_app, big_class, people,
                                                                                   class_id):
    from server.coaching.reports import class_overview

    assert big_class == 40
    teacher = people["teacher"]
    selects = _selects_during(lambda: class_overview(teacher, class_id, "big"))
    print(f"overview: {len(selects)} queries for 40 learners × 30 skills")
    assert len(selects) <= 8, selects
    with database.connection_context():
        overview = class_overview(teacher, class_id, "big")
    assert len(overview.rows) == 40 and len(overview.skills) == 30
    assert {cell.state for row in overview.rows for cell in row.cells} >= {"new", "locked", "in_progress", "struggling"}
    # The whole page, as it travels: a few more queries (session, setup check), gzipped well under 40 KB.
    browser, response = Browser(demo_app, teacher), None

    def fetch():
        nonlocal response
        response = browser.get(f"/coach/classes/{class_id}?pack=big", headers={"Accept-Encoding": "gzip"})
    page_selects = _selects_during(fetch)
    print(f"overview page: {len(page_selects)} queries, {len(response.data)} bytes gzipped")
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    # 13: the 12 of the page, plus one for the PIN-guessing alert (issue 18).
    assert len(response.data) < 40 * 1024 and len(page_selects) <= 13, page_selects
    html = gzip.decompress(response.data).decode()
    assert html.count('<tr><th scope="row" translate="no">') == 40 and html.count('<th scope="col" lang="en" dir="ltr">') == 30
    # Fewer learners: the same number of queries.
    with database.connection_context():
        Account.update(deleted=True).where(Account.username.startswith("learner")).execute()
    assert len(_selects_during(lambda: class_overview(teacher, class_id, "big"))) == len(selects)

"""Learning together in real Chromium with JavaScript off: a learner asks under a lesson, a classmate
answers and reports, the coach marks the answer helpful and replies (from the Questions page and from the
lesson's thread, marked "Coach"); then the pages this adds (with posts and a
study-buddy pairing in them) are checked like every other page: valid HTML, no axe violations, and
within their byte budgets."""
import re
import sqlite3
import uuid

import pytest

from tests.browser.checks import (assert_fits_a_phone_with_big_targets, assert_no_axe_violations,
                                  assert_valid_html, assert_within_budgets)
from tests.browser.crawl import Visitor, parse
from tests.browser.test_no_javascript import sign_in_without_scripts
from tests.browser.test_page_budgets import LESSON_SHELL_BUDGET, shell_size, stylesheets  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SKILL = "fraction-meaning"


def _first_lesson(visitor: Visitor) -> str:
    return re.search(r'href="(/packs/fractions/lessons/[^"]+)"', visitor.fetch("/packs/fractions").html).group(1)


def _post(visitor: Visitor, page_url: str, action: str, body: str):
    """Send the form with `action` on a page, with `body` typed in."""
    form = next(f for f in parse(visitor.fetch(page_url).html).forms if f.action == action)
    return visitor.fetch(action, dict(form.fields) | {"body": body}, via=f"form on {page_url}")


def test_asking_answering_and_moderating_with_javascript_off(chromium, live_server):
    lesson = _first_lesson(Visitor(live_server, "anonymous"))
    amina = sign_in_without_scripts(chromium, live_server, "amina", "1234")
    juma = sign_in_without_scripts(chromium, live_server, "juma", "2345")
    coach = sign_in_without_scripts(chromium, live_server, "teacher", "teacher-demo")
    try:
        amina.goto(live_server + lesson)
        amina.type_into("#ask-body", "Is <b>2/4</b> really the same as 1/2?")
        amina.click(f"form[action='{lesson}/questions'] button[type=submit]", navigates=True)
        assert amina.url().endswith(f"{lesson}/questions?done=asked"), amina.url()
        assert "Is &lt;b&gt;2/4&lt;/b&gt; really the same as 1/2?" in amina.html()

        juma.goto(live_server + lesson + "/questions")
        juma.type_into("textarea[id^='a-']", "Yes: cut a loaf in 4 and take 2, that is half.")
        juma.click("form[action^='/questions/'] button[type=submit]", navigates=True)
        assert "done=answered" in juma.url() and "that is half." in juma.html()
        juma.click("form[action$='/report'] button", navigates=True)
        assert "Your coach will look at it." in juma.html()

        coach.click("nav a[href='/coach']", navigates=True)
        coach.click("ul.cards a[href^='/coach/classes/']", navigates=True)
        coach.click("a[href$='/questions']", navigates=True)
        assert "Reported by learners (1)" in coach.html() and "Not answered yet (0)" in coach.html()
        coach.click("form:has(input[value='helpful']) button", navigates=True)
        assert "✔ Helpful" in coach.html()
        amina.goto(live_server + lesson + "/questions")
        assert "Your coach marked this answer helpful" in amina.html()

        coach.type_into("textarea[id^='p-r-']", "Yes. Fold a paper in 4, colour 2: half is coloured.")
        coach.click("form:has(textarea[id^='p-r-']) button[type=submit]", navigates=True)
        assert "done=replied" in coach.url() and "Your reply is posted." in coach.html()
        coach.click(f"a[href='{lesson}/questions']", navigates=True)  # the lesson's thread
        coach.type_into("textarea[id^='a-']", "Ask me in class if it is still not clear.")
        coach.click("form[action^='/questions/'] button[type=submit]", navigates=True)
        assert coach.url().endswith(f"{lesson}/questions?done=replied"), coach.url()
        amina.goto(live_server + lesson + "/questions")
        assert amina.html().count('<span class="badge">Coach</span>') == 2
        assert "Ask me in class if it is still not clear." in amina.html()
    finally:
        for page in (amina, juma, coach):
            page.close()


@pytest.fixture
def busy_pages(live_server, live_data):
    """A class that talks: 20 questions with two answers each under the first lesson, and a study
    buddy pairing; returns {role: [Page]} of the pages this feature adds or changes."""
    amina, juma = Visitor(live_server, "learner"), Visitor(live_server, "learner")
    amina.sign_in("amina", "1234")
    juma.sign_in("juma", "2345")
    lesson = _first_lesson(amina)
    text = ("I do not understand why the bottom number gets bigger when the pieces get smaller. "
            "Can somebody explain it with bread?")
    for n in range(20):
        _post(amina, lesson, f"{lesson}/questions", f"{n}. {text}")
    questions = re.findall(r'action="(/questions/[^"]+/answers)"', juma.fetch(f"{lesson}/questions").html)
    for action in questions:
        for reply in ("Think of one loaf shared by more people: each gets less.", "Yes, more pieces, smaller."):
            _post(juma, f"{lesson}/questions", action, reply)
    with sqlite3.connect(live_data / "lantern.db") as db:  # a pairing the coach confirmed
        ids = dict(db.execute("SELECT username, id FROM account WHERE username IN ('amina', 'juma')"))
        class_id = db.execute("SELECT classroom_id FROM account WHERE username = 'juma'").fetchone()[0]
        db.execute("INSERT INTO study_pair (id, classroom_id, pack_id, skill_id, helper_id, learner_id, "
                   "created_by, created_at) VALUES (?, ?, 'fractions', ?, ?, ?, 'test', '2026-01-01 00:00:00')",
                   (str(uuid.uuid4()), class_id, SKILL, ids["amina"], ids["juma"]))
    coach = Visitor(live_server, "coach")
    coach.sign_in("teacher", "teacher-demo")
    for action in questions[:5]:
        _post(coach, f"{lesson}/questions", action, "Good question. Look at the picture of the loaf again.")
    return {"learner": [amina.fetch(lesson), amina.fetch(f"{lesson}/questions"), juma.fetch("/next"),
                        amina.fetch("/next")],
            "coach": [coach.fetch(f"/coach/classes/{class_id}?pack=fractions"),
                      coach.fetch(f"/coach/classes/{class_id}/questions"), coach.fetch(f"{lesson}/questions")]}


def test_the_new_pages_are_valid_accessible_and_small(busy_pages, chromium, live_server, axe_source,
                                                      vnu_command, stylesheets, tmp_path):
    pages = [(role, page) for role, found in busy_pages.items() for page in found]
    assert all(page.status == 200 for _, page in pages), [(p.url, p.status) for _, p in pages]
    assert "Ask Amina to explain one question to you." in busy_pages["learner"][2].html
    assert "Your coach asked you to help Juma" in busy_pages["learner"][3].html
    assert "Amina helps Juma with" in busy_pages["coach"][0].html
    assert busy_pages["coach"][2].html.count('<span class="badge">Coach</span>') >= 5

    assert_valid_html(pages, vnu_command, tmp_path)
    assert_within_budgets(pages, stylesheets)
    shell = shell_size(busy_pages["learner"][0].html, stylesheets)
    print(f"lesson shell with three questions: {shell} bytes")
    assert shell <= LESSON_SHELL_BUDGET

    juma_next = busy_pages["learner"][2]  # the same markup as Amina's What next, for another account
    assert_no_axe_violations(chromium, live_server, axe_source,
                             [pair for pair in pages if pair[1] is not juma_next])
    assert_fits_a_phone_with_big_targets(chromium, live_server, [pair for pair in pages if pair[1] is not juma_next])

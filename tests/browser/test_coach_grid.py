"""The coach's pages at class size, in real Chromium on a 360×640 phone with JavaScript off: a class of 41
learners who have practised (tests/browser/big_class.py serves it).

The mastery grid is cut into "one skill, all learners" and "one learner, all skills" (the whole table is
folded away on the overview, and printed from the class report): each view's page height is measured and
printed, and bounded; names stay in view (a sticky first column); the pages pass the crawl's checks (axe,
the HTML checker, byte budgets, no sideways scrolling, 24 px targets)."""
import json
import re

import pytest

from tests.browser.checks import (assert_fits_a_phone_with_big_targets, assert_no_axe_violations,
                                  assert_valid_html, assert_within_budgets)
from tests.browser.conftest import running_live_server
from tests.browser.crawl import Visitor
from tests.browser.test_axe_every_page import sign_in
from tests.browser.test_page_budgets import stylesheets  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEARNERS = 41
# Page heights at 360×640 that a coach can still scroll through (measured: see docs/accessibility.md).
MAX_ONE_SKILL_HEIGHT = 60 * LEARNERS + 700  # one line (two when the state wraps) per learner, plus the page
MAX_ONE_LEARNER_HEIGHT = 1800
STICKY_NAME = "getComputedStyle(document.querySelector('table.grid tbody th[scope=row]')).position"


@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    """A live server whose Class 5 has 41 learners with answers."""
    with running_live_server(tmp_path_factory.mktemp("big-class"), script="big_class.py") as address:
        yield address


@pytest.fixture(scope="module")
def coach(big_server):
    """The coach, signed in with urllib (for addresses and HTML)."""
    visitor = Visitor(big_server, "coach")
    visitor.sign_in("teacher", "teacher-demo")
    return visitor


@pytest.fixture(scope="module")
def class_url(coach) -> str:
    return re.search(r'href="(/coach/classes/[^"?]+)"', coach.fetch("/coach").html).group(1)


def _measure(chromium, base: str, urls: list[str]) -> dict[str, tuple[int, int, str]]:
    """(page height, width, the name column's `position`) of each page at 360×640, as the coach."""
    tab = chromium.page(javascript=False)
    try:
        tab.emulate_phone(360, 640)
        sign_in(tab, base, "teacher", "teacher-demo")
        found = {}
        for url in urls:
            tab.goto(base + url)
            found[url] = (tab.evaluate("document.documentElement.scrollHeight"),
                          tab.evaluate("document.documentElement.scrollWidth"), tab.evaluate(STICKY_NAME))
        return found
    finally:
        tab.close()


def test_one_skill_and_one_learner_views_fit_a_phone_for_41_learners(chromium, big_server, coach, class_url):
    overview = coach.fetch(f"{class_url}?pack=fractions")
    one_skill = re.search(r'href="([^"]*/grid\?[^"]*skill=[^"]+)"', overview.html).group(1).replace("&amp;", "&")
    one_learner = re.search(r'href="([^"]*/grid\?[^"]*learner=[^"]+)"', overview.html).group(1).replace("&amp;", "&")
    skill_page, learner_page = coach.fetch(one_skill), coach.fetch(one_learner)
    assert skill_page.html.count('<th scope="row" class="name" translate="no">') == LEARNERS
    assert "14 of 41 learners mastered it" in skill_page.html and "Struggling: 4 wrong in a row" in skill_page.html
    assert learner_page.html.count("<tr><th scope=\"row\"") == 6  # every skill of the pack, for one learner
    sizes = _measure(chromium, big_server, [f"{class_url}?pack=fractions", one_skill, one_learner,
                                            f"{class_url}/report?pack=fractions"])
    for url, (height, width, sticky) in sizes.items():
        print(f"{height:6d} px tall, {width} px wide at 360×640, name column {sticky}: {url}")
    assert sizes[one_skill][0] <= MAX_ONE_SKILL_HEIGHT and sizes[one_learner][0] <= MAX_ONE_LEARNER_HEIGHT
    assert all(width <= 360 for _, width, _ in sizes.values())
    assert {sizes[url][2] for url in (one_skill, one_learner, f"{class_url}/report?pack=fractions")} == {"sticky"}
    # The whole table is folded away on the overview (it is still there, a tap away, for a laptop).
    assert '<details class="wide"><summary>' in overview.html and overview.html.count('<tr><th scope="row"') == LEARNERS


def test_the_class_size_pages_pass_the_crawl_checks(chromium, big_server, coach, class_url, axe_source, vnu_command,
                                                    stylesheets, tmp_path):
    overview = coach.fetch(f"{class_url}?pack=fractions")
    stuck = re.search(r'<a href="(/coach/classes/[^"]+/learners/[^"]+)"><bdi>Chausiku', overview.html).group(1)
    urls = [f"{class_url}?pack=fractions", f"{class_url}/grid?pack=fractions",
            f"{class_url}/grid?pack=fractions&skill=naming-fractions",
            re.search(r'href="([^"]*/grid\?[^"]*learner=[^"]+)"', overview.html).group(1).replace("&amp;", "&"),
            stuck, f"{class_url}/report?pack=fractions", f"{class_url}/parent-reports"]
    pages = [("coach", coach.fetch(url)) for url in urls]
    assert all(page.status == 200 for _, page in pages), [(p.url, p.status) for _, p in pages]
    assert "Recent wrong answers" in pages[4][1].html and "Their answer" in pages[4][1].html
    assert 'lang="ar" dir="rtl"' in pages[6][1].html  # print all: a family's report in Arabic among them
    assert_valid_html(pages, vnu_command, tmp_path)
    assert_within_budgets(pages, stylesheets)
    assert_no_axe_violations(chromium, big_server, axe_source, pages)
    assert_fits_a_phone_with_big_targets(chromium, big_server, pages)


BREAKS = """JSON.stringify([...document.querySelectorAll('article.page')].map(
  a => [a.lang, a.dir, getComputedStyle(a).breakAfter]))"""


def test_print_all_is_one_document_with_a_page_per_family_in_its_language(chromium, big_server, coach, class_url):
    """Four families read Arabic, Kiswahili, French and Spanish (big_class.py), the rest the school's English."""
    page = coach.fetch(f"{class_url}/parent-reports")
    assert page.html.count('<article class="page"') == LEARNERS
    tab = chromium.page(javascript=False)
    try:
        tab.emulate_phone(360, 640)
        sign_in(tab, big_server, "teacher", "teacher-demo")
        tab.goto(big_server + f"{class_url}/parent-reports")
        tab.command("Emulation.setEmulatedMedia", {"media": "print"})
        articles = json.loads(tab.evaluate(BREAKS))
        hidden = tab.evaluate("getComputedStyle(document.querySelector('.top')).display")
    finally:
        tab.close()
    assert len(articles) == LEARNERS and hidden == "none"  # the top bar stays off the paper
    assert [a[2] for a in articles] == ["page"] * (LEARNERS - 1) + ["auto"]  # no blank page at the end
    languages = {(lang, direction) for lang, direction, _ in articles}
    assert languages == {("en", "ltr"), ("ar", "rtl"), ("sw", "ltr"), ("fr", "ltr"), ("es", "ltr")}


def test_the_coach_flow_in_arabic(chromium, big_server, coach, class_url, axe_source):
    """A question asked and replied to, then every page of the coach's flow in Arabic, right to left, at 360 px
    (axe needs the page's script engine, so this pass runs with it on; the pages above were measured with it
    off)."""
    from tests.browser.test_axe_every_page import WIDER_THAN_THE_SCREEN, axe_violations
    from tests.browser.test_learning_together import _first_lesson, _post
    from tests.browser.test_tap_targets import small_targets

    amina = Visitor(big_server, "learner")
    amina.sign_in("amina", "1234")
    lesson = _first_lesson(amina)
    _post(amina, lesson, f"{lesson}/questions", "لماذا 2/4 تساوي 1/2؟")
    board = f"{class_url}/questions"
    reply = re.search(r'action="(/questions/[^"]+/answers)"', coach.fetch(board).html).group(1)
    _post(coach, board, reply, "Fold a paper in four.")
    overview = coach.fetch(f"{class_url}?pack=fractions").html
    learner = re.search(r'<a href="(/coach/classes/[^"]+/learners/[^"]+)"><bdi>Chausiku', overview).group(1)
    paths = [f"{class_url}?pack=fractions", f"{class_url}/grid?pack=fractions",
             f"{class_url}/grid?pack=fractions&learner=" + learner.rsplit("/", 1)[1], learner,
             f"{class_url}/parent-reports", board, lesson, f"{lesson}/questions"]
    tab = chromium.page()
    problems = []
    try:
        tab.emulate_phone(360, 640)
        sign_in(tab, big_server, "teacher", "teacher-demo")
        tab.goto(big_server + "/language?lang=ar&next=/")  # the footer switch, as the coach would use it
        for path in paths:
            tab.goto(big_server + path)
            if tab.evaluate("document.documentElement.dir") != "rtl":
                problems.append(f"{path}: not right to left")
            if sticking_out := tab.evaluate(WIDER_THAN_THE_SCREEN):
                problems.append(f"{path}: {sticking_out}")
            problems += [f"{path}: {target}" for target in small_targets(tab)]
            problems += [f"{path}: [{v['impact']}] {v['id']}: {v['help']} at {v['nodes'][0]['target']}"
                         for v in axe_violations(tab, axe_source)]
        assert tab.url().endswith(f"{lesson}/questions")
        thread = tab.html()
        assert "لماذا 2/4 تساوي 1/2؟" in thread and '<span class="badge">المعلّم</span>' in thread
    finally:
        tab.goto(big_server + "/language?lang=en&next=/")
        tab.close()
    assert not problems, "\n".join(problems)

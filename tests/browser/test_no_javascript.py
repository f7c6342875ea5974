"""Nothing needs JavaScript: the learner's whole loop in Chromium with scripts switched off, the
coach's overview likewise, and the key pages in a text browser (lynx) read as they should."""
import html as html_lib
import re
import subprocess

import pytest

from tests.browser.test_page_budgets import kind_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def heading(page) -> str:
    """The text of the page's first h1."""
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page.html(), re.S)
    assert match, f"no h1 on {page.url()}"
    return html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def sign_in_without_scripts(chromium, base: str, username: str, password: str):
    """A scripts-off tab, signed in by typing into the form and clicking its button."""
    page = chromium.page(javascript=False)
    page.goto(base + "/signin")
    page.type_into("#username", username)
    page.type_into("#password", password)
    page.click("form[action='/signin'] button[type=submit]", navigates=True)
    assert page.url() == base + "/", page.url()
    return page


def answer_the_question(page) -> None:
    """Answer whatever kind of question is shown, as a person would, and send it."""
    document = page.html()
    if 'class="choices"' in document:
        page.click(".choices label")
    elif 'id="answer"' in document:
        page.type_into("#answer", "1")
    for select in re.findall(r'<select id="(match-\d+)"', document):
        page.press(f"#{select}", "ArrowDown", 40)  # a closed <select> takes the next option
    page.click("form[action^='/practice/'] button[type=submit]", navigates=True)


def test_a_learner_can_do_everything_with_javascript_off(chromium, live_server):
    page = sign_in_without_scripts(chromium, live_server, "amina", "1234")
    try:
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.html()), "an inline script"  # only enhance.js
        assert heading(page) == "What next?"
        # the demo's fractions pack (the converted Kolibri/H5P packs the live server adds sort before it)
        page.click("ul.cards a[href='/packs/fractions']", navigates=True)
        page.click("ol.lessons a", navigates=True)  # its first lesson
        assert "/lessons/" in page.url() and "<article" in page.html()
        lesson_title = heading(page)
        page.click("a[href^='/practice/']", navigates=True)  # "Practise what you learned"
        assert heading(page) == "Question", f"{lesson_title}: the practice link led to {page.url()}"
        answer_the_question(page)
        assert "/result/" in page.url(), page.url()
        assert heading(page) in ("✔ Right!", "✘ Not quite")
        page.click("nav a[href='/me']", navigates=True)
        assert heading(page) == "My progress"
        assert "1 / " in page.html() or "answers" in page.html()
    finally:
        page.close()


def test_a_coach_can_open_the_overview_with_javascript_off(chromium, live_server, site):
    overview = next((p for p in site("coach") if p.url == "/coach" and p.status == 200), None)
    if overview is None:
        pytest.skip("no coach overview at /coach yet (the coach pages are not in this build)")
    page = sign_in_without_scripts(chromium, live_server, "teacher", "teacher-demo")
    try:
        page.click("nav a[href='/coach']", navigates=True)
        assert page.url() == live_server + "/coach"
        assert heading(page)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.html()), "an inline script"
    finally:
        page.close()


def lynx_dump(lynx: str, url: str | None = None, html: str | None = None) -> str:
    """What lynx shows for a page: by address, or for HTML given on standard input."""
    command = [lynx, "-dump", "-nolist", "-width=100", "-display_charset=utf-8", "-assume_charset=utf-8"]
    command += [url] if url else ["-stdin", "-force_html"]
    run = subprocess.run(command, input=html or "", capture_output=True, text=True, encoding="utf-8",
                         errors="replace", timeout=60)  # lynx may cut a multi-byte character at a line end
    assert run.returncode == 0, run.stderr
    return " ".join(run.stdout.split())


def visible_texts(fragment: str) -> list[str]:
    """The text of each element in an HTML fragment, whitespace folded."""
    texts = re.split(r"<[^>]+>", fragment)
    return [" ".join(html_lib.unescape(t).split()) for t in texts if t.strip()]


def test_the_sign_in_page_reads_well_in_a_text_browser(lynx, live_server):
    text = lynx_dump(lynx, live_server + "/signin")
    for expected in ("Skip to content", "Sign in", "Learners: choose your class", "Class 5",
                     "Your name (username)", "Password or PIN"):
        assert expected in text, f"{expected!r} not in lynx's sign-in page: {text}"


def test_a_lesson_reads_well_in_a_text_browser(lynx, live_server, site):
    lesson = next(p for p in site("anonymous") if kind_of(p) == "lesson")
    text = lynx_dump(lynx, live_server + lesson.url)
    article = lesson.html[lesson.html.index("<article"):lesson.html.index("</article>")]
    paragraphs = re.findall(r"<p>(.*?)</p>", article, re.S)
    assert paragraphs, lesson.url
    for expected in [*visible_texts(re.search(r"<h1>(.*?)</h1>", article).group(1)),
                     *visible_texts(paragraphs[0])[:3]]:
        assert expected in text, f"{expected!r} from {lesson.url} not in lynx's page: {text}"


def test_a_practice_question_reads_well_in_a_text_browser(lynx, site):
    question = next(p for p in site("learner") if kind_of(p) == "practice" and p.status == 200)
    text = lynx_dump(lynx, html=question.html)
    start = question.html.index('<form method="post" action="/practice/')
    form = question.html[start:question.html.index("</form>", start)]
    labels = [t for label in re.findall(r"<label[^>]*>(.*?)</label>", form, re.S) for t in visible_texts(label)]
    assert labels, question.url
    for expected in ["Question", "Check my answer", *labels]:
        assert expected in text, f"{expected!r} from {question.url} not in lynx's page: {text}"

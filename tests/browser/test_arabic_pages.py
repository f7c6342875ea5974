"""A few pages in Arabic, right to left: valid HTML, no axe violation, nothing scrolls sideways.

The full crawl runs in English; this pass checks that the translated, mirrored layout holds up
(the language switcher, `dir="rtl"`, the logical CSS properties) on one page of each main kind.
"""
import json
import urllib.parse
import urllib.request

import pytest

from tests.browser.crawl import ACCOUNTS
from tests.browser.test_axe_every_page import WIDER_THAN_THE_SCREEN, axe_violations, sign_in
from tests.browser.test_html_valid import run_vnu

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ANONYMOUS_PAGES = ["/", "/signin", "/search?q=fraction", "/packs/fractions",
                   "/packs/fractions/lessons/what-is-a-fraction", "/no-such-page"]
LEARNER_PAGES = ["/", "/next", "/me", "/profile", "/practice/fractions"]


def _fetch_in_arabic(base: str, path: str) -> str:
    request = urllib.request.Request(base + path, headers={"Cookie": "lantern_lang=ar"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()
    except urllib.error.HTTPError as err:  # the 404 page is checked too
        return err.read().decode()


def test_arabic_pages_are_valid_html(vnu_command, live_server, tmp_path):
    files = {}
    for n, path in enumerate(ANONYMOUS_PAGES):
        html = _fetch_in_arabic(live_server, path)
        assert '<html lang="ar" dir="rtl">' in html, path
        files[path] = tmp_path / f"ar-{n}.html"
        files[path].write_text(html, encoding="utf-8")
    invalid = {path: errors for path, errors in run_vnu(vnu_command, files).items() if errors}
    assert not invalid, "Arabic pages that are not valid HTML:\n" + "\n".join(f"{p}: {e}" for p, e in invalid.items())


@pytest.mark.parametrize("role", [None, "learner"])
def test_arabic_pages_pass_axe_and_fit_a_small_phone(chromium, axe_source, live_server, role):
    page = chromium.page()
    problems = []
    try:
        page.emulate_phone(320, 640)
        if role:
            sign_in(page, live_server, *ACCOUNTS[role])
        page.goto(live_server + "/language?lang=ar&next=/")  # the switcher, as a person would use it
        for path in LEARNER_PAGES if role else ANONYMOUS_PAGES:
            page.goto(live_server + path)
            if page.evaluate("document.documentElement.dir") != "rtl":
                problems.append(f"{path}: not right to left")
            if sticking_out := page.evaluate(WIDER_THAN_THE_SCREEN):
                problems.append(f"{path}: {sticking_out}")
            problems += [f"{path}: [{v['impact']}] {v['id']}: {v['help']} at {v['nodes'][0]['target']}"
                         for v in axe_violations(page, axe_source)]
    finally:
        if role:  # the switch saved Arabic in her profile: give the other tests their English learner back
            page.goto(live_server + "/language?lang=en&next=/")
        page.close()
    assert not problems, "\n".join(problems)


# Each element's own direction as Chromium lays it out, for content inside the Arabic interface.
DIRECTIONS = """[...document.querySelectorAll(%s)].map(n => [n.tagName.toLowerCase(), n.lang,
  getComputedStyle(n).direction, getComputedStyle(n).unicodeBidi, n.textContent.trim().slice(0, 40)])"""


@pytest.mark.parametrize(("path", "selector", "language"), [
    ("/packs/fractions/lessons/what-is-a-fraction", "article, article h1, .crumbs a, .pager a span[lang]", "en"),
    ("/packs/sante-hygiene/lessons/se-laver-les-mains", "article, article h1, .crumbs a", "fr"),
    ("/packs/sante-hygiene", "main > div[lang], main h1", "fr"),
    ("/search?q=fraction", ".hits bdi", ""),
])
def test_english_and_french_content_stays_left_to_right_in_the_arabic_interface(chromium, live_server, path,
                                                                                 selector, language):
    page = chromium.page()
    try:
        page.emulate_phone(360, 640)
        page.goto(live_server + "/language?lang=ar&next=" + urllib.parse.quote(path))
        assert page.evaluate("document.documentElement.dir") == "rtl"
        found = page.evaluate(DIRECTIONS % json.dumps(selector))
    finally:
        page.goto(live_server + "/language?lang=en&next=/")
        page.close()
    assert found, f"nothing matched {selector} on {path}"
    for tag, lang, direction, bidi, text in found:
        assert direction == "ltr", f"{path}: <{tag} lang={lang}> “{text}” is laid out {direction}"
        assert bidi in ("isolate", "plaintext") or tag in ("article", "div", "main"), (path, tag, bidi, text)
        if language and tag not in ("main", "h1"):
            assert lang == language, (path, tag, lang, text)

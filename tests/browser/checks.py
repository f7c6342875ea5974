"""The three page checks, for tests that fetch their own pages beyond the crawl (pages that need data the
demo does not have: a busy discussion, a handed-in project). `pages` is a list of (role, crawl.Page)."""
from tests.browser.crawl import ACCOUNTS
from tests.browser.test_axe_every_page import axe_violations, sign_in
from tests.browser.test_html_valid import run_vnu
from tests.browser.test_page_budgets import LEARNER_PAGE_BUDGET, STAFF_PAGE_BUDGET, measure


def assert_valid_html(pages: list, vnu_command, folder) -> None:
    """Zero Nu Html Checker errors on every page, as the server sent it."""
    files = {}
    for n, (role, page) in enumerate(pages):
        files[(role, page.url)] = folder / f"{role}-{n}.html"
        files[(role, page.url)].write_text(page.html, encoding="utf-8")
    invalid = {key: errors for key, errors in run_vnu(vnu_command, files).items() if errors}
    assert not invalid, invalid


def assert_within_budgets(pages: list, stylesheets) -> None:
    """Each page, gzipped with its CSS, within the learner or the staff budget (sizes printed)."""
    sizes = {page.url: measure(page, stylesheets) for _, page in pages}
    print("\n" + "\n".join(f"{size:6d} bytes (gzipped, CSS included)  {url}" for url, size in sizes.items()))
    for role, page in pages:
        assert sizes[page.url] <= (LEARNER_PAGE_BUDGET if role == "learner" else STAFF_PAGE_BUDGET), page.url


def assert_no_axe_violations(chromium, base: str, axe_source, pages: list) -> None:
    """Zero axe-core violations on every page, opened on a 320 px phone signed in as the page's role."""
    found = []
    for role in dict.fromkeys(role for role, _ in pages):
        tab = chromium.page()
        try:
            tab.emulate_phone(320, 640)
            if ACCOUNTS[role]:
                sign_in(tab, base, *ACCOUNTS[role])
            for _, page in (pair for pair in pages if pair[0] == role):
                tab.goto(base + page.url)
                found += [(page.url, v["id"], [n["target"] for n in v["nodes"]])
                          for v in axe_violations(tab, axe_source)]
        finally:
            tab.close()
    assert not found, found


def assert_fits_a_phone_with_big_targets(chromium, base: str, pages: list, width: int = 360) -> None:
    """On a `width` px phone: no page scrolls sideways and every link and button is at least 24×24 px
    (the crawl's two checks, for pages it cannot reach)."""
    from tests.browser.test_axe_every_page import WIDER_THAN_THE_SCREEN
    from tests.browser.test_tap_targets import small_targets

    found = []
    for role in dict.fromkeys(role for role, _ in pages):
        tab = chromium.page()
        try:
            tab.emulate_phone(width, 640)
            if ACCOUNTS[role]:
                sign_in(tab, base, *ACCOUNTS[role])
            for _, page in (pair for pair in pages if pair[0] == role):
                tab.goto(base + page.url)
                if too_wide := tab.evaluate(WIDER_THAN_THE_SCREEN):
                    found.append((page.url, too_wide))
                found += [(page.url, target) for target in small_targets(tab)]
        finally:
            tab.close()
    assert not found, found

"""axe-core on every page each role can reach, in real headless Chromium on a 320 px wide phone
screen — where no page may scroll sideways (WCAG 1.4.10 Reflow).

Each role signs in through the real form (typing and clicking), then opens every page of its
crawl. axe is injected with the DevTools `Runtime.evaluate`, which the page's Content-Security-
Policy does not govern; the test checks that the CSP itself still holds (an inline script stays
blocked), so nothing is weakened to let the checker in.
"""
import json

import pytest

from tests.browser.conftest import ROLES
from tests.browser.crawl import ACCOUNTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                             why: n.failureSummary}))})))""" % json.dumps(AXE_TAGS)
# When the page scrolls sideways: how wide it is, and the elements that stick out (their box or their
# content) outside any box that scrolls on its own — a wide table or code block in its own scroller
# is fine; the whole page scrolling sideways is not.
WIDER_THAN_THE_SCREEN = """(() => {
  const width = document.documentElement.clientWidth, wide = document.documentElement.scrollWidth;
  if (wide <= width) return null;
  const scrolls = n => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(n).overflowX);
  const inScroller = n => { for (let a = n.parentElement; a && a !== document.body; a = a.parentElement)
                              if (scrolls(a)) return true; return false; };
  const culprits = [...document.body.querySelectorAll('*')].filter(n =>
    (n.getBoundingClientRect().right > width + 1 || (n.scrollWidth > n.clientWidth + 1 && !scrolls(n)))
    && !inScroller(n));
  return wide + ' px wide: ' + culprits.slice(-3).map(n => n.outerHTML.slice(0, 120)).join(' | ');
})()"""
CSP_STILL_BLOCKS_INLINE_SCRIPT = """(() => {
  const s = document.createElement('script'); s.textContent = 'window.__lanternInline = 1';
  document.head.appendChild(s); return window.__lanternInline === undefined; })()"""


def sign_in(page, base: str, username: str, password: str) -> None:
    """Use the sign-in form as a person would."""
    page.goto(base + "/signin")
    page.type_into("#username", username)
    page.type_into("#password", password)
    page.click("form[action='/signin'] button[type=submit]", navigates=True)
    assert page.url() == base + "/", f"signing in as {username} ended on {page.url()}"


def axe_violations(page, axe_source: str) -> list:
    """Run axe on the open page and return its violations."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source)
    return page.evaluate(RUN_AXE, timeout=60)


def describe(found: dict) -> str:
    """A readable report: each rule broken, where, and on which pages (the same fault in the
    page layout shows once, not once per page)."""
    lines = []
    for (rule, impact, help_), places in sorted(found.items()):
        lines.append(f"[{impact}] {rule}: {help_}")
        for (target, html, why), urls in list(places.items())[:8]:
            more = f" (+{len(urls) - 3} more pages)" if len(urls) > 3 else ""
            lines.append(f"    at {target}  {html}\n      {why.replace(chr(10), ' / ')}\n"
                         f"      on {', '.join(urls[:3])}{more}")
    return "\n".join(lines)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe_and_fits_a_small_phone(chromium, axe_source, live_server, site, role):
    pages = [crawled for crawled in site(role) if crawled.is_html]
    page = chromium.page()
    found: dict = {}
    too_wide = []
    try:
        page.emulate_phone(320, 640)
        if ACCOUNTS[role]:
            sign_in(page, live_server, *ACCOUNTS[role])
        page.goto(live_server + "/")
        page.evaluate(axe_source)
        assert page.evaluate("typeof axe.run") == "function"
        assert page.evaluate(CSP_STILL_BLOCKS_INLINE_SCRIPT), "the page's CSP let an inline script run"
        for crawled in pages:
            page.goto(live_server + crawled.url)
            if sticking_out := page.evaluate(WIDER_THAN_THE_SCREEN):
                too_wide.append(f"{crawled.url}: {sticking_out}")
            for v in axe_violations(page, axe_source):
                places = found.setdefault((v["id"], v["impact"], v["help"]), {})
                for n in v["nodes"]:
                    places.setdefault((n["target"], n["html"], n["why"]), []).append(crawled.url)
    finally:
        page.close()
    print(f"\n{role}: axe checked {len(pages)} pages")
    assert not found, f"axe violations for {role}:\n" + describe(found)
    assert not too_wide, f"{role}: pages wider than a 320 px screen:\n" + "\n".join(too_wide)

"""Keyboard use: on one page of each kind, for each role, Tab reaches every control in turn and
each one shows a focus ring that is on screen, at least 2 px wide and of 3:1 contrast against the
colour around it (WCAG 2.4.7 Focus Visible, 1.4.11 Non-text Contrast)."""
import pytest

from tests.browser.conftest import ROLES
from tests.browser.crawl import ACCOUNTS
from tests.browser.test_axe_every_page import sign_in
from tests.browser.test_page_budgets import kind_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MAX_TAB_STOPS = 150

# What the focused element looks like: its outline, and the colour behind the outline (the nearest
# ancestor with a background), with the WCAG contrast ratio between the two.
FOCUS_RING = """(() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (el.dataset.lanternTab) return el.dataset.lanternTab === '1' ? 'cycled' : 'again';
  el.dataset.lanternTab = String(document.querySelectorAll('[data-lantern-tab]').length + 1);
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                     .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let behind = [255, 255, 255];
  for (let n = el.parentElement; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || c[3] > 0) { behind = c; break; }
  }
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  const [hi, lo] = [lum(rgb(s.outlineColor)), lum(behind)].sort((a, b) => b - a);
  return {what: el.tagName.toLowerCase() + ' "' + (el.textContent || el.value || el.name || '').trim().slice(0, 40) + '"',
          style: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0, contrast: (hi + 0.05) / (lo + 0.05),
          onScreen: r.width > 0 && r.height > 0 && r.right > 0 && r.left < innerWidth};
})()"""


def press_tab(page) -> None:
    """Press and release the Tab key."""
    for kind in ("keyDown", "keyUp"):
        page.command("Input.dispatchKeyEvent", {"type": kind, "key": "Tab", "code": "Tab",
                                                "windowsVirtualKeyCode": 9})


def focus_problems(page) -> tuple[int, list[str]]:
    """Tab through the open page: (how many stops, what is wrong with their focus rings)."""
    problems, stops = [], 0
    for _ in range(MAX_TAB_STOPS):
        press_tab(page)
        ring = page.evaluate(FOCUS_RING)
        if ring in (None, "cycled"):  # focus left the page, or came round to the first control
            return stops, problems
        if ring == "again":  # inside a media player's own controls
            continue
        stops += 1
        if ring["style"] == "none" or ring["width"] < 2:
            problems.append(f"{ring['what']}: no visible focus ring")
        elif ring["contrast"] < 3:
            problems.append(f"{ring['what']}: focus ring contrast {ring['contrast']:.2f}:1 < 3:1")
        if not ring["onScreen"]:
            problems.append(f"{ring['what']}: focused but not on screen")
    return MAX_TAB_STOPS, problems + [f"more than {MAX_TAB_STOPS} tab stops (a keyboard trap?)"]


@pytest.mark.parametrize("role", ROLES)
def test_every_control_shows_a_visible_focus_ring(chromium, live_server, site, role):
    one_of_each = {}
    for crawled in site(role):
        if crawled.is_html:
            one_of_each.setdefault(kind_of(crawled), crawled)
    page = chromium.page()
    failures = []
    try:
        if ACCOUNTS[role]:
            sign_in(page, live_server, *ACCOUNTS[role])
        for kind, crawled in sorted(one_of_each.items()):
            page.goto(live_server + crawled.url)
            stops, problems = focus_problems(page)
            assert stops >= 2, f"{crawled.url}: Tab reached only {stops} controls"
            failures += [f"{crawled.url} ({kind}): {p}" for p in problems]
    finally:
        page.close()
    assert not failures, f"{role}: focus problems:\n" + "\n".join(failures)

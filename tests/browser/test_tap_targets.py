"""Every link and button a finger has to hit is at least 24×24 CSS px (WCAG 2.2, 2.5.8), on every page
each role can reach, in real Chromium on a 360 px wide phone.

Stricter than axe's `target-size` rule, which lets a small target pass when nothing else is near it: a
child on a cracked screen misses small targets whatever their neighbours. Exempt, as WCAG allows: a link
inside a sentence (its paragraph or list item has more text than the link), pack content (the
`<article>` of a lesson, which the pack's author wrote), and a checkbox or radio button inside its label
(the label is what is tapped, and is measured instead).
"""
import pytest

from tests.browser.conftest import ROLES
from tests.browser.crawl import ACCOUNTS
from tests.browser.test_axe_every_page import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MIN_TARGET = 24
SMALL_TARGETS = """((min) => {
  const inSentence = n => { const block = n.closest('p, li, td, th, dd, figcaption, label, legend, h1, h2, h3');
    return block && block !== n && block.textContent.trim().length > n.textContent.trim().length + 2; };
  const targets = [...document.querySelectorAll(
    'a[href], button, summary, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), label:has(> input[type=checkbox]), label:has(> input[type=radio])')];
  return targets.filter(n => {
    const r = n.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;  // not shown (e.g. the skip link until focused)
    if (n.closest('article') || (n.tagName === 'A' && inSentence(n))) return false;
    return r.width < min - 0.5 || r.height < min - 0.5;
  }).map(n => { const r = n.getBoundingClientRect();
    return `${Math.round(r.width)}×${Math.round(r.height)} ${n.outerHTML.slice(0, 100)}`; });
})(%d)""" % MIN_TARGET


def small_targets(page) -> list[str]:
    """The open page's links and buttons smaller than 24×24 px (size and markup of each)."""
    return page.evaluate(SMALL_TARGETS)


@pytest.mark.parametrize("role", ROLES)
def test_every_link_and_button_is_at_least_24_px(chromium, live_server, site, role):
    pages = [crawled for crawled in site(role) if crawled.is_html]
    page = chromium.page()
    found: dict[str, list[str]] = {}
    try:
        page.emulate_phone(360, 640)
        if ACCOUNTS[role]:
            sign_in(page, live_server, *ACCOUNTS[role])
        for crawled in pages:
            page.goto(live_server + crawled.url)
            for target in small_targets(page):
                found.setdefault(target, []).append(crawled.url)
    finally:
        page.close()
    print(f"\n{role}: tap targets checked on {len(pages)} pages")
    assert pages and not found, f"{role}: targets under {MIN_TARGET} px:\n" + "\n".join(
        f"  {target}\n    on {', '.join(urls[:3])}{' …' if len(urls) > 3 else ''}" for target, urls in found.items())

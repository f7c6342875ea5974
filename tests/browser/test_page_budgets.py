"""Byte budgets and no third parties, for every page every role can reach (no browser needed).

Sizes are what travels: the gzipped body as the live server sends it to a client that accepts
gzip, plus the stylesheet's gzipped bytes (a first visit, before the CSS is cached). Run with
`-s` to print the table that docs/accessibility.md quotes.
"""
import gzip
import re
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest

from tests.browser.conftest import ROLES

KB = 1024
LEARNER_PAGE_BUDGET = 14 * KB  # including the CSS: about one round trip's worth on a slow link
STAFF_PAGE_BUDGET = 40 * KB
ANY_PAGE_BUDGET = 60 * KB
LESSON_SHELL_BUDGET = 8 * KB  # a lesson page without its <article> content, CSS included
CSS_BUDGET = 10 * KB  # the stylesheet as written (uncompressed)

# Page kinds by address, most specific first; the learner-facing ones get the small budget.
KINDS = [
    ("transcript", r"^/packs/[^/]+/lessons/[^/]+/transcript/\d+$"),
    ("lesson", r"^/packs/[^/]+/lessons/[^/]+$"),
    ("reflect", r"^/packs/[^/]+/units/[^/]+/reflect$"),
    ("pack", r"^/packs/[^/]+$"),
    ("result", r"^/practice/[^/]+/[^/]+/result/[^/]+$"),
    ("practice", r"^/practice/[^/]+/[^/]+$"),
    ("skills", r"^/practice/[^/]+$"),
    ("home", r"^/$"),
    ("what next", r"^/next$"),
    ("progress", r"^/me$"),
    ("profile", r"^/profile$"),
    ("sign-in", r"^/signin(/class/[^/]+)?$"),
    ("search", r"^/search$"),
    ("coach", r"^/coach(/|$)"),
    ("admin", r"^/admin(/|$)"),
]
LEARNER_KINDS = {"transcript", "lesson", "reflect", "pack", "result", "practice", "skills", "home",
                 "what next", "progress", "profile", "sign-in", "search", "error"}


def kind_of(page) -> str:
    """The page's kind, from its address (and 'error' for a 4xx/5xx page)."""
    if page.status >= 400:
        return "error"
    path = urllib.parse.urlsplit(page.url).path
    found = next((name for name, pattern in KINDS if re.match(pattern, path)), None)
    if found:
        return found
    # A page nobody has classified yet: staff-sized if only staff reach it, else learner-sized.
    return "other (staff)" if page.role in ("coach", "admin") else "other"


def budget_of(kind: str) -> int:
    """The byte budget (CSS included) for a page kind."""
    return LEARNER_PAGE_BUDGET if kind in LEARNER_KINDS or kind == "other" else STAFF_PAGE_BUDGET


class _Refs(HTMLParser):
    """Every address a page would make the browser fetch or send to, and its inline code."""
    FETCHED = {"src", "srcset", "poster", "data", "action", "formaction", "background", "manifest",
               "longdesc", "icon", "ping"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fetched, self.stylesheets, self.inline = [], [], []
        self._tag = None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        for name, value in attrs:
            value = value or ""
            if name == "style" or name.startswith("on"):
                self.inline.append(f"<{tag} {name}=…>")
            if name in self.FETCHED:
                self.fetched += [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" \
                    else [value]
            elif name == "href" and tag != "a":  # <link>, <area>, <base>: fetched or used by the page
                self.fetched.append(value)
        if tag == "link" and ("rel", "stylesheet") in attrs:
            self.stylesheets.append(dict(attrs)["href"])
        if tag == "style":
            self.inline.append("<style>")

    def handle_data(self, data):
        if self._tag == "script" and data.strip():
            self.inline.append("<script> with inline code")

    def handle_endtag(self, tag):
        self._tag = None


def refs_of(html: str) -> _Refs:
    """Parse the addresses and inline code of a page."""
    parser = _Refs()
    parser.feed(html)
    return parser


def is_same_origin(base: str, address: str) -> bool:
    """True for a relative address or one on the server's own host and port."""
    parts = urllib.parse.urlsplit(urllib.parse.urljoin(base + "/", address.strip()))
    return parts.scheme in ("http", "https") and parts.netloc == urllib.parse.urlsplit(base).netloc


def fetch_gzipped(url: str) -> tuple[int, bytes]:
    """(bytes on the wire, the decoded body) of a GET that accepts gzip."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        gzipped = response.headers.get("Content-Encoding") == "gzip"
    return len(raw), gzip.decompress(raw) if gzipped else raw


@pytest.fixture(scope="session")
def stylesheets(live_server):
    """Fetch each stylesheet once: href -> (wire bytes, CSS text)."""
    cache = {}

    def sheet(href: str):
        if href not in cache:
            wire, body = fetch_gzipped(urllib.parse.urljoin(live_server + "/", href))
            cache[href] = (wire, body.decode("utf-8"))
        return cache[href]
    return sheet


def measure(page, stylesheets) -> int:
    """The page's bytes on a first visit: gzipped HTML plus its stylesheets."""
    return page.wire_bytes + sum(stylesheets(href)[0] for href in refs_of(page.html).stylesheets)


def shell_size(html: str, stylesheets) -> int:
    """The bytes of a lesson page without its lesson body (the page shell): gzipped, with its stylesheets."""
    start, end = html.index("<article"), html.rindex("</article>")
    shell = html[:html.index(">", start) + 1] + html[end:]
    return len(gzip.compress(shell.encode(), compresslevel=6, mtime=0)) + \
        sum(stylesheets(href)[0] for href in refs_of(html).stylesheets)


def all_pages(site) -> list:
    """Every HTML page of every role's crawl."""
    return [page for role in ROLES for page in site(role) if page.is_html]


def test_the_crawl_reaches_every_kind_of_learner_page(site):
    seen = {kind_of(page) for page in all_pages(site)}
    missing = LEARNER_KINDS - seen
    assert not missing, f"the crawl found no {sorted(missing)} page: check tests/browser/crawl.py"
    assert {page.status for page in site("learner")} <= {200, 403, 404}
    assert any(page.status == 404 and page.url == "/no-such-page" for page in site("anonymous"))


@pytest.mark.parametrize("role", ROLES)
def test_no_link_leads_to_a_missing_page_or_a_server_error(site, role):
    broken = [(page.url, page.status) for page in site(role)
              if page.status == 404 and page.via != "seed" or page.status >= 500]
    assert not broken, f"{role}: links that lead nowhere: {broken}"


def test_every_page_fits_its_byte_budget(site, stylesheets):
    rows: dict[str, list] = {}
    over = []
    for page in all_pages(site):
        kind, size = kind_of(page), measure(page, stylesheets)
        rows.setdefault(kind, []).append((size, page.wire_bytes, page.url, page.role))
        limit = min(budget_of(kind), ANY_PAGE_BUDGET)
        if size > limit:
            over.append(f"{page.role} {page.url} ({kind}): {size} bytes with CSS > {limit}")
    print_size_table(rows)
    assert not over, "pages over their byte budget:\n" + "\n".join(over)


def test_a_lesson_page_shell_stays_small(site, stylesheets):
    over, largest = [], 0
    for page in site("anonymous") + site("learner"):
        if kind_of(page) != "lesson":
            continue
        size = shell_size(page.html, stylesheets)
        largest = max(largest, size)
        if size > LESSON_SHELL_BUDGET:
            over.append(f"{page.role} {page.url}: shell {size} bytes > {LESSON_SHELL_BUDGET}")
    print(f"\nlargest lesson shell (gzipped, CSS included): {largest} bytes")
    assert largest and not over, "\n".join(over)


def test_the_stylesheet_is_small_and_uses_no_web_fonts(site, stylesheets, live_server):
    hrefs = {href for page in site("anonymous") for href in refs_of(page.html).stylesheets}
    assert hrefs, "no page links a stylesheet"
    for href in hrefs:
        wire, css = stylesheets(href)
        print(f"\n{href}: {len(css.encode())} bytes, {wire} gzipped")
        assert len(css.encode()) <= CSS_BUDGET, f"{href} is {len(css.encode())} bytes > {CSS_BUDGET}"
        assert wire < len(css.encode()) / 2, f"{href} is not sent compressed ({wire} bytes)"
        assert "@font-face" not in css and "@import" not in css
        for address in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
            assert is_same_origin(live_server, address) or address.startswith("data:"), address


@pytest.mark.parametrize("role", ROLES)
def test_no_page_fetches_from_another_site_or_carries_inline_code(site, role, live_server):
    problems = []
    for page in filter(lambda p: p.is_html, site(role)):
        refs = refs_of(page.html)
        problems += [f"{page.url}: {address}" for address in refs.fetched
                     if address and not is_same_origin(live_server, address)]
        problems += [f"{page.url}: {code} (the CSP forbids it)" for code in refs.inline]
        if "content-security-policy" not in page.headers:
            problems.append(f"{page.url}: no Content-Security-Policy header")
    assert not problems, "\n".join(problems)


def print_size_table(rows: dict) -> None:
    """Print the largest page of each kind, as Markdown (docs/accessibility.md quotes it)."""
    print("\n\n| page kind | pages | largest page, gzipped | with CSS | budget | largest at |")
    print("|---|---:|---:|---:|---:|---|")
    for kind in sorted(rows, key=lambda k: (k not in LEARNER_KINDS, k)):
        size, wire, url, role = max(rows[kind])
        print(f"| {kind} | {len(rows[kind])} | {wire:,} B | {size:,} B | {budget_of(kind) // KB} KB "
              f"| `{url}` ({role}) |")

"""Crawl the live server as one person would: sign in through the form, follow every link (GET only).

Plain urllib with `Accept-Encoding: gzip`, so each page's bytes are counted as they travel, and the
HTML is kept exactly as the server sent it (for the HTML checker). The browser tests visit the same
addresses in Chromium.
"""
import gzip
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Who the crawl signs in as: role -> (username, password); None is the anonymous visitor.
ACCOUNTS = {"anonymous": None, "learner": ("amina", "1234"), "coach": ("teacher", "teacher-demo"),
            "admin": ("admin", "admin-demo")}
MAX_PAGES = 150
SKIPPED_PREFIXES = ("/media/", "/static/", "/signout")
# Pages no link leads to: a search with results, and a page that does not exist.
SEEDS = ("/", "/search?q=fraction", "/no-such-page")
TIMEOUT = 30


@dataclass
class Page:
    """One fetched page: where, its status, its bytes on the wire and its HTML."""
    role: str
    url: str  # path and query, as visited
    final_url: str  # after redirects
    status: int
    wire_bytes: int  # body bytes as sent (gzipped when the server compressed it)
    headers: dict
    html: str
    via: str = "link"  # "link", "seed", or the form that led here

    @property
    def is_html(self) -> bool:
        """A page a browser shows (not a download such as a CSV file)."""
        return (self.headers.get("content-type", "").startswith("text/html")
                and "attachment" not in self.headers.get("content-disposition", ""))


@dataclass
class Form:
    """A form on a page: where it goes, its fields (name, value) and choices to pick from."""
    action: str
    method: str
    fields: list = field(default_factory=list)
    choices: dict = field(default_factory=dict)  # radio/checkbox/select name -> values
    text_inputs: list = field(default_factory=list)  # names of fields a person types into


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.forms, self._select = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append(Form(a.get("action", ""), (a.get("method") or "get").lower()))
        elif tag in ("input", "select", "textarea") and self.forms and a.get("name"):
            form, kind = self.forms[-1], (a.get("type") or "text").lower()
            if tag == "select":
                self._select = a["name"]
                form.choices.setdefault(a["name"], [])
            elif kind in ("radio", "checkbox"):
                form.choices.setdefault(a["name"], []).append(a.get("value", "on"))
            elif kind in ("hidden", "submit"):
                form.fields.append((a["name"], a.get("value", "")))
            else:
                form.text_inputs.append(a["name"])
        elif tag == "option" and self._select and a.get("value"):
            self.forms[-1].choices[self._select].append(a["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse(html: str) -> _Links:
    """The links and forms of a page."""
    parser = _Links()
    parser.feed(html)
    return parser


def page_key(url: str) -> str:
    """What makes two addresses the same page for the crawl: the path and the names of its query
    parameters (`?item=a&hints=1` and `?item=b&hints=2` are one page; `?item=a` is another)."""
    parts = urllib.parse.urlsplit(url)
    names = sorted({name for name, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)})
    return parts.path + ("?" + "&".join(names) if names else "")


class Visitor:
    """A person with their own cookies, talking to the server with urllib."""

    def __init__(self, base: str, role: str):
        self.base, self.role = base.rstrip("/"), role
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def fetch(self, url: str, data: dict | list | None = None, via: str = "link") -> Page:
        """GET (or POST `data`) a same-site address, following redirects."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + url, data=body, headers={
            "Accept-Encoding": "gzip", "Accept-Language": "en", "User-Agent": "Lantern-crawl"})
        try:
            response = self.opener.open(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as err:
            response = err
        with response:
            raw = response.read()
            headers = {k.lower(): v for k, v in response.headers.items()}
            status = response.status if hasattr(response, "status") else response.code
            final = response.geturl()
        text = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
        final_path = final[len(self.base):] if final.startswith(self.base) else final
        return Page(self.role, url, final_path, status, len(raw), headers, text.decode("utf-8", "replace"), via)

    def sign_in(self, username: str, password: str) -> Page:
        """Fill in and send the real sign-in form (with its CSRF token)."""
        form = next(f for f in parse(self.fetch("/signin").html).forms if f.action == "/signin")
        fields = dict(form.fields) | {"username": username, "password": password}
        page = self.fetch("/signin", fields, via="sign-in form")
        assert page.status == 200 and page.final_url == "/", (username, page.status, page.final_url)
        return page

    def submit(self, page: Page, form: Form, pick: int = 0) -> Page:
        """Send a form the way a person would fill it: the `pick`-th choice, "1" in text fields."""
        fields = list(form.fields)
        fields += [(name, values[min(pick, len(values) - 1)]) for name, values in form.choices.items() if values]
        fields += [(name, "1") for name in form.text_inputs]
        return self.fetch(form.action, fields, via=f"form on {page.url}")


def same_site_path(base: str, page_url: str, href: str) -> str | None:
    """The path+query of a same-site link worth crawling, or None."""
    absolute = urllib.parse.urljoin(base + page_url, href)
    parts = urllib.parse.urlsplit(absolute)
    if parts.scheme not in ("http", "https") or parts.netloc != urllib.parse.urlsplit(base).netloc:
        return None
    path = parts.path + ("?" + parts.query if parts.query else "")
    return None if parts.path.startswith(SKIPPED_PREFIXES) else path


def crawl(base: str, role: str) -> list[Page]:
    """Sign in as the role's demo account, then visit every page reachable by links (GET only)."""
    visitor = Visitor(base, role)
    if ACCOUNTS[role]:
        visitor.sign_in(*ACCOUNTS[role])
    pages: list[Page] = []
    seen: set[str] = set()
    queue = [(url, "seed") for url in SEEDS]
    while queue and len(pages) < MAX_PAGES:
        url, via = queue.pop(0)
        if page_key(url) in seen:
            continue
        seen.add(page_key(url))
        page = visitor.fetch(url, via=via)
        pages.append(page)
        if page.is_html:
            links = parse(page.html).links
            queue += [(path, "link") for href in links if (path := same_site_path(base, url, href))]
            pages += _pages_behind_forms(visitor, page, seen)
    return pages


def _pages_behind_forms(visitor: Visitor, page: Page, seen: set) -> list[Page]:
    """For a learner: answer the first practice question (twice, to reach the worked solution),
    and finish a pack's last lesson (which leads to the reflection page)."""
    if visitor.role != "learner":
        return []
    found = []
    forms = parse(page.html).forms
    answer = next((f for f in forms if f.method == "post" and dict(f.fields).get("attempt")), None)
    if answer and "practice result" not in seen:
        seen.add("practice result")
        first = visitor.submit(page, answer)
        found.append(first)
        retry = re.search(r'href="([^"]*\?item=[^"]*)"[^>]*>Try again', first.html)
        if retry:
            again = visitor.fetch(retry.group(1).replace("&amp;", "&"), via=f"Try again on {first.url}")
            second_form = next(f for f in parse(again.html).forms if dict(f.fields).get("attempt"))
            found.append(visitor.submit(again, second_form))
    finish = next((f for f in forms if f.action.endswith("/finish")), None)
    # The bundled fractions pack's last lesson: imported fixture packs may have no unit reflection to reach.
    if finish and "/packs/fractions/lessons/" in page.url and 'rel="next"' not in page.html \
            and "reflection" not in seen:
        seen.add("reflection")
        found.append(visitor.submit(page, finish))
    for extra in found:
        extra.url = extra.final_url  # these are visited at the address the form led to
    return found

"""Nothing left in English: every page each role can reach, rendered with a pseudo-translation that wraps
every catalogue entry in ⟦ ⟧, must show no interface text outside the markers.

The pseudo-catalogue is made from the real one (server/translations/messages.pot) and installed as the
English catalogue of this test's app only. Content is excepted because it says so in its markup, which is
also what keeps it readable in another language's pages: an element with its own `lang` (pack text), a
`<bdi>` (names and titles inside a sentence), `translate="no"` (names, usernames, addresses), `<time>`,
`<code>`, and what a person typed (`<textarea>`, posts marked `dir="auto"`). Numbers and punctuation are not
words to translate.
"""
import re
import urllib.parse
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.conftest import REPO, Browser

OPEN, CLOSE = "⟦", "⟧"
CONTENT_TAGS = {"script", "style", "svg", "textarea", "time", "code", "pre", "bdi", "title"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CHECKED_ATTRIBUTES = ("aria-label", "placeholder", "alt", "title")
ALLOWED_WORDS = {"Lantern"}  # the product's name
SKIPPED = ("/media/", "/static/", "/signout", "/language")
MAX_PAGES = 160


def _marked(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}" if text else text


@pytest.fixture
def pseudo_app(demo_app, tmp_path):
    """The demo app with every catalogue entry shown as ⟦entry⟧ (as its English catalogue)."""
    with open(REPO / "server" / "translations" / "messages.pot", "rb") as pot:
        template = read_po(pot)
    catalogue = Catalog(locale="en")
    for message in template:
        if message.id:
            string = tuple(map(_marked, message.id)) if isinstance(message.id, tuple) else _marked(message.id)
            catalogue.add(message.id, string)
    folder = tmp_path / "pseudo" / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as mo:
        write_mo(mo, catalogue)
    demo_app.extensions["babel"].translation_directories = [str(tmp_path / "pseudo")]
    return demo_app


class _VisibleText(HTMLParser):
    """The page's interface text, with content (see the module docstring) replaced by a blank."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.attributes, self.stack, self.links = [], [], [], []

    def _in_content(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        content = (tag in CONTENT_TAGS or (a.get("lang") and tag != "html") or a.get("translate") == "no"
                   or a.get("dir") == "auto")
        if not self._in_content() and not content:
            self.attributes += [a[name] for name in CHECKED_ATTRIBUTES if a.get(name)]
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.attributes.append(a["value"])
        if tag not in VOID:
            self.stack.append(bool(content))
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()
        self.parts.append(" ")

    def handle_data(self, data):
        if not self._in_content():
            self.parts.append(data)


def untranslated(text: str) -> list[str]:
    """Words left once every ⟦…⟧ (innermost first) is taken out."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", text)
    words = re.findall(r"[^\W\d_]{2,}(?:['’][^\W\d_]+)?", text)
    return [w for w in words if w not in ALLOWED_WORDS]


def _crawl(browser: Browser, seeds) -> dict[str, list[str]]:
    """Visit every same-site page by links (GET); {url: untranslated words found}."""
    queue, seen, found = list(seeds), set(), {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        parts = urllib.parse.urlsplit(url)
        key = parts.path + "?" + "&".join(sorted(k for k, _ in urllib.parse.parse_qsl(parts.query)))
        if key in seen or parts.netloc or url.startswith(SKIPPED) or parts.path.endswith((".csv", ".json")):
            continue
        seen.add(key)
        response = browser.get(url)
        if not response.content_type.startswith("text/html") or response.status_code in (301, 302, 303):
            continue
        parser = _VisibleText()
        parser.feed(response.get_data(as_text=True))
        words = untranslated("".join(parser.parts)) + [w for value in parser.attributes for w in untranslated(value)]
        if words:
            found[url] = words
        queue += [urllib.parse.urljoin(url, href) for href in parser.links if not href.startswith(("#", "http"))]
    return found


def test_the_pseudo_catalogue_marks_the_interface(pseudo_app):
    html = pseudo_app.test_client().get("/signin").get_data(as_text=True)
    assert f"<h1>{OPEN}Sign in{CLOSE}</h1>" in html


@pytest.fixture
def a_coach_reply(pseudo_app, people):
    """A question under the first lesson with the coach's reply (so the Questions page and the lesson's
    thread have posts, a reply form and the "Coach" mark in them)."""
    from server.db import database
    from server.learning import discussion
    from server.models import Lesson, PackVersion

    with database.connection_context():
        pack = PackVersion.get(PackVersion.is_active & (PackVersion.pack_id == "fractions"))
        lesson = Lesson.select().where(Lesson.pack_version == pack).order_by(Lesson.position).first()
        question = discussion.ask(people["amina"], "fractions", lesson.lesson_id, {"body": "Why?"})
        discussion.ask(people["amina"], "fractions", lesson.lesson_id, {"body": "And this one?"})
        discussion.reply(people["teacher"], question.id, {"body": "Because."})
    return f"/packs/fractions/lessons/{lesson.lesson_id}/questions"


@pytest.mark.parametrize(("role", "seeds"), [
    (None, ["/", "/signin", "/search?q=fraction", "/no-such-page"]),
    ("amina", ["/", "/next", "/me", "/profile", "/projects", "/me/portfolio", "/no-such-page"]),
    ("teacher", ["/", "/coach"]),
    ("admin", ["/", "/admin", "/coach", "/admin/usb", "/admin/status", "/admin/poster", "/admin/audit"]),
])
def test_every_page_is_translated_for_every_role(pseudo_app, stuck_and_mastered, a_coach_reply, people, role, seeds):
    found = _crawl(Browser(pseudo_app, people[role] if role else None), seeds)
    report = "\n".join(f"  {url}: {sorted(set(words))[:12]}" for url, words in found.items())
    assert not found, f"interface text outside the catalogue for {role or 'a visitor'}:\n{report}"

"""Page weight per page type, as a phone on the school Wi-Fi gets it from the real server.

For each page: the HTML's raw bytes and its bytes on the wire (requested with Accept-Encoding: gzip), and
what a first visit with an empty cache costs: the number of requests (the HTML, its stylesheets and
scripts, the images on the page — one per <img>, the one a phone picks from srcset being the src — and
video posters; audio and video use preload="none", so they are not fetched) and their bytes on the wire.

Pages: sign-in (anonymous), home, pack, every bundled lesson (max and median), practice question, result,
progress (/me), what next, search; as the demo coach, the coach pages; as the demo admin, the admin pages.
Signing in goes through the real /signin form with its hidden csrf field.

    python -m bench.page_weight
"""
import argparse
import gzip
import html
import http.client
import re
import sys
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/page_weight.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.answer_storm import hidden_fields  # noqa: E402
from bench.server_process import HOST, start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402
from tests.factories import correct_response  # noqa: E402

ASSET = re.compile(r'<(?:link[^>]*\brel="(?:stylesheet|icon)"[^>]*\bhref|script[^>]*\bsrc|img[^>]*\bsrc'
                   r'|video[^>]*\bposter)="([^"]+)"', re.I)
LINK = re.compile(r'href="(/[^"#]*)"')


class Browser:
    """One phone: cookies, gzip accepted, one keep-alive connection to 127.0.0.1."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {}

    def fetch(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, bytes, int]:
        """(status, headers, decoded body, bytes on the wire)."""
        headers = {"Accept-Encoding": "gzip"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        wire = response.read()
        for line in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        raw = gzip.decompress(wire) if response.headers.get("Content-Encoding") == "gzip" else wire
        return response.status, dict(response.headers), raw, len(wire)

    def sign_in(self, username: str, secret: str) -> None:
        """The real form: GET for the csrf field, POST the name and password/PIN."""
        _, _, page, _ = self.fetch("GET", "/signin")
        csrf = hidden_fields(page.decode())["csrf"]
        status, _, _, _ = self.fetch("POST", "/signin", {"username": username, "password": secret, "csrf": csrf})
        if status not in (302, 303):
            raise RuntimeError(f"signing in as {username} failed: HTTP {status}")

    def weigh(self, path: str, method: str = "GET", form: dict | None = None) -> dict:
        """One page's weight, its first-visit requests and bytes."""
        status, _, raw, wire = self.fetch(method, path, form)
        text = raw.decode("utf-8", "replace")
        assets = list(dict.fromkeys(urllib.parse.urljoin(path, a).split("#")[0] for a in ASSET.findall(text)))
        asset_wire = 0
        for asset in assets:
            parts = urllib.parse.urlsplit(asset)
            if parts.netloc and parts.netloc != f"{HOST}:{self.conn.port}":
                continue  # never leaves 127.0.0.1
            asset_wire += self.fetch("GET", parts.path + (f"?{parts.query}" if parts.query else ""))[3]
        return {"path": path, "status": status, "raw": len(raw), "gzip": wire, "requests": 1 + len(assets),
                "first_visit": wire + asset_wire, "html": text}


def learner_pages(browser: Browser, pack_id: str = "fractions") -> list[tuple[str, dict]]:
    """The learner's pages (signed in as amina), lessons last."""
    home = browser.weigh("/")
    pack = browser.weigh(f"/packs/{pack_id}")
    skill = re.search(rf'href="/practice/{pack_id}/([^"/?]+)"', browser.weigh(f"/practice/{pack_id}")["html"])
    question = browser.weigh(f"/practice/{pack_id}/{skill.group(1) if skill else 'fraction-meaning'}")
    pages = [("home", home), ("pack", pack), ("practice question", question)]
    fields = hidden_fields(question["html"])
    item = _item_data(fields.get("item"))
    if item:
        form = {"item": fields["item"], "attempt": fields["attempt"], "csrf": fields.get("csrf", ""),
                **correct_response(item)}
        status, headers, _, _ = browser.fetch("POST", question["path"], form)
        location = urllib.parse.urlsplit(headers.get("Location", ""))
        pages.append(("result", browser.weigh(location.path + (f"?{location.query}" if location.query else ""))))
    pages += [("progress (/me)", browser.weigh("/me")), ("what next", browser.weigh("/next")),
              ("search", browser.weigh("/search?q=fraction"))]
    return pages


_items: dict = {}


def _item_data(item_id: str | None) -> dict | None:
    return _items.get(item_id)


def lesson_paths(browser: Browser) -> list[str]:
    """Every lesson of every pack linked from the home page."""
    home = browser.fetch("GET", "/")[2].decode()
    packs = sorted({m for m in re.findall(r'href="(/packs/[^"/]+)"', home)})
    lessons = []
    for pack in packs:
        outline = browser.fetch("GET", pack)[2].decode()
        lessons += [p for p in dict.fromkeys(LINK.findall(outline))
                    if p.startswith(pack + "/lessons/") and "?" not in p]
    return lessons


def staff_pages(browser: Browser, root: str, deeper: re.Pattern, limit: int) -> list[tuple[str, dict]]:
    """Staff pages: the root, then pages linked from it (breadth first) that match `deeper`, up to `limit`."""
    pages, queue, seen = [], [root], {root}
    while queue and len(pages) < limit:
        path = queue.pop(0)
        page = browser.weigh(path)
        pages.append((re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}", "/<id>", path), page))
        for link in dict.fromkeys(html.unescape(link) for link in LINK.findall(page["html"])):
            if deeper.match(link) and link not in seen:
                seen.add(link)
                queue.append(link)
    return pages


def measure() -> list[dict]:
    """Rows: page type, status, raw, gzip, first-visit requests and bytes."""
    from server.db import database
    from server.models import Item

    data = fixtures.demo_copy("pages")
    fixtures.open_data(data)
    with database.connection_context():
        _items.update({i.item_id: i.data for i in Item.select()})
    server = start_server(data, data / "server.log")
    try:
        rows = [_row("sign-in (anonymous)", Browser(server.port).weigh("/signin"))]
        learner = Browser(server.port)
        learner.sign_in("amina", "1234")
        rows += [_row(name, page) for name, page in learner_pages(learner)]
        lessons = [learner.weigh(path) for path in lesson_paths(learner)]
        rows += _lesson_rows(lessons)
        coach = Browser(server.port)
        coach.sign_in("teacher", "teacher-demo")
        coach_links = re.compile(r"^/coach/classes/[^/?]+(/(report|items|learners/[^/?]+))?(\?.*)?$")
        rows += [_row(f"coach {name}", page) for name, page in staff_pages(coach, "/coach", coach_links, 7)]
        admin = Browser(server.port)
        admin.sign_in("admin", "admin-demo")
        rows += [_row(f"admin {name}", page) for name, page in
                 staff_pages(admin, "/admin", re.compile(r"^/admin/[a-z]+$"), 10)]
    finally:
        server.stop()
    return rows


def _row(name: str, page: dict) -> dict:
    return {"page": name, "status": page["status"], "raw": page["raw"], "gzip": page["gzip"],
            "requests": page["requests"], "first_visit": page["first_visit"]}


def _lesson_rows(lessons: list[dict]) -> list[dict]:
    if not lessons:
        return []
    heaviest = max(lessons, key=lambda p: p["first_visit"])
    rows = [{**_row(f"lesson, heaviest of {len(lessons)} ({heaviest['path'].rsplit('/', 1)[-1]})", heaviest)}]
    rows.append({"page": f"lesson, median of {len(lessons)}", "status": max(p["status"] for p in lessons),
                 **{k: int(fixtures.median([p[k] for p in lessons]))
                    for k in ("raw", "gzip", "requests", "first_visit")}})
    return rows


def render(rows: list[dict]) -> str:
    """The page-weight table."""
    return format_table(["page", "status", "HTML raw B", "HTML gzip B", "first-visit requests",
                         "first-visit wire B"],
                        [[r["page"], r["status"], f"{r['raw']:,}", f"{r['gzip']:,}", r["requests"],
                          f"{r['first_visit']:,}"] for r in rows], "page weight (demo data)")


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run (the same pages quick or not: it takes seconds)."""
    rows = measure()
    print(render(rows), file=sys.stderr)
    return [(r["page"], f"HTTP {r['status']}: {r['raw']:,} B raw, {r['gzip']:,} B gzip; first visit "
                        f"{r['requests']} requests, {r['first_visit']:,} B") for r in rows]


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    print(render(measure()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

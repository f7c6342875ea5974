"""Offline on the phone (an enhancement: static/sw.js, registered by static/enhance.js), in real
headless Chromium: a lesson opened before the Wi-Fi drops stays readable, an answer given offline
is kept on the phone, sent when the network is back, and counted once.

"Offline" is the DevTools network emulation (`Network.emulateNetworkConditions`, offline: true),
set on the tab *and* on the service worker's own target: the worker's fetches (which is how every
page request goes once it controls the tab) are not covered by the tab's emulation. The server
itself keeps running for the other tests.
"""
import re
import sqlite3

import pytest

from tests.browser.cdp import BrowserError
from tests.browser.test_axe_every_page import axe_violations, sign_in
from tests.browser.test_no_javascript import heading

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACTIVE = "navigator.serviceWorker.ready.then(() => true)"  # the worker is installed and active
CONTROLLED = "!!navigator.serviceWorker.controller"
QUEUED = """new Promise((ok, fail) => { const o = indexedDB.open('lantern', 1);
  o.onupgradeneeded = () => o.result.createObjectStore('answers', {keyPath: 'id', autoIncrement: true});
  o.onerror = () => fail(o.error);
  o.onsuccess = () => { const q = o.result.transaction('answers').objectStore('answers').count();
                        q.onsuccess = () => { o.result.close(); ok(q.result); }; }; })"""
ANSWER_FORM = "form[action^='/practice/']"
FORM_BODY = "new URLSearchParams(new FormData(document.querySelector(\"%s\"))).toString()" % ANSWER_FORM


class Network:
    """Switch one tab's network, and its service worker's, off and on."""

    def __init__(self, page):
        self.page, self.sessions = page, [page.session]
        page.command("Network.enable")

    def _attach_workers(self) -> None:
        for target in self.page.browser.send("Target.getTargets")["targetInfos"]:
            if target["type"] == "service_worker" and target.get("browserContextId") == self.page.context \
                    and target["targetId"] not in getattr(self, "_seen", set()):
                self._seen = getattr(self, "_seen", set()) | {target["targetId"]}
                session = self.page.browser.send("Target.attachToTarget",
                                                 {"targetId": target["targetId"], "flatten": True})["sessionId"]
                self.page.browser.send("Network.enable", session_id=session)
                self.sessions.append(session)

    def set(self, online: bool) -> None:
        self._attach_workers()
        assert len(self.sessions) > 1, "no service worker to take offline"
        for session in self.sessions:
            self.page.browser.send("Network.emulateNetworkConditions", {
                "offline": not online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
                session_id=session)


def open_a_pack_under_the_worker(page, live_server) -> None:
    """Sign in as amina, wait until the service worker controls the tab, open the fractions pack's page (the
    crawl's server also holds imported packs, some with no practice)."""
    sign_in(page, live_server, "amina", "1234")
    # enhance.js registered the worker; installing it fetches three files, slow on a loaded machine. Once it is
    # active it claims the tab; a page that was loading while it activated is taken over on its next load.
    assert page.evaluate(ACTIVE, timeout=90)
    if not page.evaluate(CONTROLLED):
        page.goto(page.url())
    assert page.evaluate(CONTROLLED)
    page.click("ul.cards a[href='/packs/fractions']", navigates=True)


def events_with_id(live_data, event_id: str) -> int:
    """How many events the live server's database holds with this id."""
    with sqlite3.connect(f"file:{live_data / 'lantern.db'}?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM event WHERE id = ?", (event_id,)).fetchone()[0]


def fill_in_an_answer(page) -> str:
    """Answer the question shown as a person would (without sending it); return the form's body."""
    document = page.html()
    if 'class="choices"' in document:
        page.click(".choices label")
    elif 'id="answer"' in document:
        page.type_into("#answer", "1")
    for select in re.findall(r'<select id="(match-\d+)"', document):
        page.press(f"#{select}", "ArrowDown", 40)
    return page.evaluate(FORM_BODY)


def attempt_of(body: str) -> str:
    return re.search(r"(?:^|&)attempt=([^&]+)", body).group(1)


def test_a_lesson_stays_readable_and_an_offline_answer_is_sent_once(chromium, live_server, live_data):
    page = chromium.page()
    try:
        open_a_pack_under_the_worker(page, live_server)
        page.click("ol.lessons a", navigates=True)
        lesson_url, lesson_title = page.url(), heading(page)
        assert "/lessons/" in lesson_url
        page.click("a[href^='/practice/']", navigates=True)
        assert heading(page) == "Question"
        question_url = page.url()
        network = Network(page)

        # The Wi-Fi drops. The answer given now is kept on the phone.
        network.set(online=False)
        body = fill_in_an_answer(page)
        attempt = attempt_of(body)
        page.click(f"{ANSWER_FORM} button[type=submit]", navigates=True)
        assert heading(page) == "Answer saved"
        assert "it will be sent when you are back on the school Wi-Fi" in page.html()
        assert page.evaluate(QUEUED) == 1
        assert events_with_id(live_data, attempt) == 0

        # The lesson opened before is still readable; a page never opened says "offline".
        page.goto(lesson_url)
        assert heading(page) == lesson_title and "<article" in page.html()
        page.goto(live_server + "/me")
        assert heading(page) == "You are offline"
        assert "your answers will be sent when the Wi-Fi is back" in page.html()

        # Back online: the next page sends the saved answer first; it is counted once.
        network.set(online=True)
        page.goto(live_server + "/me")
        assert heading(page) == "My progress"
        assert page.evaluate(QUEUED) == 0
        assert events_with_id(live_data, attempt) == 1

        # The same answer sent again (a second replay) is still one event.
        status = page.evaluate(f"""fetch({question_url!r}, {{method: 'POST', body: new URLSearchParams({body!r}),
                                   redirect: 'manual'}}).then(r => r.type)""")
        assert status == "opaqueredirect"  # the server's 303 to the result page
        assert events_with_id(live_data, attempt) == 1
        page.goto(f"{question_url}/result/{attempt}")
        assert heading(page).startswith(("✔", "✘", "◐"))  # right, not quite, or partly right
    finally:
        page.close()


def test_an_offline_answer_the_server_refuses_is_dropped_not_retried(chromium, live_server, live_data):
    page = chromium.page()
    try:
        open_a_pack_under_the_worker(page, live_server)
        page.click("ol.lessons a", navigates=True)
        page.click("a[href^='/practice/']", navigates=True)
        network = Network(page)
        network.set(online=False)
        attempt = attempt_of(fill_in_an_answer(page))
        page.evaluate(f"document.querySelector(\"{ANSWER_FORM} [name=csrf]\").value = 'expired'")
        page.click(f"{ANSWER_FORM} button[type=submit]", navigates=True)
        assert heading(page) == "Answer saved"
        network.set(online=True)
        page.goto(live_server + "/next")  # the replay gets 400 "This form has expired": dropped
        assert page.evaluate(QUEUED) == 0
        assert events_with_id(live_data, attempt) == 0
    finally:
        page.close()


def test_signing_out_forgets_the_cached_lessons(chromium, live_server):
    page = chromium.page()
    try:
        open_a_pack_under_the_worker(page, live_server)
        page.click("ol.lessons a", navigates=True)
        assert page.evaluate("caches.keys().then(k => k.some(n => n.startsWith('pages-')))")
        page.click("nav form[action='/signout'] button", navigates=True)
        assert page.evaluate("caches.keys().then(k => !k.some(n => n.startsWith('pages-')))")
    finally:
        page.close()


def test_changing_the_language_forgets_the_cached_lessons(chromium, live_server):
    """Kept lessons are in the language they were read in: a new language drops them, so an offline
    learner is never shown the old one."""
    page = chromium.page()
    try:
        open_a_pack_under_the_worker(page, live_server)
        assert page.evaluate("caches.keys().then(k => k.some(n => n.startsWith('pages-')))")
        page.goto(live_server + "/language?lang=fr&next=/static/offline.html")
        assert page.evaluate("caches.keys().then(k => !k.some(n => n.startsWith('pages-')))", timeout=10)
    finally:
        page.goto(live_server + "/language?lang=en&next=/static/offline.html")  # the choice is saved in her
        page.close()  # profile: give the other tests on this server their English learner back


def test_the_offline_pages_are_accessible(chromium, live_server, axe_source):
    page = chromium.page()
    try:
        page.emulate_phone(320, 640)
        for name in ("offline.html", "saved.html"):
            page.goto(f"{live_server}/static/{name}")
            assert axe_violations(page, axe_source) == [], name
    finally:
        page.close()


def test_the_worker_is_served_from_the_root_and_is_small(live_server):
    import gzip
    import urllib.request

    with urllib.request.urlopen(live_server + "/sw.js", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/javascript")
        assert response.headers["Cache-Control"] == "no-cache"
        script = response.read()
    assert b"__VERSION__" not in script
    assert len(gzip.compress(script)) < 4096


def test_an_answer_sent_online_through_the_worker_shows_its_result(chromium, live_server, live_data):
    page = chromium.page()
    try:
        open_a_pack_under_the_worker(page, live_server)
        page.click("ol.lessons a", navigates=True)
        page.click("a[href^='/practice/']", navigates=True)
        attempt = attempt_of(fill_in_an_answer(page))
        page.click(f"{ANSWER_FORM} button[type=submit]", navigates=True)
        assert page.url().endswith(f"/result/{attempt}")
        assert heading(page).startswith(("✔", "✘", "◐"))  # right, not quite, or partly right
        assert events_with_id(live_data, attempt) == 1
    finally:
        page.close()

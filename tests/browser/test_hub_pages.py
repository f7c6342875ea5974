"""The hub operator's pages (schools, results across schools, one school's results, packs offered):
valid HTML (Nu Html Checker), no axe-core violations and no sideways scrolling on a 320 px phone, in
real headless Chromium against a real `lantern serve --role hub` process. The school crawl never
reaches these pages (they exist only on a hub), hence this separate test."""
import http.cookiejar
import json
import re
import sqlite3
import subprocess
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.browser.test_axe_every_page import WIDER_THAN_THE_SCREEN, axe_violations, describe
from tests.browser.test_html_valid import run_vnu
from tests.test_cli import LANTERN, free_port, run, wait_healthy

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "district-pass"


@pytest.fixture(scope="module")
def hub_site(tmp_path_factory, built_packs):
    data = tmp_path_factory.mktemp("hub-pages")
    out = run("hub", "add-school", "--data", str(data), "Shule ya Bahari").stdout
    school_id = re.search(r"\(id (\S+)\)", out).group(1)
    run("hub", "offer-pack", "--data", str(data), str(built_packs["fractions-en"]))
    learner = str(uuid.uuid4())
    connection = sqlite3.connect(data / "lantern.db")
    with connection:
        connection.execute("INSERT INTO hub_record (school_id, kind, id, seq, version, updated_at, updated_by, deleted,"
                           " data) VALUES (?, 'account', ?, 1, 1, 'x', 'd', 0, ?)",
                           (school_id, learner, json.dumps({"classroom_id": "c1"})))
        connection.execute("INSERT INTO hub_record (school_id, kind, id, seq, version, updated_at, updated_by, deleted,"
                           " data) VALUES (?, 'class', 'c1', 2, 1, 'x', 'd', 0, ?)",
                           (school_id, json.dumps({"name": "Darasa la Nne"})))
        connection.execute("INSERT INTO received_event (school_id, id, device_id, learner_id, kind, payload,"
                           " created_at, received_at) VALUES (?, ?, 'd', ?, 'answer', ?, '2026-01-01', '2026-01-01')",
                           (school_id, str(uuid.uuid4()), learner,
                            json.dumps({"pack_id": "fractions", "skill_id": "halves", "correct": True})))
    connection.close()
    port = free_port()
    process = subprocess.Popen([LANTERN, "serve", "--role", "hub", "--data", str(data), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        token = re.search(r'name="csrf" value="([^"]+)"', opener.open(base + "/setup").read().decode()).group(1)
        opener.open(base + "/setup", urllib.parse.urlencode(
            {"csrf": token, "school_name": "Pwani District", "language": "en", "username": "operator",
             "password": PASSWORD, "password2": PASSWORD}).encode())
        urls = ["/hub", "/hub/results", f"/hub/results/{school_id}", "/hub/packs"]
        pages = {url: opener.open(base + url).read().decode() for url in urls}
        assert "Darasa la Nne" in pages[f"/hub/results/{school_id}"] and "fractions" in pages["/hub/packs"].lower()
        yield {"base": base, "pages": pages}
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_hub_pages_are_valid_html(hub_site, vnu_command, tmp_path):
    files = {}
    for n, (url, html) in enumerate(hub_site["pages"].items()):
        files[url] = tmp_path / f"hub-{n}.html"
        files[url].write_text(html, encoding="utf-8")
    invalid = {url: errors for url, errors in run_vnu(vnu_command, files).items() if errors}
    assert not invalid, invalid


def test_hub_pages_pass_axe_on_a_small_phone(hub_site, chromium, axe_source):
    base, page = hub_site["base"], chromium.page()
    found, too_wide = {}, []
    try:
        page.emulate_phone(320, 640)
        page.goto(base + "/signin")
        page.type_into("#username", "operator")
        page.type_into("#password", PASSWORD)
        page.click("form[action='/signin'] button[type=submit]", navigates=True)
        for url in hub_site["pages"]:
            page.goto(base + url)
            assert page.url().endswith(url), f"{url} ended on {page.url()} (not signed in?)"
            if sticking_out := page.evaluate(WIDER_THAN_THE_SCREEN):
                too_wide.append(f"{url}: {sticking_out}")
            for v in axe_violations(page, axe_source):
                places = found.setdefault((v["id"], v["impact"], v["help"]), {})
                for n in v["nodes"]:
                    places.setdefault((n["target"], n["html"], n["why"]), []).append(url)
    finally:
        page.close()
    assert not found, describe(found)
    assert not too_wide, "\n".join(too_wide)

"""The log an operator reads: one line per request, rotated, and no personal data in it."""
import logging
import re

import pytest

from server.db import database
from server.models import Classroom
from server.web.request_log import ACCESS, OncePerInterval, remove_logging, setup_logging
from tests.conftest import Browser
from tests.factories import correct_response, form_fields

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?:w\d+ )?(GET|POST|HEAD) (/\S*) (\d{3}) (\d+|-) (\d+ms)$")  # w<n>: the worker
CLIENT_IP = "192.0.2.77"  # a documentation address, only ever a string in the test client


@pytest.fixture
def log_file(demo_app):
    handler = setup_logging(demo_app.config["DATA_DIR"])
    yield demo_app.config["DATA_DIR"] / "logs" / "lantern.log"
    remove_logging(handler)


def test_requests_are_logged_one_line_each_without_personal_data(demo_app, people, log_file):
    amina = people["amina"]
    learner = Browser(demo_app)
    learner.client.environ_base["REMOTE_ADDR"] = CLIENT_IP
    requests = 1  # the sign-in page fetched for its CSRF token
    signin = learner.post("/signin?next=/me&username=amina", data={"username": "amina", "password": "1234"})
    requests += 1
    assert signin.status_code == 302
    skills = learner.get("/practice/fractions")
    requests += 1
    skill = re.search(r'href="/practice/fractions/([^"/?]+)"', skills.get_data(as_text=True)).group(1)
    page = learner.get(f"/practice/fractions/{skill}")
    requests += 1
    fields = form_fields(page.get_data(as_text=True))
    learner.csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    from server.models import Item
    with database.connection_context():
        item = Item.get(Item.item_id == fields["item"]).data
    answered = learner.post(f"/practice/fractions/{skill}", data={**fields, **correct_response(item)})
    requests += 1
    assert answered.status_code == 303
    learner.get(answered.headers["Location"])
    requests += 1
    with database.connection_context():
        class_id = Classroom.get().id
    teacher = Browser(demo_app, people["teacher"])
    assert teacher.get(f"/coach/classes/{class_id}/learners/{amina.id}?name=amina").status_code == 200
    requests += 1
    for handler in ACCESS.handlers:
        handler.flush()

    lines = log_file.read_text().splitlines()
    assert len(lines) == requests
    for line in lines:
        match = LINE.match(line)
        assert match, line
        path = match.group(2)
        for secret in ("amina", "Amina", "1234", amina.id, CLIENT_IP, fields["attempt"], "password", "?"):
            assert secret not in path, (secret, line)
        for secret in ("amina", "Amina", amina.id, CLIENT_IP, "password", "csrf"):
            assert secret not in line, (secret, line)
    assert any(f" POST /practice/fractions/{skill} 303 " in line for line in lines)
    assert any(f" GET /coach/classes/{class_id}/learners/<learner_id> 200 " in line for line in lines)
    assert any(" GET /practice/fractions/" in line and "/result/<attempt> 200 " in line for line in lines)


def test_an_unknown_path_is_logged_only_by_its_first_part(demo_app, log_file):
    Browser(demo_app).get("/nothing-here/amina-secret/1234")
    for handler in ACCESS.handlers:
        handler.flush()
    line = log_file.read_text().splitlines()[-1]
    assert " GET /nothing-here/… 404 " in line and "amina" not in line


def test_the_log_file_rotates(tmp_path):
    handler = setup_logging(tmp_path)
    try:
        handler.maxBytes = 2000
        for n in range(200):
            ACCESS.info("GET /packs/fractions 200 %d 3ms", n)
        files = sorted(p.name for p in (tmp_path / "logs").iterdir())
        assert files[0] == "lantern.log" and "lantern.log.1" in files and len(files) <= 6
        assert all(p.stat().st_size <= 2000 for p in (tmp_path / "logs").iterdir())
        assert any(isinstance(f, OncePerInterval) for f in logging.getLogger("waitress.queue").filters)
    finally:
        remove_logging(handler)


def test_waitress_queue_depth_warnings_are_let_through_once_a_minute():
    now = [1000.0]
    limiter = OncePerInterval("Task queue depth", interval=60, clock=lambda: now[0])

    def record(msg):
        return logging.LogRecord("waitress.queue", logging.WARNING, __file__, 1, msg, (), None)

    passed = []
    for second in range(0, 150):
        now[0] = 1000.0 + second
        for _ in range(10):  # ten warnings a second under saturation
            rec = record("Task queue depth is %d")
            if limiter.filter(rec):
                passed.append((second, rec.msg))
    assert [s for s, _ in passed] == [0, 60, 120]
    assert "599 more like it" in passed[1][1]
    assert limiter.filter(record("something else")) is True


def test_lantern_serve_writes_the_log_over_real_http(tmp_path):
    import subprocess
    import urllib.parse
    import urllib.request

    from tests.test_cli import LANTERN, free_port, wait_healthy

    port = free_port()
    data = tmp_path / "demo"
    process = subprocess.Popen([LANTERN, "serve", "--demo", "--data", str(data), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, process, seconds=60)
        form = urllib.parse.urlencode({"username": "amina", "password": "1234"}).encode()
        try:  # no CSRF token: refused, but the request is still logged (and its body is not)
            urllib.request.urlopen(base + "/signin?username=amina", data=form, timeout=5)
        except urllib.error.HTTPError as refused:
            assert refused.code == 400
        with urllib.request.urlopen(base + "/packs/fractions", timeout=5) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.communicate(timeout=20)
    text = (data / "logs" / "lantern.log").read_text()
    assert " GET /healthz 200 " in text and " POST /signin 400 " in text and " GET /packs/fractions 200 " in text
    requests = [LINE.match(line) for line in text.splitlines() if LINE.match(line)]
    assert len(requests) >= 3
    for secret in ("amina", "127.0.0.1", "username", "password"):
        assert secret not in text, secret
    assert not any("1234" in match.group(2) for match in requests)

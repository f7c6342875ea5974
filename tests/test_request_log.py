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


# --- one redaction for every line: names, PINs and ids in paths and query strings -------------------------

SECRETS = ("amina", "Amina", "1234", "9876")


def _lines(log_file) -> list[str]:
    for handler in logging.getLogger().handlers + ACCESS.handlers:
        handler.flush()
    return log_file.read_text().splitlines()


@pytest.mark.parametrize("url", [
    "/packs/amina-1234", "/packs/amina1234/lessons/pin-1234", "/practice/fractions/amina?pin=1234&name=Amina",
    "/search?q=amina+1234", "/signin?username=amina&password=1234", "/language?lang=fr&next=/me%3Fpin%3D1234",
    "/Amina/1234", "/1234/amina", "/coach/classes/{amina_id}/learners/{amina_id}?name=amina",
    "/work/{amina_id}/file", "/open/amina/1234"])
def test_names_pins_and_ids_typed_into_an_address_never_reach_the_log(demo_app, people, log_file, url):
    amina_id = people["amina"].id
    teacher = Browser(demo_app, people["teacher"])
    teacher.get(url.format(amina_id=amina_id))
    Browser(demo_app).get(url.format(amina_id=amina_id))
    lines = _lines(log_file)
    assert len(lines) >= 2
    for line in lines:
        for secret in (*SECRETS, amina_id):
            assert secret not in line, (secret, line)


def test_error_lines_name_the_route_not_the_raw_path(demo_app, people, log_file, monkeypatch):
    from server.web import learn

    amina_id = people["amina"].id
    said = {"text": "pack {!r} for learner {} (PIN {})", "who": amina_id, "pin": SECRETS[2]}

    def broken(pack_id):  # the frame's code line is shown in the log; the message is built elsewhere
        raise KeyError(said["text"].format(pack_id, said["who"], said["pin"]))

    monkeypatch.setattr(learn.library, "get_pack", broken)
    response = Browser(demo_app).get("/packs/amina-1234?pin=1234")
    assert response.status_code == 500
    text = "\n".join(_lines(log_file))
    assert "unexpected error on GET /packs/<pack_id>" in text and "KeyError" in text
    assert 'File "' in text and "learn.py" in text, "the traceback keeps its frames"
    for secret in (*SECRETS, amina_id):
        assert secret not in text, (secret, text)


def test_a_refused_request_logs_the_error_template_not_its_values(demo_app, people, log_file):
    amina = Browser(demo_app, people["amina"])
    amina.post("/profile", data={"language": "fr", "goal_minutes": "amina-1234"})
    amina.get("/practice/amina1234/x")
    for line in _lines(log_file):
        for secret in SECRETS:
            assert secret not in line, (secret, line)


@pytest.mark.parametrize("text, kept, gone", [
    ("GET /x?name=amina&pin=1234 failed", "GET /x?… failed", "amina"),
    ("session 0190a0a0-0000-7000-8000-000000000001 ended", "session <id> ended", "0190"),
    ("token 3f9c1e0b7a6d4c2e8f1a0b9c8d7e6f5a4b3c2d1e bad", "token <token> bad", "3f9c"),
    ("no learner named 'Amina Juma'", "no learner named '…'", "Amina"),
    ("Exception while serving /signin/amina/1234", "Exception while serving /signin/amina/1234", None),
    ("wrong PIN 1234 for 5 tries at 09:14:05", "wrong PIN <number> for 5 tries at 09:14:05", "1234"),
])
def test_redact_takes_out_what_could_name_a_person(text, kept, gone):
    from server.web.request_log import redact

    if gone is None:  # a raw path in free text is shaped by the waitress rule, not here
        return
    assert redact(text) == kept and gone not in redact(text)


def test_waitress_messages_keep_only_the_first_part_of_a_raw_path(tmp_path):
    handler = setup_logging(tmp_path)
    try:
        logging.getLogger("waitress").error("Exception while serving /signin/amina/1234?pin=1234")
        logging.getLogger("waitress").error("Exception while serving /Amina/x")
        handler.flush()
        text = (tmp_path / "logs" / "lantern.log").read_text()
    finally:
        remove_logging(handler)
    assert "Exception while serving /signin/…" in text and "Exception while serving /…/…" in text
    for secret in SECRETS:
        assert secret not in text

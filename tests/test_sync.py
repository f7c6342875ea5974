"""Sync against a real hub: `lantern serve --role hub` in its own process on 127.0.0.1.

Every scenario ends with the same check: each event is on the hub exactly once, nothing lost.
"""
import gzip
import json
import re
import sqlite3
import subprocess
import time

import pytest

from server.db import database
from server.errors import Forbidden, SyncError
from server.models import Event, Outbox, SyncState
from server.learning.progress import record_event
from sync import protocol
from sync.client import _signed_headers, pair, pending_count, push_pending
from sync.transport import HttpTransport
from tests.test_cli import LANTERN, free_port, run, wait_healthy


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A running hub with one registered school; yields (url, data dir, pairing code factory)."""
    data = tmp_path_factory.mktemp("hub")
    port = free_port()
    process = subprocess.Popen([LANTERN, "serve", "--role", "hub", "--data", str(data), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_healthy(url, process)["role"] == "hub"
        yield {"url": url, "data": data, "process": process}
    finally:
        process.terminate()
        process.communicate(timeout=20)


def new_code(hub, name="Shule ya Tumaini") -> str:
    out = run("hub", "add-school", "--data", str(hub["data"]), name).stdout
    return re.search(r"Pairing code: (\S+)", out).group(1)


def hub_events(hub) -> list[tuple]:
    connection = sqlite3.connect(hub["data"] / "lantern.db")
    try:
        return connection.execute("SELECT school_id, id FROM received_event").fetchall()
    finally:
        connection.close()


@pytest.fixture
def paired(demo_app, people, hub):
    """The demo school paired with the hub, with a few answers waiting."""
    data_dir = demo_app.config["DATA_DIR"]
    with database.connection_context():
        pair(HttpTransport(hub["url"]), new_code(hub), data_dir)
        for n in range(7):
            record_event(people["amina"].id, "answer", {"pack_id": "fractions", "item_id": f"i{n}", "skill_id": None,
                                                        "correct": n % 2 == 0, "score": 1.0})
    return data_dir


def _ids_here() -> set[str]:
    with database.connection_context():
        return {e.id for e in Event.select(Event.id)}


def test_push_sends_every_event_once_and_empties_the_outbox(paired, hub):
    transport = HttpTransport(hub["url"])
    with database.connection_context():
        report = push_pending(transport, paired, batch=3)
        assert (report.sent, report.batches, report.pending) == (7, 3, 0)
        school = SyncState.get(SyncState.key == "hub_school_id").value
        second = push_pending(transport, paired)
    assert second.sent == 0  # a second push sends nothing
    received = hub_events(hub)
    mine = {event_id for school_id, event_id in received if school_id == school}
    assert mine == _ids_here() and len([r for r in received if r[0] == school]) == len(mine)


def test_same_batch_twice_and_out_of_order_changes_nothing(paired, hub):
    transport = HttpTransport(hub["url"])
    with database.connection_context():
        rows = list(Outbox.select().order_by(Outbox.seq))
        device = SyncState.get(SyncState.key == "hub_device_id").value
        school = SyncState.get(SyncState.key == "hub_school_id").value
        from sync.client import _push_body
        from server.identity import device_key
        later, earlier = _push_body(rows[4:], school), _push_body(rows[:4], school)
    for body in (later, earlier, later):  # out of order, then a duplicate
        reply = transport.post("/sync/v1/push", body, _signed_headers(device_key(paired), device, "/sync/v1/push", body))
        assert reply.status == 200
    assert sorted(e for s, e in hub_events(hub) if s == school) == sorted(_ids_here())


def test_one_event_the_hub_cannot_store_does_not_hold_back_the_others(paired, hub, demo_app, people):
    """A bad event (here an oversized payload, as a bug might write) is refused by name; the rest arrive,
    the outbox drains, the bad event stays in this server's log, and the admin's status page says so."""
    from server.models.base import utcnow
    from server.ids import uuid7

    transport = HttpTransport(hub["url"])
    with database.connection_context():
        poison = Event.create(id=uuid7(), device_id="d", learner_id=people["amina"].id, kind="answer",
                              payload={"pack_id": "fractions", "junk": "x" * (protocol.MAX_PAYLOAD + 10)},
                              created_at=utcnow())
        Outbox.create(event_id=poison.id)
        record_event(people["amina"].id, "answer", {"pack_id": "fractions", "item_id": "after", "skill_id": None,
                                                    "correct": True, "score": 1.0})
        report = push_pending(transport, paired)
        school = SyncState.get(SyncState.key == "hub_school_id").value
        assert report.pending == 0 and pending_count() == 0
        assert Event.get_or_none(Event.id == poison.id) is not None  # never deleted here
    on_hub = {e for s, e in hub_events(hub) if s == school}
    assert on_hub == _ids_here() - {poison.id}
    from tests.conftest import Browser
    from server.models import Account
    with database.connection_context():
        admin = Account.get(Account.username == "admin")
    status = Browser(demo_app, admin).get("/admin/status").get_data(as_text=True)
    assert "Refused by the hub" in status and "1 event: it stays on this server" in status


def test_a_replayed_request_is_refused(paired, hub):
    transport = HttpTransport(hub["url"])
    with database.connection_context():
        device = SyncState.get(SyncState.key == "hub_device_id").value
        school = SyncState.get(SyncState.key == "hub_school_id").value
        from sync.client import _push_body
        from server.identity import device_key
        body = _push_body(list(Outbox.select().order_by(Outbox.seq)), school)
    headers = _signed_headers(device_key(paired), device, "/sync/v1/push", body)
    assert transport.post("/sync/v1/push", body, headers).status == 200
    replay = transport.post("/sync/v1/push", body, headers)
    assert replay.status == 403 and b"replay" in replay.body


@pytest.mark.parametrize("forgery", ["signature", "device", "tampered", "protocol", "other_school"])
def test_forged_requests_are_refused_and_store_nothing(paired, hub, forgery):
    transport = HttpTransport(hub["url"])
    before = len(hub_events(hub))
    with database.connection_context():
        device = SyncState.get(SyncState.key == "hub_device_id").value
        school = SyncState.get(SyncState.key == "hub_school_id").value
        from sync.client import _push_body
        from server.identity import device_key
        body = _push_body(list(Outbox.select().order_by(Outbox.seq)), school)
    key = device_key(paired)
    headers = _signed_headers(key, device, "/sync/v1/push", body)
    if forgery == "signature":
        headers["X-Lantern-Signature"] = headers["X-Lantern-Signature"][::-1]
    elif forgery == "device":
        headers["X-Lantern-Device"] = "00000000-0000-0000-0000-000000000000"
    elif forgery == "tampered":
        body = protocol.encode({"type": "push", "school_id": school, "through_seq": 1, "events": []})
    elif forgery == "protocol":
        body = gzip.compress(json.dumps({"protocol": 99, "type": "push"}).encode())
        headers = _signed_headers(key, device, "/sync/v1/push", body)
    else:
        body = protocol.encode({"type": "push", "school_id": "someone-else", "through_seq": 1, "events": []})
        headers = _signed_headers(key, device, "/sync/v1/push", body)
    reply = transport.post("/sync/v1/push", body, headers)
    assert reply.status in (400, 403), reply.body
    assert len(hub_events(hub)) == before


def test_pairing_codes_work_once(demo_app, people, hub, tmp_path):
    code = new_code(hub, "Another school")
    with database.connection_context():
        pair(HttpTransport(hub["url"]), code, demo_app.config["DATA_DIR"])
        with pytest.raises(SyncError, match="not valid"):
            pair(HttpTransport(hub["url"]), code, demo_app.config["DATA_DIR"])


def test_a_revoked_device_cannot_push(paired, hub):
    with database.connection_context():
        device = SyncState.get(SyncState.key == "hub_device_id").value
    run("hub", "revoke", "--data", str(hub["data"]), device)
    with database.connection_context():
        with pytest.raises(SyncError, match="revoked"):
            push_pending(HttpTransport(hub["url"]), paired)
        assert pending_count() == 7  # nothing leaves the outbox without an acknowledgement


def test_an_unreachable_hub_is_a_plain_error_and_keeps_everything(paired):
    with database.connection_context():
        with pytest.raises(SyncError, match="cannot be reached"):
            push_pending(HttpTransport(f"http://127.0.0.1:{free_port()}", timeout=2), paired)
        assert pending_count() == 7


def test_byte_budget_stops_a_push_and_the_rest_follows_later(paired, hub):
    with database.connection_context():
        tight = push_pending(HttpTransport(hub["url"]), paired, byte_budget=10, batch=2)
        assert tight.stopped_by_budget and tight.sent == 0 and tight.pending == 7
        rest = push_pending(HttpTransport(hub["url"]), paired, batch=2)
        assert rest.sent == 7 and rest.pending == 0


@pytest.mark.parametrize("garbage", [b"", b"not gzip", b"\x1f\x8b" + b"\x00" * 50])
def test_malformed_messages_are_refused(hub, garbage):
    reply = HttpTransport(hub["url"]).post("/sync/v1/pair", garbage, {})
    assert reply.status == 400


def test_hub_operator_pages_and_who_may_use_them(tmp_path):
    from server import create_app
    from server.config import load_config

    hub_app = create_app(load_config(tmp_path / "hub", ROLE="hub"))
    client = hub_app.test_client()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/setup").get_data(as_text=True)).group(1)
    done = client.post("/setup", data={"csrf": token, "school_name": "Kilimani District", "language": "en",
                                       "username": "operator", "password": "district-pass", "password2": "district-pass"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/hub")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/hub").get_data(as_text=True)).group(1)
    added = client.post("/hub/schools", data={"csrf": token, "name": "Shule ya Bahari"})
    page = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Shule ya Bahari" in page and re.search(r"[A-Z2-9]{5}-[A-Z2-9]{5}", page)
    assert hub_app.test_client().get("/hub").status_code == 302  # anonymous: sign in first

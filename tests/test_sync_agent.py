"""The sync agent's rules (pure), one real attempt against a hub process, and its thread against a hub-like
server that sends truncated and garbage replies (it must stay alive, say so, back off and try again)."""
import gzip
import random
import socket
import threading
import time
from datetime import date

import pytest

from server.db import database
from server.models import Outbox, SyncLog, SyncState
from server.learning.progress import record_event
from sync.agent import SyncAgent, budget_left, retry_delay
from sync.client import pair
from sync.transport import HttpTransport
from tests.test_cli import free_port
from tests.test_sync import hub, new_code  # noqa: F401  (the module-scoped hub fixture)


@pytest.mark.parametrize("failures, low, high", [(0, 150, 450), (1, 300, 900), (3, 1200, 3600), (10, 1800, 5400)])
def test_backoff_doubles_with_jitter_up_to_an_hour(failures, low, high):
    rng = random.Random(7)
    delays = [retry_delay(failures, rng=rng) for _ in range(200)]
    assert low <= min(delays) and max(delays) <= high
    assert len({round(d) for d in delays}) > 50  # spread out, so schools do not call at once


@pytest.mark.parametrize("state, budget, left", [
    (None, None, None), (None, 1000, 1000), ({"day": "2026-11-23", "bytes": 400}, 1000, 600),
    ({"day": "2026-11-22", "bytes": 999}, 1000, 1000), ({"day": "2026-11-23", "bytes": 5000}, 1000, 0),
])
def test_daily_budget(state, budget, left):
    assert budget_left(state, budget, date(2026, 11, 23)) == left


def test_agent_pushes_when_the_hub_is_there_and_records_failures_when_not(demo_app, people, hub):  # noqa: F811
    data = demo_app.config["DATA_DIR"]
    agent = SyncAgent(data)
    assert agent.try_once() == "not paired"
    with database.connection_context():
        pair(HttpTransport(hub["url"]), new_code(hub), data)
        SyncState.insert(key="hub_url", value=f"http://127.0.0.1:{free_port()}").on_conflict_replace().execute()
        record_event(people["amina"].id, "lesson_opened", {"pack_id": "fractions", "lesson_id": "x"})
    assert "cannot be reached" in agent.try_once() and agent.failures == 1
    with database.connection_context():
        assert SyncState.get(SyncState.key == "last_error").value["message"].startswith("The hub cannot be reached")
        SyncState.update(value=hub["url"]).where(SyncState.key == "hub_url").execute()
    assert agent.try_once() == "sent 1 event" and agent.failures == 0
    with database.connection_context():
        assert Outbox.select().count() == 0
        assert SyncState.get(SyncState.key == "bytes_today").value["bytes"] > 0
        assert SyncLog.select().where(SyncLog.ok == 0).count() == 1


# --- a hub that answers badly: the agent's thread survives, says so, backs off and tries again -------------

STATUS_PAGE = "/admin/status"
BAD_REPLIES = {
    "truncated": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"protocol\": 1, ",
    "not http": b"\x00\xffGARBAGE\r\n\r\n",
    "garbage body": b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n\x89PNG\x00\x01\x02\xff\xfe{[",
    "gzip garbage": (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 20\r\n\r\n" + gzip.compress(b"{}")[:10] + b"\x00" * 10),
    "wrong json": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n[1, 2, {\"acks\": null}]",
    "cut headers": b"HTTP/1.1 200 OK\r\nContent-Le",
}


class BadHub:
    """A hub-like server on 127.0.0.1 that reads each request and sends the next bad reply in turn."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.served: list[str] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="bad-hub", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        kinds = list(BAD_REPLIES)
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    connection.recv(65536)  # the request (its body may be longer: it is not read)
                    kind = kinds[len(self.served) % len(kinds)]
                    connection.sendall(BAD_REPLIES[kind])
                    self.served.append(kind)
                except OSError:
                    continue

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()


def test_the_agent_survives_truncated_and_garbage_replies_and_retries(demo_app, people, hub):  # noqa: F811
    data = demo_app.config["DATA_DIR"]
    bad = BadHub()
    with database.connection_context():
        pair(HttpTransport(hub["url"]), new_code(hub), data)
        SyncState.insert(key="hub_url", value=bad.url).on_conflict_replace().execute()
        record_event(people["amina"].id, "lesson_opened", {"pack_id": "fractions", "lesson_id": "x"})
    agent = SyncAgent(data, base=0.02, cap=0.2)
    agent.start()
    try:
        deadline = time.monotonic() + 60
        while len(bad.served) < 2 * len(BAD_REPLIES) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(bad.served) == set(BAD_REPLIES), bad.served
        assert agent.is_alive() and agent.failures >= len(BAD_REPLIES), agent.failures
        with database.connection_context():
            problem = SyncState.get(SyncState.key == "last_error").value["message"]
            assert problem and SyncLog.select().where(SyncLog.ok == 0).count() >= len(BAD_REPLIES)
            SyncState.update(value=hub["url"]).where(SyncState.key == "hub_url").execute()
        while time.monotonic() < deadline:  # the hub is good again: the same thread gets the event through
            with database.connection_context():
                if Outbox.select().count() == 0 and agent.failures == 0:
                    break
            time.sleep(0.05)
        with database.connection_context():
            assert Outbox.select().count() == 0
        assert agent.is_alive() and agent.failures == 0
    finally:
        agent.stop()
        agent.join(10)
        bad.close()
    assert not agent.is_alive()


def test_a_try_that_raises_anything_is_logged_shown_and_backed_off(demo_app, people, monkeypatch, caplog):
    from tests.conftest import Browser

    import sync.agent as agent_module

    def broken(*args, **kwargs):
        raise KeyError("acks")  # what a reply of an unforeseen shape could raise deep in a pass

    data = demo_app.config["DATA_DIR"]
    with database.connection_context():
        SyncState.insert(key="hub_url", value="http://127.0.0.1:9").on_conflict_replace().execute()
    monkeypatch.setattr(agent_module, "sync_pass", broken)
    agent = SyncAgent(data, base=0.02, cap=0.1)
    agent.start()
    try:
        deadline = time.monotonic() + 20
        while agent.tries < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert agent.is_alive() and agent.failures >= 2
    finally:
        agent.stop()
        agent.join(10)
    with database.connection_context():
        message = SyncState.get(SyncState.key == "last_error").value["message"]
    assert "unexpected error (KeyError)" in message
    assert any("sync stopped by an unexpected error" in r.getMessage() for r in caplog.records)
    page = Browser(demo_app, people["admin"]).get(STATUS_PAGE).get_data(as_text=True)
    assert "unexpected error (KeyError)" in page, "the status page shows it"

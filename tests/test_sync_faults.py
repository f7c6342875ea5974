"""Push over a bad link: a real school and a real hub process on 127.0.0.1 with tests/faultproxy.py between.

Scenarios (issue 6 "Prove it against faults", issue 7 item 5): a 50 kbit/s link, random connection cuts, a
lossy link (stalls and resets), the answer lost after the hub stored the batch, the hub killed with SIGKILL
mid-sync and restarted, clocks hours off, a captured request replayed byte for byte, a revoked device, and
the school's `lantern sync push` killed mid-push. After every scenario `assert_exactly_once` checks: each
event is on the hub exactly once (counted by id), none lost (whatever the hub lacks is still in the
school's outbox), the outbox only lost rows the hub has, and no temporary files or duplicated rows are left.
"""
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bench.server_process import integrity_check, lantern_command, start_server
from server.db import database
from server.errors import SyncError
from server.identity import device_key
from server.learning.progress import record_event
from sync import protocol
from sync.client import pair, pending_count, push_pending
from sync.state import get_state, set_state
from sync.transport import HttpTransport
from tests.conftest import REPO
from tests.faultproxy import FaultProxy
from tests.test_cli import run

RATE_50_KBIT = 50_000 / 8  # bytes per second


def _rows(db: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


class Hub:
    """`lantern serve --role hub` in a subprocess (kill -9 and restart keep its data folder)."""

    def __init__(self, data: Path):
        self.data, self.db, self.restarts = data, data / "lantern.db", 0
        self.process = start_server(data, data.parent / "hub.log", extra=("--role", "hub"))

    @property
    def port(self) -> int:
        return self.process.port

    def kill(self) -> None:
        self.process.kill()
        assert self.process.proc.returncode == -signal.SIGKILL

    def restart(self) -> None:
        self.restarts += 1
        self.process = start_server(self.data, self.data.parent / f"hub-{self.restarts}.log", extra=("--role", "hub"))

    def stop(self) -> None:
        self.process.stop()

    def add_school(self, name: str) -> str:
        out = run("hub", "add-school", "--data", str(self.data), name).stdout
        return next(line.split("Pairing code: ")[1].split()[0] for line in out.splitlines() if "Pairing code: " in line)

    def event_ids(self, school_id: str) -> list[str]:
        return [r[0] for r in _rows(self.db, "SELECT id FROM received_event WHERE school_id = ?", school_id)]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    data = tmp_path_factory.mktemp("faults-hub") / "hub"
    running = Hub(data)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def proxy(hub):
    with FaultProxy(hub.port) as running:
        yield running


def make_events(learner_id: str, count: int) -> None:
    """`count` answers (and what they trigger), recorded the normal way, in one transaction."""
    with database.connection_context(), database.atomic():
        for n in range(count):
            record_event(learner_id, "answer", {"pack_id": "fractions", "item_id": f"q{n % 40}", "skill_id": None,
                                                "correct": n % 3 != 0, "score": 1.0 if n % 3 else 0.0})


@pytest.fixture
def school(app, people, hub, proxy):
    """A school (real SQLite file) paired with the hub through the proxy."""
    data = app.config["DATA_DIR"]
    with database.connection_context():
        pair(HttpTransport(proxy.url), hub.add_school(f"School {data.parent.name}"), data)
        set_state("hub_url", proxy.url)
        school_id = get_state("hub_school_id")
    return {"data": data, "db": data / "lantern.db", "school_id": school_id, "learner": people["amina"].id}


def push(school, timeout: float = 10, batch: int = 250, **kw):
    with database.connection_context():
        return push_pending(HttpTransport(get_state("hub_url"), timeout=timeout), school["data"], batch=batch, **kw)


def push_until_done(school, passes: int = 60, **kw) -> tuple[int, list[str]]:
    """Push again after each failure, as the agent would (without its back-off); return (passes, errors)."""
    errors = []
    for n in range(1, passes + 1):
        try:
            report = push(school, **kw)
        except SyncError as err:
            errors.append(err.message)
            continue
        if report.pending == 0:
            return n, errors
    raise AssertionError(f"still {pending_count()} pending after {passes} passes: {errors[-3:]}")


def assert_exactly_once(hub: Hub, school, drained: bool = True) -> dict:
    """The invariants every scenario must leave behind; returns counts for reports."""
    sid = school["school_id"]
    doubled = _rows(hub.db, "SELECT id, count(*) FROM received_event WHERE school_id = ? GROUP BY id "
                    "HAVING count(*) > 1", sid)
    assert doubled == [], f"events stored twice on the hub: {doubled[:3]}"
    on_hub = set(hub.event_ids(sid))
    here = {r[0] for r in _rows(school["db"], "SELECT id FROM event")}
    outbox = [r[0] for r in _rows(school["db"], "SELECT event_id FROM outbox")]
    assert len(outbox) == len(set(outbox)), "outbox rows duplicated"
    assert on_hub <= here, "the hub holds events this school never made"
    assert here - on_hub <= set(outbox), f"{len(here - on_hub - set(outbox))} events lost: not on the hub, not queued"
    assert here - set(outbox) <= on_hub, "events left the outbox without reaching the hub"
    if drained:
        assert on_hub == here and outbox == [], f"{len(here - on_hub)} events not delivered"
    stored = _rows(hub.db, "SELECT events_received FROM hub_school WHERE id = ?", sid)[0][0]
    assert stored == len(on_hub), "the hub's count of received events disagrees with its rows"
    for folder in (school["data"], hub.data):
        leftovers = [p for p in folder.rglob("*") if p.name.endswith((".part", ".tmp")) or p.name.startswith("tmp")]
        assert leftovers == [], f"temporary files left behind: {leftovers}"
        staging = folder / "staging"
        assert not staging.exists() or list(staging.iterdir()) == []
    return {"events": len(here), "on_hub": len(on_hub), "queued": len(outbox)}


# --- the link ----------------------------------------------------------------------------------------

def test_a_50_kbit_link_delivers_a_few_thousand_events_in_bounded_batches(school, hub, proxy):
    make_events(school["learner"], 2000)
    proxy.rate = RATE_50_KBIT
    started = time.monotonic()
    report = push(school, timeout=30, batch=250)
    took = time.monotonic() - started
    counts = assert_exactly_once(hub, school)
    assert report.sent == counts["events"] >= 2000 and report.pending == 0
    assert report.batches == -(-counts["events"] // 250)  # progress is acknowledged batch by batch
    wire = proxy.stats.bytes_up + proxy.stats.bytes_down
    assert took >= wire / RATE_50_KBIT * 0.9, "the throttle did not hold"
    print(f"\n50 kbit/s: {counts['events']} events in {report.batches} batches, {took:.1f} s, "
          f"{report.bytes} body bytes ({report.bytes / counts['events']:.1f} B/event), {wire} bytes on the wire")


def test_random_cuts_resume_on_the_next_pass_with_nothing_lost_or_doubled(school, hub, proxy):
    make_events(school["learner"], 1500)
    proxy.cut_share, proxy.cut_range = 0.5, (100, 3_000)  # a batch of 100 is ~3 KB up, ~0.3 KB down
    passes, errors = push_until_done(school, passes=150, batch=100)
    counts = assert_exactly_once(hub, school)
    assert proxy.stats.cuts >= 5 and len(errors) >= 5, "the proxy should have cut several pushes"
    assert all("cannot be reached" in e or "refused" in e for e in errors), errors
    print(f"\ncuts: {counts['events']} events, {proxy.stats.cuts} connections cut, {passes} passes")


def test_an_ack_lost_after_the_hub_stored_the_batch_is_resent_and_counted_once(school, hub, proxy):
    make_events(school["learner"], 300)
    proxy.cut_reply_share = 1.0  # the hub stores the batch, then the link dies before its answer arrives
    for _ in range(2):
        with pytest.raises(SyncError, match="cannot be reached"):
            push(school, batch=300)
    partial = assert_exactly_once(hub, school, drained=False)
    assert partial["on_hub"] == partial["events"] and partial["queued"] == partial["events"], \
        "the hub has everything, but nothing leaves the school's outbox without an acknowledgement"
    proxy.cut_reply_share = 0.0
    assert push(school, batch=300).sent == partial["events"]
    assert_exactly_once(hub, school)
    assert _rows(hub.db, "SELECT count(*) FROM sync_log WHERE school_id = ? AND message LIKE '0 new of %'",
                 school["school_id"]) == [(2,)], "both resends were recognised as already known"


def test_a_lossy_link_stalls_and_resets_but_everything_arrives_once(school, hub, proxy):
    make_events(school["learner"], 800)
    proxy.loss, proxy.stall_base = 0.2, 0.3  # a fifth of the chunks wait for a "retransmission"
    passes, errors = push_until_done(school, passes=80, batch=100, timeout=1)  # stalls past 1 s: a dead link
    counts = assert_exactly_once(hub, school)
    assert proxy.stats.stalls > 10
    print(f"\nloss: {counts['events']} events, {proxy.stats.stalls} stalls, {proxy.stats.cuts} resets, "
          f"{passes} passes, {len(errors)} failed")


# --- the hub dies ------------------------------------------------------------------------------------

@pytest.fixture
def own_hub(tmp_path):
    running = Hub(tmp_path / "own-hub")
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.slow
def test_hub_killed_mid_sync_and_restarted_then_every_event_arrives_once(app, people, own_hub):
    with FaultProxy(own_hub.port) as link:
        data = app.config["DATA_DIR"]
        with database.connection_context():
            pair(HttpTransport(link.url), own_hub.add_school("Shule ya Mlimani"), data)
            set_state("hub_url", link.url)
        school = {"data": data, "db": data / "lantern.db", "school_id": None, "learner": people["amina"].id}
        with database.connection_context():
            school["school_id"] = get_state("hub_school_id")
        make_events(school["learner"], 3000)
        link.rate = 40_000
        outcome = {}

        def pushing():
            try:
                outcome["report"] = push(school, timeout=10, batch=200)
            except SyncError as err:
                outcome["error"] = err.message

        pusher = threading.Thread(target=pushing)
        pusher.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(own_hub.event_ids(school["school_id"])) < 400:
            time.sleep(0.02)
        own_hub.kill()  # kill -9 while batches are being sent and ingested
        link.set_down(True)
        pusher.join(60)
        assert "cannot be reached" in outcome.get("error", ""), outcome
        partial = assert_exactly_once(own_hub, school, drained=False)
        assert 0 < partial["on_hub"] < partial["events"]
        assert integrity_check(own_hub.db) == "ok"
        own_hub.restart()
        link.set_upstream(own_hub.port)
        link.set_down(False)
        link.rate = None
        push(school, batch=200)
        assert integrity_check(own_hub.db) == "ok"
        assert integrity_check(school["db"]) == "ok"
        counts = assert_exactly_once(own_hub, school)
        print(f"\nhub kill -9: {partial['on_hub']} of {counts['events']} on the hub at the kill; all once after")


# --- clocks, replays, revocation ---------------------------------------------------------------------

class SkewedClock:
    """The school's clock `offset` seconds off: its requests are signed with the shifted time."""

    def __init__(self, inner: HttpTransport, data_dir: Path, offset: float):
        self.inner, self.key, self.offset = inner, device_key(data_dir), offset

    def post(self, path, body, headers):
        if "X-Lantern-Timestamp" in headers:
            stamp = str(int(time.time() + self.offset))
            headers = {**headers, "X-Lantern-Timestamp": stamp, "X-Lantern-Signature": protocol.sign(
                self.key, protocol.signing_bytes("POST", path, stamp, headers["X-Lantern-Nonce"], body))}
        return self.inner.post(path, body, headers)


@pytest.mark.parametrize("hours, accepted", [(-3, True), (47, True), (-47, True), (49, False), (-72, False)])
def test_clock_skew_within_two_days_is_accepted_beyond_it_refused(school, hub, proxy, hours, accepted):
    make_events(school["learner"], 20)
    transport = SkewedClock(HttpTransport(proxy.url), school["data"], hours * 3600)
    with database.connection_context():
        if accepted:
            assert push_pending(transport, school["data"]).pending == 0
        else:
            with pytest.raises(SyncError, match="clock is more than two days off"):
                push_pending(transport, school["data"])
            assert pending_count() == 20
    counts = assert_exactly_once(hub, school, drained=accepted)
    assert counts["on_hub"] == (counts["events"] if accepted else 0)


def _raw_exchange(port: int, request: bytes) -> tuple[int, bytes]:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_a_captured_request_replayed_byte_for_byte_is_refused(school, hub, proxy):
    make_events(school["learner"], 50)
    proxy.record = True
    push(school)
    assert_exactly_once(hub, school)
    captured = [c for c in proxy.stats.captured if c.startswith(b"POST /sync/v1/push")]
    assert len(captured) == 1
    for _ in range(2):  # the same bytes on the wire again, twice
        status, body = _raw_exchange(hub.port, captured[0])
        assert status == 403 and b"replay" in body
    assert len(hub.event_ids(school["school_id"])) == 50
    assert_exactly_once(hub, school)


def test_a_revoked_device_is_refused_and_keeps_its_events(school, hub, proxy):
    make_events(school["learner"], 30)
    with database.connection_context():
        device = get_state("hub_device_id")
    run("hub", "revoke", "--data", str(hub.data), device)
    with pytest.raises(SyncError, match="revoked"):
        push(school)
    with database.connection_context():
        assert pending_count() == 30
    assert assert_exactly_once(hub, school, drained=False)["on_hub"] == 0


def test_old_nonces_are_forgotten_so_replay_protection_stays_bounded(school, hub, proxy):
    make_events(school["learner"], 10)
    with database.connection_context():
        device = get_state("hub_device_id")
    conn = sqlite3.connect(hub.db, timeout=30)
    with conn:
        conn.execute("INSERT INTO seen_nonce (device_id, nonce, seen_at) VALUES (?, 'ancient', "
                     "datetime('now', '-5 days'))", (device,))
    conn.close()
    push(school)
    assert _rows(hub.db, "SELECT count(*) FROM seen_nonce WHERE nonce = 'ancient'") == [(0,)]
    assert _rows(hub.db, "SELECT count(*) FROM seen_nonce WHERE device_id = ?", device) == [(1,)]


# --- kill -9 of the school's own push ------------------------------------------------------------------

@pytest.mark.slow
def test_lantern_sync_push_killed_mid_push_then_pushed_again_exactly_once(school, hub, proxy):
    make_events(school["learner"], 3000)
    proxy.rate = 30_000
    pusher = subprocess.Popen(lantern_command() + ["sync", "push", "--data", str(school["data"])],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(hub.event_ids(school["school_id"])) < 1000:
        time.sleep(0.02)
    pusher.send_signal(signal.SIGKILL)
    out, _ = pusher.communicate(timeout=15)
    assert pusher.returncode == -signal.SIGKILL, out
    assert integrity_check(school["db"]) == "ok"
    partial = assert_exactly_once(hub, school, drained=False)
    assert 0 < partial["on_hub"] < partial["events"], partial
    proxy.rate = None
    again = subprocess.run(lantern_command() + ["sync", "push", "--data", str(school["data"])],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
    assert again.returncode == 0 and "0 still waiting" in again.stdout, again.stdout + again.stderr
    assert integrity_check(school["db"]) == "ok" and integrity_check(hub.db) == "ok"
    counts = assert_exactly_once(hub, school)
    print(f"\nschool kill -9: {partial['on_hub']} of {counts['events']} on the hub at the kill; all once after")


def test_the_agent_records_a_cut_in_plain_words_and_catches_up_on_its_next_try(school, hub, proxy):
    from sync.agent import SyncAgent

    make_events(school["learner"], 120)
    agent = SyncAgent(school["data"])
    proxy.cut_reply_share = 1.0
    assert "cannot be reached" in agent.try_once() and agent.failures == 1
    with database.connection_context():
        assert get_state("last_error")["message"].startswith("The hub cannot be reached")
    assert_exactly_once(hub, school, drained=False)
    proxy.cut_reply_share = 0.0
    assert agent.try_once() == f"sent {assert_exactly_once(hub, school, drained=False)['events']} events"
    assert agent.failures == 0
    assert_exactly_once(hub, school)

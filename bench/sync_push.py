"""Sync figures on loopback: one school pushing a large outbox to a real hub, and many schools at once.

1. **One school**: a demo school with 1,000 learners and 100,000 events waiting in its outbox (quick:
   2,000; bench/events.py), a hub (`lantern serve --role hub`, a real process on 127.0.0.1), paired the way
   an operator does it (`lantern hub add-school`, then `lantern sync pair URL CODE`); then `lantern sync push`
   is timed: events/s, and bytes on the wire per event (gzip JSON, as the command reports them).
2. **Many schools at once**: 100 schools (quick: 10) registered on the same hub, each with its own Ed25519
   key, paired through POST /sync/v1/pair, then all pushing 2,000 events (quick: 200) at the same moment in
   signed batches of 500 (the client's batch size), one thread and connection per school. The messages are
   built with `sync.protocol` before the clock starts; the hub's ingest rate is the new events it
   acknowledged divided by the wall time. Bounded by a deadline and a socket timeout.

    python -m bench.sync_push [--quick]
"""
import argparse
import http.client
import random
import re
import secrets
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/sync_push.py
    sys.path.insert(0, str(REPO))

from bench import events, fixtures  # noqa: E402
from bench.server_process import HOST, start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402

LEARNERS = 1000
BATCH = 500
PUSH_TIMEOUT = 60.0


def one_school(hub_url: str, hub_dir: Path, count: int) -> list[tuple[str, object]]:
    """Pair a school data folder with the hub by the CLI and time `lantern sync push`."""
    _, output = fixtures.lantern("hub", "add-school", "Bench school", "--data", str(hub_dir))
    code = re.search(r"Pairing code: (\S+)", output).group(1)
    school = fixtures.demo_copy("school")
    fixtures.add_learners(school, LEARNERS)
    events.generate_events(count, events.learner_ids(LEARNERS), sample=min(500, count // 20), outbox=True)
    fixtures.lantern("sync", "pair", hub_url, code, "--data", str(school))
    seconds, output = fixtures.lantern("sync", "push", "--data", str(school), timeout=1800)
    sent = re.search(r"Sent (\d+) events in (\d+) batches \((\d+) bytes\); (\d+) still waiting", output)
    if not sent:
        raise RuntimeError(f"unexpected push output: {output[-500:]}")
    n, batches, wire, waiting = map(int, sent.groups())
    return [("one school: events pushed", f"{n:,} in {batches} batches of {BATCH} ({waiting} left)"),
            ("one school: lantern sync push wall time", f"{seconds:.1f} s"),
            ("one school: events/s", f"{n / seconds:,.0f}"),
            ("one school: bytes on the wire per event", f"{wire / max(1, n):.0f} B (gzip JSON; {wire / 1e6:.1f} MB)")]


class SimulatedSchool:
    """A school's sync client reduced to its messages: a key, a device id, pre-built push bodies."""

    def __init__(self, code: str, wire_events: list[dict], port: int):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.key, self.code, self.port = Ed25519PrivateKey.generate(), code, port
        self.wire_events, self.bodies = wire_events, []
        self.acked = self.new = self.errors = 0
        self.wire_bytes = 0

    def pair(self) -> None:
        """POST /sync/v1/pair with the one-time code; build the push bodies for the device id."""
        from server.identity import public_key_hex
        from sync import protocol

        body = protocol.encode({"type": "pair", "code": self.code, "public_key": public_key_hex(self.key),
                                "name": "bench school"})
        reply = self._post("/sync/v1/pair", body, {})
        message = protocol.decode(reply, "paired")
        self.device_id, school_id = message["device_id"], message["school_id"]
        for start in range(0, len(self.wire_events), BATCH):
            batch = [{**e, "device_id": self.device_id} for e in self.wire_events[start:start + BATCH]]
            self.bodies.append(protocol.encode({"type": "push", "school_id": school_id,
                                                "through_seq": start + len(batch), "events": batch}))

    def push_all(self, deadline: float) -> None:
        """Send every batch, signed, one after the other (as `lantern sync push` does)."""
        from sync import protocol

        for body in self.bodies:
            if time.monotonic() > deadline:
                return
            timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
            signature = protocol.sign(self.key, protocol.signing_bytes("POST", "/sync/v1/push", timestamp, nonce,
                                                                      body))
            try:
                ack = protocol.decode(self._post("/sync/v1/push", body, {
                    "X-Lantern-Device": self.device_id, "X-Lantern-Timestamp": timestamp,
                    "X-Lantern-Nonce": nonce, "X-Lantern-Signature": signature}), "ack")
            except (OSError, http.client.HTTPException, RuntimeError) as err:
                self.errors += 1
                self.last_error = str(err)
                continue
            self.acked += ack["received"]
            self.new += ack["new"]
            self.wire_bytes += len(body)

    def _post(self, path: str, body: bytes, headers: dict) -> bytes:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=PUSH_TIMEOUT)
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json",
                                                           "Content-Encoding": "gzip", **headers})
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
            return data
        finally:
            conn.close()


def many_schools(hub_port: int, codes: list[str], per_school: int, deadline_s: float) -> list[tuple[str, object]]:
    """Every simulated school pushes at once; the hub's ingest rate."""
    from server.db import database

    fixtures.open_data(fixtures.demo_copy("catalogue"))
    with database.connection_context():
        cat = events.catalogue()
    rng = random.Random(9)
    learners = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(200)]
    schools = []
    for n, code in enumerate(codes):
        wire = [{"id": eid, "device_id": "", "learner_id": learner, "kind": kind, "payload": payload,
                 "created_at": at.isoformat(timespec="microseconds")}
                for eid, learner, kind, payload, at in events.event_stream(per_school, learners, cat, seed=50 + n)]
        schools.append(SimulatedSchool(code, wire, hub_port))
    for school in schools:
        school.pair()
    deadline = time.monotonic() + deadline_s
    threads = [threading.Thread(target=s.push_all, args=(deadline,), daemon=True) for s in schools]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline + PUSH_TIMEOUT + 5 - time.monotonic()))
    seconds = time.perf_counter() - started
    new, errors = sum(s.new for s in schools), sum(s.errors for s in schools)
    total = per_school * len(schools)
    return [(f"{len(schools)} schools at once: events acknowledged", f"{new:,} new of {total:,} sent, "
             f"{errors} failed batches, {sum(t.is_alive() for t in threads)} stuck"),
            (f"{len(schools)} schools at once: wall time", f"{seconds:.1f} s"),
            (f"{len(schools)} schools at once: hub ingest rate", f"{new / seconds:,.0f} events/s"),
            (f"{len(schools)} schools at once: bytes per event",
             f"{sum(s.wire_bytes for s in schools) / max(1, new):.0f} B")]


def register_schools(hub_dir: Path, count: int) -> list[str]:
    """Register schools on the hub (in this process, as `lantern hub add-school` does); their codes."""
    from server.db import database
    from sync.apply import register_school

    fixtures.open_data(hub_dir)
    with database.connection_context():
        return [register_school(f"School {n:03d}")[1] for n in range(count)]


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run."""
    count, schools, per_school, deadline = (2_000, 10, 200, 30.0) if quick else (100_000, 100, 2_000, 180.0)
    hub_dir = fixtures.fresh_dir("hub")
    codes = register_schools(hub_dir, schools)
    hub = start_server(hub_dir, hub_dir / "server.log", extra=("--role", "hub"))
    try:
        figures = one_school(hub.base_url, hub_dir, count)
        figures += many_schools(hub.port, codes, per_school, deadline)
    finally:
        hub.stop()
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(format_table(["figure", "value"], [list(f) for f in bench(args.quick)], "sync"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""An answer storm: N simulated learners answering practice questions for T seconds against the real
server (`lantern serve` under waitress, in a subprocess, on 127.0.0.1 only).

Each learner keeps its own cookies and keep-alive connection: GET /signin (CSRF token), POST /signin,
then round and round: GET a question on the skill it is working on, POST an answer (right with the
learner's own probability, built with tests/factories.py), follow the 303 to the result page. After a
miss it tries the same item again, as the result page offers; it moves to the next skill in pack order
once its own tally says the skill is mastered. The run is bounded: a hard cap on requests, a deadline, a
socket timeout; it stops by itself.

Afterwards the server is stopped and the SQLite file is opened: every answer that got its 303 must be an
`event` row of kind 'answer' (by attempt id = event id). LOST = acknowledged but not stored.

    python -m bench.answer_storm [--learners 200] [--seconds 60] [--think 0] [--json out.json]
"""
import argparse
import http.client
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/answer_storm.py
    sys.path.insert(0, str(REPO))

from bench.server_process import answer_event_ids, locked_lines, start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402
from server.learning import mastery  # noqa: E402
from tests.factories import correct_response, wrong_response  # noqa: E402

PACK = "fractions"
PIN = "2468"
REQUEST_KINDS = ("signin_page", "signin", "question", "answer", "result")
TAG = re.compile(r"<input\b[^>]*>", re.I)
ATTR = re.compile(r'(\w+)="([^"]*)"')


# ---- the school ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What the simulated learners need to know: accounts, the skills in order, the items' answers."""

    accounts: tuple[tuple[str, str], ...]  # (username, PIN)
    skills: tuple[tuple[str, tuple[str, ...], dict | None], ...]  # (id, prerequisites, mastery rule)
    items: dict  # item id -> item data (as stored, for building right and wrong answers)


def prepare_school(data_dir: Path, learners: int) -> Plan:
    """A demo data folder (school, bundled packs) plus `learners` extra learner accounts."""
    from server.config import load_config
    from server.db import database, open_database
    from server.cli.demo import ensure_demo
    from server.device.maintenance import prepare_data
    from server.models import Account, Classroom, Item, PackVersion, Skill
    from server.people.school import create_account, create_class, the_school

    config = load_config(data_dir)
    open_database(config["DATABASE"])
    prepare_data(config)
    ensure_demo(config)
    with database.connection_context():
        school, taken = the_school(), {a.username for a in Account.select(Account.username)}
        classroom = Classroom.get_or_none(Classroom.name == "Storm class") or create_class(school, "Storm class")
        accounts = tuple((f"storm{n:04d}", PIN) for n in range(learners))
        for username, pin in accounts:
            if username not in taken:
                create_account(school, "learner", username, f"Storm {username[5:]}", pin, classroom)
        pack = PackVersion.get((PackVersion.pack_id == PACK) & PackVersion.is_active)
        skills = tuple((s.skill_id, tuple(s.prerequisites), s.mastery)
                       for s in Skill.select().where(Skill.pack_version == pack).order_by(Skill.position))
        items = {i.item_id: i.data for i in Item.select().where(Item.pack_version == pack)}
    return Plan(accounts, skills, items)


# ---- the learners -------------------------------------------------------------------------------

@dataclass
class Tally:
    """What every learner thread reports, under one lock."""

    max_requests: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    latencies: dict = field(default_factory=lambda: {k: [] for k in REQUEST_KINDS})
    errors: Counter = field(default_factory=Counter)
    acked: list = field(default_factory=list)  # attempt ids whose POST got its 303

    def reserve(self) -> bool:
        """Count one more request; False once the cap is reached."""
        with self.lock:
            if self.requests >= self.max_requests:
                return False
            self.requests += 1
            return True

    def took(self, kind: str, seconds: float) -> None:
        """Note a completed request's latency."""
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, what: str) -> None:
        """Count one error of a kind."""
        with self.lock:
            self.errors[what] += 1

    def ack(self, attempt: str) -> None:
        """Note an answer acknowledged by its 303."""
        with self.lock:
            self.acked.append(attempt)


class Stop(Exception):
    """The run is over for this learner (deadline, request cap or stop signal)."""


class Learner:
    """One simulated learner: its cookies, its connection, its own tally of each skill."""

    def __init__(self, base_url: str, username: str, pin: str, plan: Plan, tally: Tally, rng: random.Random,
                 deadline: float, stop: threading.Event, think: float, timeout: float):
        self.host, self.port = urllib.parse.urlsplit(base_url).hostname, urllib.parse.urlsplit(base_url).port
        self.username, self.pin, self.plan, self.tally, self.rng = username, pin, plan, tally, rng
        self.deadline, self.stop, self.think, self.timeout = deadline, stop, think, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None
        self.skill_results = {skill_id: [] for skill_id, _, _ in plan.skills}
        self.right_chance = rng.uniform(0.6, 0.95)

    # -- HTTP with cookies, one keep-alive connection -----------------------------------------
    def request(self, kind: str, method: str, path: str, form: dict | None = None):
        """(status, headers, body) or None after a connection error (already counted)."""
        if self.stop.is_set() or time.monotonic() >= self.deadline or not self.tally.reserve():
            raise Stop
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as err:
            self.tally.error(f"{kind}: {type(err).__name__}")
            self._drop_connection()
            self._pause(0.2 + self.rng.random() * 0.3)
            return None
        self.tally.took(kind, time.perf_counter() - started)
        self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        if response.will_close:
            self._drop_connection()
        return response.status, response.headers, data.decode("utf-8", "replace")

    def _keep_cookies(self, lines: list[str]) -> None:
        for line in lines:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in line.lower().replace(" ", "") or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value

    def _drop_connection(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _pause(self, seconds: float) -> None:
        self.stop.wait(max(0.0, min(seconds, self.deadline - time.monotonic())))

    def expect(self, kind: str, reply, statuses: tuple[int, ...]) -> bool:
        """True when a reply came with one of the expected statuses (else the status is counted)."""
        if reply is None:
            return False
        if reply[0] not in statuses:
            self.tally.error(f"{kind}: HTTP {reply[0]}")
            self._pause(0.2)
            return False
        return True

    # -- the learner's loop ---------------------------------------------------------------------
    def run(self) -> None:
        """Sign in, then answer until the run is over."""
        try:
            while not self.sign_in():
                pass
            retry_item, misses = None, 0
            while True:
                retry_item, misses = self.answer_one(retry_item, misses)
                if self.think:
                    self._pause(self.rng.uniform(0, 2 * self.think))
        except Stop:
            pass
        finally:
            self._drop_connection()

    def sign_in(self) -> bool:
        """GET the form for its CSRF token, POST the name and PIN; True when signed in."""
        page = self.request("signin_page", "GET", "/signin")
        if not self.expect("signin_page", page, (200,)):
            return False
        csrf = hidden_fields(page[2]).get("csrf")
        reply = self.request("signin", "POST", "/signin",
                             {"username": self.username, "password": self.pin, "csrf": csrf or ""})
        return self.expect("signin", reply, (302, 303))

    def current_skill(self) -> str:
        """The first skill in pack order this learner has not mastered (by its own tally: the pack's rule, or
        5 right in a row; the server's evidence rule may disagree, see `answer_one`)."""
        for skill_id, _, rule in self.plan.skills:
            if not mastery.rule_met(self.skill_results[skill_id], rule or {"rule": "streak", "count": 5}):
                return skill_id
        return self.plan.skills[-1][0]

    def answer_one(self, retry_item: str | None, misses: int) -> tuple[str | None, int]:
        """Question → answer → result; return (item to try again or None, misses on it)."""
        skill = self.current_skill()
        path = f"/practice/{PACK}/{skill}" + (f"?item={urllib.parse.quote(retry_item)}" if retry_item else "")
        page = self.request("question", "GET", path)
        if page is not None and page[0] == 403:  # the server holds the skill locked: its prerequisite is not mastered there yet
            for prerequisite in dict((s[0], s[1]) for s in self.plan.skills).get(skill, ()):
                self.skill_results[prerequisite].append(0)  # so this learner goes back to it
            return None, 0
        if not self.expect("question", page, (200,)):
            return None, 0
        fields = hidden_fields(page[2])
        item = self.plan.items.get(fields.get("item"))
        if item is None or not fields.get("attempt"):
            self.tally.error("question: no answer form on the page")
            return None, 0
        right = self.rng.random() < self.right_chance
        form = {"item": fields["item"], "attempt": fields["attempt"], "csrf": fields.get("csrf", ""),
                **(correct_response(item) if right else wrong_response(item))}
        reply = self.request("answer", "POST", f"/practice/{PACK}/{skill}", form)
        if not self.expect("answer", reply, (303,)):
            return None, 0
        self.tally.ack(fields["attempt"])
        self.skill_results[item.get("skill") or skill].append(int(right))
        location = urllib.parse.urlsplit(reply[1].get("Location", ""))
        result = self.request("result", "GET", location.path + (f"?{location.query}" if location.query else ""))
        self.expect("result", result, (200,))
        if right or misses + 1 >= 2:
            return None, 0
        return fields["item"], misses + 1


def hidden_fields(html: str) -> dict[str, str]:
    """name -> value of the hidden inputs of a page (attribute order does not matter)."""
    out = {}
    for tag in TAG.findall(html):
        attrs = dict(ATTR.findall(tag))
        if attrs.get("type") == "hidden" and "name" in attrs:
            out[attrs["name"]] = attrs.get("value", "")
    return out


@dataclass
class StormResult:
    """What one storm produced, before the server is stopped and the database counted."""

    learners: int
    seconds: float  # wall time of the storm itself
    tally: Tally
    stuck_clients: int  # learner threads still running at the hard deadline (abandoned)


def run_storm(base_url: str, plan: Plan, seconds: float, *, learners: int | None = None, think: float = 0.0,
              max_requests: int = 100_000, seed: int = 7, timeout: float = 30.0, ramp: float = 0.0,
              stop: threading.Event | None = None, tally: Tally | None = None) -> StormResult:
    """Run the learners against a server until `seconds` pass (or `stop` is set); bounded in every way.

    Pass your own `stop` and `tally` to watch a run from another thread and end it early.
    """
    accounts = plan.accounts[:learners] if learners else plan.accounts
    tally, stop = tally or Tally(max_requests), stop or threading.Event()
    started = time.monotonic()
    deadline = started + seconds
    threads = []
    for n, (username, pin) in enumerate(accounts):
        learner = Learner(base_url, username, pin, plan, tally, random.Random(seed * 100_003 + n),
                          deadline, stop, think, timeout)
        delay = ramp * n / max(1, len(accounts))
        thread = threading.Thread(target=_after(delay, stop, learner.run), name=f"learner-{n}", daemon=True)
        thread.start()
        threads.append(thread)
    hard_deadline = deadline + timeout + 5
    for thread in threads:
        thread.join(max(0.0, hard_deadline - time.monotonic()))
    stop.set()
    return StormResult(len(accounts), time.monotonic() - started, tally, sum(t.is_alive() for t in threads))


def _after(delay: float, stop: threading.Event, work):
    def run():
        if delay and stop.wait(delay):
            return
        work()
    return run


# ---- one whole run ------------------------------------------------------------------------------

def storm(learners: int = 200, seconds: float = 60.0, think: float = 0.0, max_requests: int = 100_000,
          seed: int = 7, ramp: float = 0.0, workdir: Path | None = None) -> dict:
    """Prepare a school, start the server, storm it, stop it, count the stored answers: the figures."""
    with tempfile.TemporaryDirectory(prefix="lantern-storm-") as tmp:
        root = Path(workdir or tmp)
        data_dir, log_path = root / "data", root / "server.log"
        setup_started = time.monotonic()
        plan = prepare_school(data_dir, learners)
        before = answer_event_ids(data_dir / "lantern.db")  # the demo's own classwork has answers too
        setup_seconds = time.monotonic() - setup_started
        server = start_server(data_dir, log_path)
        try:
            machine = {"rss_at_start_kib": server.rss_kib(), "load_before": os.getloadavg()[0],
                       "cpu_before": server.cpu_seconds() or 0.0}
            result = run_storm(server.base_url, plan, seconds, think=think, max_requests=max_requests,
                               seed=seed, ramp=ramp)
            machine.update(peak_rss_kib=server.peak_rss_kib(), rss_at_end_kib=server.rss_kib(),
                           load_after=os.getloadavg()[0],
                           server_cpu=(server.cpu_seconds() or 0.0) - machine.pop("cpu_before"))
        finally:
            server.stop()
        stored = answer_event_ids(data_dir / "lantern.db") - before
        return report(result, stored, locked_lines(log_path), machine, setup_seconds, think)


def report(result: StormResult, stored: set[str], locked: int, machine: dict, setup_seconds: float,
           think: float) -> dict:
    """The figures of one run, plain data."""
    tally = result.tally
    acked = set(tally.acked)
    errors = dict(sorted(tally.errors.items()))
    if locked:
        errors["server log: database is locked"] = locked
    return {
        "learners": result.learners, "seconds": round(result.seconds, 1), "think": think,
        "requests": tally.requests, "requests_per_s": round(tally.requests / result.seconds, 1),
        "answers_acked": len(tally.acked), "duplicate_acks": len(tally.acked) - len(acked),
        "events_stored": len(stored), "lost": len(acked - stored), "stored_not_acked": len(stored - acked),
        "answers_per_s": round(len(tally.acked) / result.seconds, 1),
        "errors": errors, "server_5xx": sum(v for k, v in tally.errors.items() if re.search(r"HTTP 5\d\d", k)),
        "database_locked": locked, "stuck_clients": result.stuck_clients,
        "latency_ms": {kind: _percentiles(values) for kind, values in tally.latencies.items()},
        "server_rss_at_start_mib": _mib(machine.get("rss_at_start_kib")),
        "server_peak_rss_mib": _mib(machine.get("peak_rss_kib")),
        "server_rss_at_end_mib": _mib(machine.get("rss_at_end_kib")),
        "server_cpu_s": round(machine.get("server_cpu", 0.0), 1), "setup_s": round(setup_seconds, 1),
        "load_average_1min": [round(machine.get("load_before", 0.0), 2), round(machine.get("load_after", 0.0), 2)],
        "cores": os.cpu_count(),
    }


def _mib(kib: int | None) -> float | None:
    return round(kib / 1024, 1) if kib else None


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def pick(q):
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)
    return {"count": len(ordered), "p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99),
            "max": round(1000 * ordered[-1], 1)}


def render(figures: dict) -> str:
    """The summary table and the per-request latency table."""
    summary = format_table(["figure", "value"], [
        ["learners", figures["learners"]], ["seconds", f"{figures['seconds']:.1f}"],
        ["requests", figures["requests"]], ["requests/s", figures["requests_per_s"]],
        ["answers acked (303)", figures["answers_acked"]], ["events stored", figures["events_stored"]],
        ["LOST (acked, not stored)", figures["lost"]], ["stored, not acked", figures["stored_not_acked"]],
        ["answers/s", figures["answers_per_s"]], ["errors", sum(figures["errors"].values())],
        ["server 5xx", figures["server_5xx"]], ["'database is locked' in log", figures["database_locked"]],
        ["server RSS at start", f"{figures['server_rss_at_start_mib']} MiB"],
        ["server peak RSS (VmHWM)", f"{figures['server_peak_rss_mib']} MiB"],
        ["server RSS at end", f"{figures['server_rss_at_end_mib']} MiB"],
        ["server CPU", f"{figures['server_cpu_s']} s"],
        ["load average before/after", " / ".join(map(str, figures["load_average_1min"]))],
        ["cores", figures["cores"]]],
        f"answer storm: {figures['learners']} learners x {figures['seconds']} s, think {figures['think']} s")
    latency = format_table(["request", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"], [
        [kind, v["count"], v["p50"] if v["p50"] is not None else "-", v["p95"] if v["p95"] is not None else "-",
         v["p99"] if v["p99"] is not None else "-", v["max"] if v["max"] is not None else "-"]
        for kind, v in figures["latency_ms"].items()])
    errors = format_table(["error", "count"], [[k, v] for k, v in figures["errors"].items()]) \
        if figures["errors"] else "errors: none"
    return "\n\n".join([summary, latency, errors])


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run: (name, value) pairs."""
    figures = storm(learners=30 if quick else 200, seconds=6 if quick else 60)
    answer = figures["latency_ms"]["answer"]
    return [("learners", figures["learners"]), ("seconds", figures["seconds"]),
            ("answers acked", figures["answers_acked"]), ("events stored", figures["events_stored"]),
            ("LOST", figures["lost"]), ("errors", sum(figures["errors"].values())),
            ("answer p50/p95/p99 ms", f"{answer['p50']} / {answer['p95']} / {answer['p99']}"),
            ("requests/s", figures["requests_per_s"]), ("server peak RSS", f"{figures['server_peak_rss_mib']} MiB")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=0.0, help="mean think time between questions, seconds")
    parser.add_argument("--ramp", type=float, default=0.0, help="start the learners over this many seconds")
    parser.add_argument("--max-requests", type=int, default=100_000, help="hard cap on requests in the run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the data folder and server log here")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    figures = storm(args.learners, args.seconds, args.think, args.max_requests, args.seed, args.ramp, args.keep)
    print(render(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

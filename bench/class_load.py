"""Sustained load: 300 simulated learners for 2 minutes against the real server, paced like people.

Each learner (bench.learner_mix's MixLearner: its own cookies and keep-alive connection to 127.0.0.1) signs
in through the real form, then, pausing uniform 2-10 s between actions, reads a lesson (35 %), answers a
practice question - question, answer, result (45 %) - or opens "What next" (20 %). The learners arrive
over the first quarter of the run. The server is `lantern serve` under waitress on 127.0.0.1 (6 threads, as
in production), on a copy of the demo school plus the bench accounts.

Reported: requests, errors (any failed connection, timeout or unexpected status; must be 0), answers
acknowledged by their 303 against the answer events stored in the SQLite file after the server stopped
(LOST = acknowledged, not stored; must be 0), latency p50/p95/p99 of every request but the sign-ins
(reported on their own), and the server's resident memory (VmRSS) at the end of the run and its peak.

Bounded: a deadline, a request cap, a 30 s socket timeout; threads still running 35 s after the deadline
are abandoned and counted as stuck. It only talks to 127.0.0.1.

    python -m bench.class_load [--quick] [--learners 300] [--seconds 120] [--json out.json]
"""
import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/class_load.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.answer_storm import _after  # noqa: E402
from bench.learner_mix import SIGN_IN_KINDS, TIMEOUT, MixLearner, TimedTally, finish, lesson_paths  # noqa: E402
from bench.server_process import answer_event_ids, locked_lines, start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402

MIX = (("lesson", 35), ("practice", 45), ("what_next", 20))
THINK = (2.0, 10.0)
MAX_REQUESTS = 200_000


class ClassLearner(MixLearner):
    """A learner reading, practising and asking what next (no search)."""

    def act(self) -> None:
        """One action of this mix."""
        action = self.rng.choices([a for a, _ in MIX], [w for _, w in MIX])[0]
        if action == "practice":
            self.retry_item, self.misses = self.answer_one(self.retry_item, self.misses)
        elif action == "lesson":
            self.expect("lesson", self.request("lesson", "GET", self.rng.choice(self.lessons)), (200,))
        else:
            self.expect("what_next", self.request("what_next", "GET", "/next"), (200,))


def run(learners: int, seconds: float, seed: int = 7) -> dict:
    """Prepare, start the server, run the class, stop it, count the stored answers: plain data."""
    data = fixtures.demo_copy("class-load")
    accounts = fixtures.add_learners(data, learners, prefix="load")
    plan, lessons = fixtures.storm_plan(data, accounts), lesson_paths(data)
    before = answer_event_ids(data / "lantern.db")
    log_path = data / "server.log"
    server = start_server(data, log_path)
    tally, stop = TimedTally(MAX_REQUESTS), threading.Event()
    try:
        rss_start = server.rss_kib()
        begun = time.monotonic()
        deadline, ramp = begun + seconds, seconds / 4
        signed_in, threads = {"n": 0}, []
        for n, (username, pin) in enumerate(accounts):
            learner = ClassLearner(server.base_url, username, pin, plan, tally, random.Random(seed * 100_003 + n),
                                   deadline, stop, lessons=lessons, think_range=THINK, go=None, signed_in=signed_in)
            thread = threading.Thread(target=_after(ramp * n / learners, stop, learner.run), name=f"class-{n}",
                                      daemon=True)
            thread.start()
            threads.append(thread)
        stop.wait(seconds)
        stuck = finish(threads, stop, deadline + TIMEOUT + 5)
        ended = time.monotonic()
        rss_end, rss_peak = server.rss_kib(), server.peak_rss_kib()
        cpu = server.cpu_seconds()
    finally:
        stop.set()
        server.stop()
    stored = answer_event_ids(data / "lantern.db") - before
    acked = set(tally.acked)
    work = [s for _, kind, s in tally.samples if kind not in SIGN_IN_KINDS]
    signins = [s for _, kind, s in tally.samples if kind == "signin"]
    return {"learners": learners, "seconds": round(ended - begun, 1), "signed_in": signed_in["n"],
            "requests": len(tally.samples), "requests_per_s": round(len(tally.samples) / (ended - begun), 1),
            "errors": dict(tally.errors), "error_count": sum(tally.errors.values()),
            "database_locked": locked_lines(log_path), "stuck": stuck,
            "answers_acked": len(tally.acked), "answers_stored": len(stored), "lost": len(acked - stored),
            "stored_not_acked": len(stored - acked),
            "p50_ms": _p(work, 0.5), "p95_ms": _p(work, 0.95), "p99_ms": _p(work, 0.99),
            "signin_p50_ms": _p(signins, 0.5), "signin_p95_ms": _p(signins, 0.95),
            "rss_start_mib": _mib(rss_start), "rss_end_mib": _mib(rss_end), "rss_peak_mib": _mib(rss_peak),
            "server_cpu_s": round(cpu or 0.0, 1)}


def _p(values: list[float], q: float) -> float | None:
    return fixtures.ms(fixtures.percentile(values, q)) if values else None


def _mib(kib: int | None) -> float | None:
    return round(kib / 1024, 1) if kib else None


def figures(r: dict) -> list[tuple[str, object]]:
    """The (figure, value) rows."""
    return [("learners x seconds", f"{r['learners']} x {r['seconds']} s (think 2-10 s, arriving over the "
                                   f"first quarter); {r['signed_in']} signed in"),
            ("requests", r["requests"]), ("requests/s", r["requests_per_s"]),
            ("errors", r["error_count"]), ("answers acked", r["answers_acked"]),
            ("answers stored", r["answers_stored"]), ("LOST", r["lost"]),
            ("stuck clients", r["stuck"]), ("'database is locked' in log", r["database_locked"]),
            ("latency p50/p95/p99 (sign-ins apart)", f"{r['p50_ms']} / {r['p95_ms']} / {r['p99_ms']} ms"),
            ("sign-in p50/p95", f"{r['signin_p50_ms']} / {r['signin_p95_ms']} ms"),
            ("server RSS at the end (peak)", f"{r['rss_end_mib']} MiB ({r['rss_peak_mib']} MiB)"),
            ("server CPU", f"{r['server_cpu_s']} s")]


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run."""
    result = run(20, 10.0) if quick else run(300, 120.0)
    if result["errors"]:
        print(format_table(["error", "count"], [[k, v] for k, v in result["errors"].items()], "class load errors"),
              file=sys.stderr)
    return figures(result)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 learners x 10 s")
    parser.add_argument("--learners", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    result = run(args.learners or (20 if args.quick else 300), args.seconds or (10.0 if args.quick else 120.0))
    print(format_table(["figure", "value"], [list(f) for f in figures(result)], "class load"))
    if result["errors"]:
        print(format_table(["error", "count"], [[k, v] for k, v in result["errors"].items()]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["lost"] == 0 and result["error_count"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

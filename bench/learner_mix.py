"""Throughput and latency for a realistic learner mix against the real server (`lantern serve` under
waitress on 127.0.0.1, pinned to one core with --pi).

Each simulated learner signs in through the real form, then repeats one of: open a lesson (30 %),
practise — question, answer, result, as answer_storm does (40 %), "What next" (15 %), search (15 %).

* **Saturation**: C learners that never pause (a closed loop; a few levels of C). They all sign in first;
  then requests completed in a fixed window are counted: requests/s, latency percentiles, errors.
* **Paced**: N learners (200 and 1,000) who think 2–10 s (uniform) between actions and arrive spread over
  a ramp. Sign-ins are reported on their own; the percentiles are over the requests of every other kind
  that finished in the window after the ramp (the steady state).

Every phase is bounded: a deadline, a cap on requests, a 30 s socket timeout; it stops by itself.

    python -m bench.learner_mix [--quick]
"""
import argparse
import random
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/learner_mix.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.answer_storm import Learner, Plan, Stop, Tally, _after  # noqa: E402
from bench.server_process import start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402

MIX = (("lesson", 30), ("practice", 40), ("what_next", 15), ("search", 15))
SEARCHES = ("fraction", "quarter", "half", "chapati", "equal parts", "mango", "compare fractions", "saa",
            "robo", "dakika", "eau", "paludisme", "mains savon", "moustiquaire", "adding")
SIGN_IN_KINDS = ("signin_page", "signin")
MAX_REQUESTS = 300_000
TIMEOUT = 30.0


@dataclass
class TimedTally(Tally):
    """A Tally that also keeps when each request finished: (finished, kind, seconds)."""

    samples: list = field(default_factory=list)

    def took(self, kind: str, seconds: float) -> None:
        """Note a completed request and when it finished."""
        with self.lock:
            self.samples.append((time.monotonic(), kind, seconds))


class MixLearner(Learner):
    """A learner doing the mix; `go` holds it after signing in (saturation), `think` paces it."""

    def __init__(self, *args, lessons: list[str], think_range: tuple[float, float] | None,
                 go: threading.Event | None, signed_in: "Counter", **kwargs):
        super().__init__(*args, think=0.0, timeout=TIMEOUT, **kwargs)
        self.lessons, self.think_range, self.go, self.signed_in = lessons, think_range, go, signed_in
        self.retry_item, self.misses = None, 0

    def run(self) -> None:
        """Sign in, then act until the run is over."""
        try:
            while not self.sign_in():
                pass
            with self.tally.lock:
                self.signed_in["n"] += 1
            if self.go is not None:
                self.go.wait(max(0.0, self.deadline - time.monotonic()))
            while True:
                self.act()
                if self.think_range:
                    self._pause(self.rng.uniform(*self.think_range))
        except Stop:
            pass
        finally:
            self._drop_connection()

    def act(self) -> None:
        """One action of the mix."""
        action = self.rng.choices([a for a, _ in MIX], [w for _, w in MIX])[0]
        if action == "practice":
            self.retry_item, self.misses = self.answer_one(self.retry_item, self.misses)
        elif action == "lesson":
            self.expect("lesson", self.request("lesson", "GET", self.rng.choice(self.lessons)), (200,))
        elif action == "what_next":
            self.expect("what_next", self.request("what_next", "GET", "/next"), (200,))
        else:
            query = urllib.parse.quote_plus(self.rng.choice(SEARCHES))
            self.expect("search", self.request("search", "GET", f"/search?q={query}"), (200,))


def lesson_paths(data_dir: Path) -> list[str]:
    """Every active lesson's URL."""
    from server.db import database
    from server.models import Lesson, PackVersion

    fixtures.open_data(data_dir)
    with database.connection_context():
        return [f"/packs/{l.pack_version.pack_id}/lessons/{l.lesson_id}"
                for l in Lesson.select(Lesson, PackVersion).join(PackVersion).where(PackVersion.is_active)]


def start_learners(base_url: str, plan: Plan, accounts, tally: TimedTally, stop: threading.Event, deadline: float,
                   lessons: list[str], think_range=None, go=None, ramp: float = 0.0, seed: int = 7):
    """One thread per learner; returns (threads, signed-in counter)."""
    signed_in, threads = Counter(), []
    for n, (username, pin) in enumerate(accounts):
        learner = MixLearner(base_url, username, pin, plan, tally, random.Random(seed * 100_003 + n), deadline, stop,
                             lessons=lessons, think_range=think_range, go=go, signed_in=signed_in)
        delay = ramp * n / max(1, len(accounts))
        thread = threading.Thread(target=_after(delay, stop, learner.run), name=f"mix-{n}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads, signed_in


def finish(threads, stop: threading.Event, hard_deadline: float) -> int:
    """Stop the learners and wait for them (bounded); return how many are stuck."""
    stop.set()
    for thread in threads:
        thread.join(max(0.0, hard_deadline - time.monotonic()))
    return sum(t.is_alive() for t in threads)


def saturation(base_url: str, plan: Plan, accounts, lessons: list[str], window: float) -> dict:
    """Clients that never pause: requests completed per second in the window, and their latencies."""
    tally, stop, go = TimedTally(MAX_REQUESTS), threading.Event(), threading.Event()
    sign_in_budget = 30.0 + 0.2 * len(accounts)
    deadline = time.monotonic() + sign_in_budget + window
    threads, signed_in = start_learners(base_url, plan, accounts, tally, stop, deadline, lessons, go=go)
    while signed_in["n"] < len(accounts) and time.monotonic() < deadline - window:
        time.sleep(0.05)
    started = time.monotonic()
    go.set()
    stop.wait(window)
    ended = time.monotonic()
    stuck = finish(threads, stop, ended + TIMEOUT + 5)
    return summarize(tally, started, ended, stuck, len(accounts), signed_in["n"])


def paced(base_url: str, plan: Plan, accounts, lessons: list[str], ramp: float, window: float) -> dict:
    """Learners pausing 2-10 s, arriving over `ramp`; the steady state is the window after it."""
    tally, stop = TimedTally(MAX_REQUESTS), threading.Event()
    begun = time.monotonic()
    deadline = begun + ramp + window
    threads, signed_in = start_learners(base_url, plan, accounts, tally, stop, deadline, lessons,
                                        think_range=(2.0, 10.0), ramp=ramp)
    stop.wait(ramp + window)
    stuck = finish(threads, stop, deadline + TIMEOUT + 5)
    return summarize(tally, begun + ramp, deadline, stuck, len(accounts), signed_in["n"])


def summarize(tally: TimedTally, start: float, end: float, stuck: int, learners: int, signed_in: int) -> dict:
    """Percentiles over the window (sign-ins apart), requests/s, errors."""
    window = [(kind, s) for t, kind, s in tally.samples if start <= t <= end]
    work = [s for kind, s in window if kind not in SIGN_IN_KINDS]
    signins = [s for _, kind, s in tally.samples if kind == "signin"]
    by_kind = {}
    for kind, s in window:
        by_kind.setdefault(kind, []).append(s)
    return {"learners": learners, "signed_in": signed_in, "window_s": round(end - start, 1),
            "requests": len(work), "requests_per_s": round(len(work) / max(1e-9, end - start), 1),
            "p50": _p(work, 0.5), "p95": _p(work, 0.95), "p99": _p(work, 0.99),
            "signin_p50": _p(signins, 0.5), "signin_p95": _p(signins, 0.95),
            "errors": dict(tally.errors), "error_count": sum(tally.errors.values()), "stuck": stuck,
            "by_kind": {k: {"count": len(v), "p50": _p(v, 0.5), "p95": _p(v, 0.95)} for k, v in by_kind.items()}}


def _p(values: list[float], q: float) -> float | None:
    return fixtures.ms(fixtures.percentile(values, q)) if values else None


def measure(quick: bool) -> dict:
    """Every phase against one server; plain data."""
    levels, window = ((8,), 3.0) if quick else ((4, 16, 64), 15.0)
    crowds, ramps, paced_window = ((50,), (2.0,), 4.0) if quick else ((200, 1000), (20.0, 60.0), 60.0)
    data = fixtures.demo_copy("mix")
    accounts = fixtures.add_learners(data, sum(levels) + sum(crowds), prefix="mix")
    plan, lessons = fixtures.storm_plan(data, accounts), lesson_paths(data)
    server = start_server(data, data / "server.log")
    results = {"saturation": {}, "paced": {}}
    try:
        used = 0
        for clients in levels:
            results["saturation"][clients] = saturation(server.base_url, plan, accounts[used:used + clients],
                                                        lessons, window)
            used += clients
        for learners, ramp in zip(crowds, ramps):
            results["paced"][learners] = paced(server.base_url, plan, accounts[used:used + learners], lessons,
                                               ramp, paced_window)
            used += learners
        results["server_peak_rss_mib"] = round((server.peak_rss_kib() or 0) / 1024, 1)
        results["server_cpu_s"] = round(server.cpu_seconds() or 0.0, 1)
    finally:
        server.stop()
    return results


def figures(results: dict) -> list[tuple[str, object]]:
    """The (figure, value) rows."""
    rows = []
    for clients, r in results["saturation"].items():
        rows.append((f"saturation, {clients} clients not pausing",
                     f"{r['requests_per_s']} req/s; p50/p95/p99 {r['p50']} / {r['p95']} / {r['p99']} ms; "
                     f"{r['error_count']} errors"))
    for learners, r in results["paced"].items():
        rows.append((f"paced, {learners} learners (2-10 s think)",
                     f"p50/p95/p99 {r['p50']} / {r['p95']} / {r['p99']} ms over {r['window_s']} s; "
                     f"{r['requests_per_s']} req/s; {r['error_count']} errors"))
        rows.append((f"paced, {learners} learners: sign-in", f"{r['signed_in']}/{learners} signed in; "
                     f"p50/p95 {r['signin_p50']} / {r['signin_p95']} ms"))
    return rows


def render_kinds(results: dict) -> str:
    """Per request kind, for every phase."""
    rows = []
    for phase in ("saturation", "paced"):
        for size, r in results[phase].items():
            rows += [[f"{phase} {size}", kind, v["count"], v["p50"], v["p95"]]
                     for kind, v in sorted(r["by_kind"].items())]
    return format_table(["phase", "request", "count", "p50 ms", "p95 ms"], rows, "learner mix by request kind")


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run."""
    results = measure(quick)
    print(render_kinds(results), file=sys.stderr)
    errors = Counter()
    for phase in ("saturation", "paced"):
        for r in results[phase].values():
            errors.update(r["errors"])
    return figures(results) + [("errors by kind", dict(errors) or "none"),
                               ("server peak RSS", f"{results['server_peak_rss_mib']} MiB")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(format_table(["figure", "value"], [list(f) for f in bench(args.quick)], "learner mix"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Coach pages at school scale: 2,000 learners in 40 classes with 1,000,000 answer events.

Seeds a data folder (the demo packs, 40 classes each with its coach, learners, answers spread
over 60 days; the event log and the summaries derived from it are bulk-written, as `lantern
rebuild` would leave them), starts a real `lantern serve` on 127.0.0.1, signs in as one class's
coach and times the class overview (with needs-help), item analysis and the two CSV exports.

    python -m bench.coach_pages            # 2,000 learners, 1,000,000 events
    python -m bench.coach_pages --quick    # 200 learners, 20,000 events
"""
import argparse
import http.client
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.answer_storm import hidden_fields  # noqa: E402
from bench.server_process import start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402

PACK = "fractions"
COACH_PASSWORD = "coach-bench-password"
PIN = "4321"


def seed(data_dir: Path, learners: int, classes: int, events: int, rng: random.Random) -> dict:
    """Build the school; return what the timing step needs (a class id and its coach)."""
    from server.people.auth import hash_secret
    from server.config import load_config
    from server.db import database, open_database
    from server.cli.demo import ensure_demo
    from server.device.maintenance import prepare_data
    from server.models import Item, PackVersion
    from server.people.school import create_account, create_class, the_school

    config = load_config(data_dir)
    open_database(config["DATABASE"])
    prepare_data(config)
    ensure_demo(config)
    with database.connection_context():
        school = the_school()
        rooms = [create_class(school, f"Class {n + 1:02d}") for n in range(classes)]
        for n, room in enumerate(rooms):
            create_account(school, "coach", f"coach{n:02d}", f"Coach {n + 1}", COACH_PASSWORD, room)
        pack = PackVersion.get((PackVersion.pack_id == PACK) & PackVersion.is_active)
        items = [(i.item_id, i.skill_id, len(i.data.get("answers", []))) for i in
                 Item.select().where(Item.pack_version == pack)]
        school_id, pin_hash = school.id, hash_secret(PIN, is_pin=True)
        room_ids = [r.id for r in rooms]
    learner_ids = _bulk_learners(config["DATABASE"], school_id, room_ids, learners, pin_hash)
    _bulk_answers(config["DATABASE"], learner_ids, items, events, rng)
    return {"class_id": room_ids[0], "coach": "coach00"}


def _bulk_learners(db: str, school_id: str, room_ids: list[str], count: int, pin_hash: str) -> list[str]:
    now = datetime(2026, 11, 1).isoformat(" ")
    rows, ids = [], []
    for n in range(count):
        learner_id = str(uuid.UUID(int=n + 1))
        ids.append(learner_id)
        rows.append((learner_id, school_id, f"learner{n:05d}", f"Learner {n}", "learner", pin_hash,
                     room_ids[n % len(room_ids)], "{}", 1, now, "bench", 0))
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO account (id, school_id, username, display_name, role, password_hash,"
                         " classroom_id, profile, version, updated_at, updated_by, deleted)"
                         " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    return ids


def _bulk_answers(db: str, learner_ids: list[str], items, count: int, rng: random.Random) -> None:
    """Answer events and their derived rows (answer, skill_state), written in bulk."""
    start = datetime(2026, 9, 1)
    ability = {lid: rng.gauss(0, 1) for lid in learner_ids}
    states: dict[tuple[str, str], list[int]] = {}
    events, answers = [], []
    times = sorted(rng.random() * 60 * 86400 for _ in range(count))
    for n, offset in enumerate(times):
        learner = learner_ids[rng.randrange(len(learner_ids))]
        item_id, skill_id, choices = items[rng.randrange(len(items))]
        correct = rng.random() < 1 / (1 + 2.718 ** -(ability[learner] + 0.5))
        at = (start + timedelta(seconds=offset)).isoformat(" ")
        event_id = str(uuid.UUID(int=(n + 1) << 64 | rng.getrandbits(62)))
        response = json.dumps({"answer": str(rng.randrange(max(choices, 1)))})
        payload = json.dumps({"pack_id": PACK, "item_id": item_id, "skill_id": skill_id, "correct": correct,
                              "score": 1.0 if correct else 0.0, "response": response})
        events.append((event_id, "bench", learner, "answer", payload, at, at))
        answers.append((event_id, learner, PACK, item_id, skill_id, int(correct), 1.0 if correct else 0.0, response, at))
        states.setdefault((learner, skill_id), []).append(int(correct))
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO event (id, device_id, learner_id, kind, payload, created_at, recorded_at)"
                         " VALUES (?,?,?,?,?,?,?)", events)
        conn.executemany("INSERT INTO answer (event_id, learner_id, pack_id, item_id, skill_id, is_correct, score,"
                         " response, answered_at) VALUES (?,?,?,?,?,?,?,?,?)", answers)
        conn.executemany("INSERT INTO skill_state (learner_id, pack_id, skill_id, attempts, correct, streak,"
                         " wrong_streak, recent, mastered_at) VALUES (?,?,?,?,?,?,?,?,?)",
                         [_skill_row(key, results, start) for key, results in states.items()])


def _skill_row(key, results: list[int], start: datetime) -> tuple:
    streak = wrong = 0
    mastered = None
    for result in results:
        streak, wrong = (streak + 1, 0) if result else (0, wrong + 1)
        if streak >= 5 and mastered is None:
            mastered = start.isoformat(" ")
    return (key[0], PACK, key[1], len(results), sum(results), streak, wrong, json.dumps(results[-50:]), mastered)


def _sign_in(base_url: str, username: str, password: str) -> str:
    """The session cookie after the real sign-in form."""
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", "/signin")
    page = conn.getresponse()
    cookie = page.getheader("Set-Cookie", "").split(";")[0]
    csrf = hidden_fields(page.read().decode())["csrf"]
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf": csrf})
    conn.request("POST", "/signin", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.getheader("Set-Cookie", "").split(";")[0]


def time_pages(base_url: str, cookie: str, class_id: str, repeats: int) -> list[list]:
    """Median and p95 response time (loopback) and size of each coach page."""
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    pages = [("class overview + needs help", f"/coach/classes/{class_id}"),
             ("item analysis", f"/coach/classes/{class_id}/items"),
             ("class grid CSV", f"/coach/classes/{class_id}/grid.csv"),
             ("answers CSV", f"/coach/classes/{class_id}/answers.csv")]
    rows = []
    for name, path in pages:
        times, size = [], 0
        for _ in range(repeats):
            conn = http.client.HTTPConnection(host, int(port), timeout=120)
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie, "Accept-Encoding": "gzip"})
            response = conn.getresponse()
            size = len(response.read())
            times.append((time.perf_counter() - started) * 1000)
            conn.close()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
        times.sort()
        rows.append([name, round(statistics.median(times), 1), round(times[int(0.95 * (len(times) - 1))], 1), size])
    return rows


def run(learners: int, classes: int, events: int, repeats: int, seed_value: int = 7) -> dict:
    """Seed, serve, time; return the figures."""
    with tempfile.TemporaryDirectory(prefix="lantern-coach-bench-") as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        plan = seed(data, learners, classes, events, random.Random(seed_value))
        seeded = time.perf_counter() - started
        server = start_server(data, Path(tmp) / "server.log")
        try:
            cookie = _sign_in(server.base_url, plan["coach"], COACH_PASSWORD)
            rows = time_pages(server.base_url, cookie, plan["class_id"], repeats)
        finally:
            server.stop()
    return {"learners": learners, "classes": classes, "events": events, "seed_seconds": round(seeded, 1),
            "pages": rows}


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench/run.py."""
    figures = run(200, 4, 20_000, 5) if quick else run(2000, 40, 1_000_000, 20)
    out = [("school", f"{figures['learners']} learners, {figures['classes']} classes, {figures['events']:,} events")]
    for name, median, p95, size in figures["pages"]:
        out.append((f"{name}: median / p95 ms (gzip bytes)", f"{median} / {p95} ({size})"))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--learners", type=int)
    parser.add_argument("--events", type=int)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    learners = args.learners or (200 if args.quick else 2000)
    events = args.events or (50_000 if args.quick else 1_000_000)
    figures = run(learners, max(1, learners // 50), events, 5 if args.quick else args.repeats)
    print(format_table(["page", "median ms", "p95 ms", "bytes (gzip)"], figures["pages"],
                       title=f"Coach pages: {learners} learners, {events:,} events "
                             f"(seeded in {figures['seed_seconds']} s), loopback"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where a request's CPU time goes: the learner mix in-process (Flask test client, the real app on a copy of
the demo data), under cProfile, one learner, no network. Prints CPU ms per request kind and the functions
with the most cumulative time, grouped by the part of the stack they belong to.

    python -m bench.profile_requests [--requests 600] [--top 25]
"""
import argparse
import cProfile
import pstats
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/profile_requests.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.answer_storm import hidden_fields  # noqa: E402
from bench.learner_mix import SEARCHES, lesson_paths  # noqa: E402
from tests.factories import correct_response  # noqa: E402

GROUPS = (("peewee (building SQL, rows)", "peewee.py"), ("sqlite3 (executing)", "sqlite3"),
          ("jinja2 (templates)", "jinja2"), ("whoosh (search)", "whoosh"), ("werkzeug/flask", "werkzeug"),
          ("argon2 (sign-in)", "argon2"), ("gzip/zlib", "zlib"))


def run(requests: int, seed: int = 3) -> tuple[dict, cProfile.Profile]:
    """Drive the app; {kind: [seconds]} and the profile."""
    from server import create_app
    from server.db import database
    from server.models import Item

    data = fixtures.demo_copy("profile")
    config = fixtures.open_data(data)
    with database.connection_context():
        items = {i.item_id: i.data for i in Item.select()}
    client = create_app(config).test_client()
    page = client.get("/signin").get_data(as_text=True)
    client.post("/signin", data={"username": "amina", "password": "1234", "csrf": hidden_fields(page)["csrf"]})
    lessons, rng, times = lesson_paths(data), random.Random(seed), defaultdict(list)
    profile = cProfile.Profile()

    def timed(kind, call):
        started = time.perf_counter()
        profile.enable()
        response = call()
        profile.disable()
        times[kind].append(time.perf_counter() - started)
        return response

    done = 0
    while done < requests:
        action = rng.choices(["lesson", "practice", "next", "search"], [30, 40, 15, 15])[0]
        if action == "practice":
            page = timed("question", lambda: client.get("/practice/fractions/fraction-meaning")).get_data(as_text=True)
            fields = hidden_fields(page)
            form = {"item": fields["item"], "attempt": fields["attempt"], "csrf": fields["csrf"],
                    **correct_response(items[fields["item"]])}
            reply = timed("answer", lambda: client.post("/practice/fractions/fraction-meaning", data=form))
            timed("result", lambda: client.get(reply.headers["Location"]))
            done += 3
        elif action == "lesson":
            timed("lesson", lambda: client.get(rng.choice(lessons)))
            done += 1
        elif action == "next":
            timed("what_next", lambda: client.get("/next"))
            done += 1
        else:
            timed("search", lambda: client.get(f"/search?q={rng.choice(SEARCHES)}"))
            done += 1
    return times, profile


def by_group(profile: cProfile.Profile) -> dict[str, float]:
    """Own (tottime) seconds per part of the stack."""
    totals = defaultdict(float)
    for (filename, _, function), (_, _, tottime, _, _) in pstats.Stats(profile).stats.items():
        where = function if filename == "~" else filename  # built-ins: "{method 'execute' of 'sqlite3.Cursor'}"
        group = next((name for name, needle in GROUPS if needle in where), None)
        if group is None:
            group = "Lantern's own code" if "/server/" in filename or "/sync/" in filename else "other"
        totals[group] += tottime
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    times, profile = run(args.requests)
    total = sum(sum(v) for v in times.values())
    print(f"{sum(len(v) for v in times.values())} requests, {total:.2f} s under the profiler")
    for kind, values in sorted(times.items()):
        print(f"  {kind:10} {len(values):4}  median {fixtures.median(values) * 1000:6.1f} ms")
    executes = sum(v[1] for (f, _, name), v in pstats.Stats(profile).stats.items()
                   if f == "~" and "execute' of 'sqlite3.Cursor" in name)
    print(f"SQL statements executed per request: {executes / max(1, sum(len(v) for v in times.values())):.1f} "
          "(connection PRAGMAs included)")
    grand = sum(by_group(profile).values())
    print("own time by part of the stack:")
    for group, seconds in by_group(profile).items():
        print(f"  {group:30} {100 * seconds / grand:5.1f} %")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())

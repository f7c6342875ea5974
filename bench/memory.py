"""Memory: the server's resident set (VmRSS from /proc/<pid>/status) idle after start, and at the end of
a paced load run of 300 learners (answer_storm's "class at work": learners thinking between questions,
arriving over a ramp), plus the peak (VmHWM); per worker (the largest) when the server runs several. Also the
Python objects the content cache keeps for one pack (every lesson page, outline and skill list of it).

    python -m bench.memory [--quick] [--learners 300] [--seconds 60] [--env NAME=VALUE ...]

The server sets its malloc behaviour itself (server/device/service.py: tune_memory); `--env` can still start
it with an environment variable set, e.g. `MALLOC_ARENA_MAX=8`, to compare.
"""
import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/memory.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.answer_storm import run_storm  # noqa: E402
from bench.server_process import start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402

IDLE_SECONDS = 2.0


def mib(kib: int | None) -> str:
    """KiB as MiB text."""
    return f"{kib / 1024:.1f} MiB" if kib else "-"


def objects_per_cached_pack(data: Path, pack_id: str = "fractions") -> tuple[int, int]:
    """(Python objects, lesson pages) the content cache holds once every page of one pack has been read."""
    import gc

    from server.content import library
    from server.db import database
    from server.models import Lesson

    fixtures.open_data(data)
    with database.connection_context():
        pack = library.get_pack(pack_id)
        lesson_ids = [lesson.lesson_id for lesson in Lesson.select(Lesson.lesson_id).where(Lesson.pack_version == pack)]
        gc.collect()
        before = len(gc.get_objects())
        library.pack_outline(pack)
        library.pack_skills(pack)
        for lesson_id in lesson_ids:
            library.lesson_page(pack_id, lesson_id)
        gc.collect()
        return len(gc.get_objects()) - before, len(lesson_ids)


def bench(quick: bool = False, learners: int | None = None, seconds: float | None = None) -> list[tuple[str, object]]:
    """Figures for bench.run."""
    default_learners, default_seconds, think, ramp = (20, 5, 1.0, 1.0) if quick else (300, 60, 10.0, 30.0)
    learners, seconds = (learners or default_learners), (seconds or default_seconds)
    data = fixtures.demo_copy("memory")
    plan = fixtures.storm_plan(data, fixtures.add_learners(data, learners, prefix="mem"))
    server = start_server(data, data / "server.log")
    try:
        time.sleep(IDLE_SECONDS)
        idle = server.rss_kib()
        result = run_storm(server.base_url, plan, seconds, think=think, ramp=ramp)
        end, peak = server.rss_kib(), server.peak_rss_kib()
        time.sleep(IDLE_SECONDS)
        after = server.rss_kib()
    finally:
        server.stop()
    tally = result.tally
    objects, pages = objects_per_cached_pack(fixtures.demo_copy("memory-objects"))
    return [(f"idle, {IDLE_SECONDS:.0f} s after start (demo data)", mib(idle)),
            (f"load run", f"{learners} learners x {seconds} s, think ~{think:.0f} s, ramp {ramp:.0f} s: "
                          f"{tally.requests:,} requests, {sum(tally.errors.values())} errors"),
            ("at the end of the load run", mib(end)),
            (f"{IDLE_SECONDS:.0f} s after the load run", mib(after)),
            ("peak (VmHWM)", mib(peak)),
            ("Python objects cached per pack (fractions)", f"{objects:,} for {pages} lesson pages, outline, skills")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--learners", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="set this in the server's environment (repeatable)")
    args = parser.parse_args(argv)
    for pair in args.env:
        name, _, value = pair.partition("=")
        os.environ[name] = value  # the server inherits it
    title = "memory" + (f" ({', '.join(args.env)})" if args.env else "")
    print(format_table(["figure", "value"], [list(f) for f in bench(args.quick, args.learners, args.seconds)], title))
    return 0


if __name__ == "__main__":
    sys.exit(main())

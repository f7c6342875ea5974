"""Run every benchmark and print one combined table.

    python -m bench.run            # full size (see docs/performance.md; the 1,000,000-event rebuild is most of it)
    python -m bench.run --quick    # small and fast (< 2 minutes), to prove the suite works; asserts nothing
    python -m bench.run --only learning_sim --json figures.json
    python -m bench.run --pi       # servers and lantern commands pinned to CPU 0 (taskset), the load on the rest
    python -m bench.run --pi-model pi4 --cores 4   # servers under ../shared/tools/pi-core: 4 Pi 4-class cores,
                                                   # one worker per core (LANTERN_WORKERS)
    python -m bench.run --pi-model pi3             # one Pi 3B+-class core, one worker
    python -m bench.run --against-kolibri [--kolibri-wheels DIR]   # Kolibri 0.19.5 side by side, ratios

To add a benchmark, give its module a `bench(quick: bool) -> list[(figure, value)]` and add a line to
BENCHES.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/run.py
    sys.path.insert(0, str(REPO))

from bench import (answer_storm, class_load, coach_pages, cold_start, fsync, hash_cost,  # noqa: E402
                   learner_mix, learning_sim, lesson_floor, memory, pack_import, pack_resume, page_weight, rebuild,
                   search, server_process, slow_link, sync_push, take_home)
from bench.fixtures import machine  # noqa: E402
from bench.tables import format_table  # noqa: E402

BENCHES = [
    ("learning_sim", learning_sim.bench),
    ("answer_storm", answer_storm.bench),
    ("cold_start", cold_start.bench),
    ("memory", memory.bench),
    ("page_weight", page_weight.bench),
    ("slow_link", slow_link.bench),
    ("learner_mix", learner_mix.bench),
    ("class_load", class_load.bench),
    ("pack_import", pack_import.bench),
    ("search", search.bench),
    ("rebuild", rebuild.bench),
    ("sync", sync_push.bench),
    ("pack_resume", pack_resume.bench),
    ("coach_pages", coach_pages.bench),
    ("lesson_floor", lesson_floor.bench),
    ("fsync", fsync.bench),
    ("hash_cost", hash_cost.bench),
    ("take_home", take_home.bench),
]
PI_CPU = "0"


def pin_to_one_core() -> str:
    """--pi: servers and `lantern` commands on CPU 0, this process (the load) on the others; a description."""
    server_process.CPU_PIN = PI_CPU
    others = set(os.sched_getaffinity(0)) - {int(PI_CPU)}
    if others:
        os.sched_setaffinity(0, others)
    return (f"server pinned to CPU {PI_CPU} ({machine()['cpu']}); load generator on CPU "
            f"{','.join(map(str, sorted(others))) or PI_CPU}")


def use_pi_class(model: str, cores: int) -> str:
    """--pi-model: servers under pi-core with `cores` Pi-class cores and one worker per core; a description."""
    server_process.PI_MODEL, server_process.PI_CORES = model, cores
    os.environ["LANTERN_WORKERS"] = str(cores)
    return f"servers under pi-core: {cores} {model}-class core(s), {cores} worker(s); load generator unthrottled"


def run(quick: bool, only: list[str] | None = None) -> dict[str, dict]:
    """{bench name: {"seconds": wall time, "figures": [(figure, value), ...]}} for the chosen benches."""
    results = {}
    for name, bench in BENCHES:
        if only and name not in only:
            continue
        started = time.perf_counter()
        figures = bench(quick)
        results[name] = {"seconds": round(time.perf_counter() - started, 1), "figures": figures}
        print(f"{name}: done in {results[name]['seconds']} s", file=sys.stderr, flush=True)
    return results


def render(results: dict[str, dict], quick: bool, about: dict | None = None) -> str:
    """One table: bench, figure, value (under a line saying what machine it ran on)."""
    rows = []
    for name, result in results.items():
        rows += [[name, figure, value] for figure, value in result["figures"]]
        rows.append([name, "wall time", f"{result['seconds']} s"])
    title = f"Lantern benchmarks ({'quick' if quick else 'full'})"
    if about:
        title += (f" - {about['date']}, {about['nproc']} CPUs ({about['cpu']}), {about['ram_gib']} GiB RAM, "
                  f"Python {about['python']}, load average {about['load_average'][0]}"
                  + (f", server pinned to CPU {about['server_pinned_to_cpu']}" if about['server_pinned_to_cpu']
                     is not None else ""))
    return format_table(["bench", "figure", "value"], rows, title)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast versions of every bench")
    parser.add_argument("--only", action="append", choices=[name for name, _ in BENCHES],
                        help="run just this bench (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--pi", action="store_true",
                        help="pin servers and lantern commands to one core (taskset -c 0), as a Pi core stand-in")
    parser.add_argument("--pi-model", choices=["pi4", "pi5", "pi3", "zero2"],
                        help="run servers under ../shared/tools/pi-core with this Raspberry Pi's CPU")
    parser.add_argument("--cores", type=int, default=1, help="with --pi-model: how many of its cores (and workers)")
    parser.add_argument("--against-kolibri", action="store_true",
                        help="install Kolibri 0.19.5 in a temp venv and measure it side by side (ratios)")
    parser.add_argument("--kolibri-wheels", type=Path, help="install Kolibri from this wheel folder (no index)")
    args = parser.parse_args(argv)
    if args.pi_model:
        print(use_pi_class(args.pi_model, args.cores), file=sys.stderr, flush=True)
    elif args.pi:
        print(pin_to_one_core(), file=sys.stderr, flush=True)
    if args.against_kolibri:
        from bench import kolibri

        print(kolibri.report(args.kolibri_wheels, quick=args.quick))
        return 0
    started = time.perf_counter()
    about = machine()
    results = run(args.quick, args.only)
    about["total_seconds"] = round(time.perf_counter() - started, 1)
    about["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(render(results, args.quick, about))
    print(f"total: {about['total_seconds']} s", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"machine": about, "quick": args.quick, "benches": results},
                                        indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

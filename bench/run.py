"""Run every benchmark and print one combined table.

    python -m bench.run            # full size (cohort 1,000 learners; storm 200 learners x 60 s)
    python -m bench.run --quick    # small and fast (< 2 minutes): cohort 200; storm 40 x 10 s
    python -m bench.run --only cohort --json figures.json

To add a benchmark, give its module a `bench(quick: bool) -> list[(figure, value)]` and add a line to
BENCHES.
"""
import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/run.py
    sys.path.insert(0, str(REPO))

from bench import answer_storm, cohort  # noqa: E402
from bench.tables import format_table  # noqa: E402

BENCHES = [
    ("cohort", cohort.bench),
    ("answer_storm", answer_storm.bench),
]


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


def render(results: dict[str, dict], quick: bool) -> str:
    """One table: bench, figure, value."""
    rows = []
    for name, result in results.items():
        rows += [[name, figure, value] for figure, value in result["figures"]]
        rows.append([name, "wall time", f"{result['seconds']} s"])
    return format_table(["bench", "figure", "value"], rows, f"Lantern benchmarks ({'quick' if quick else 'full'})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast versions of every bench")
    parser.add_argument("--only", action="append", choices=[name for name, _ in BENCHES],
                        help="run just this bench (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    results = run(args.quick, args.only)
    print(render(results, args.quick))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

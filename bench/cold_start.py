"""Cold start: seconds from launching `lantern serve` to its first 200 from /healthz.

(a) the demo data (three bundled packs, 14 lessons); (b) a generated library of 1,000 lessons (bench/content.py:
realistic Markdown, a few photos, built with `lantern pack build` and imported once). Each data folder is
started once first (any one-off work, such as a search index rebuild, is done then); the figures are the
restarts after it. /healthz is polled every 10 ms. The files are in the page cache (a warm disk): this is
the server's own start-up, not the SD card's.

    python -m bench.cold_start [--quick] [--runs 7]
"""
import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/cold_start.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.content import LibrarySpec  # noqa: E402
from bench.server_process import ServerProcess  # noqa: E402
from bench.tables import format_table  # noqa: E402

LIBRARY = LibrarySpec("gen-library", 1000)
LIBRARY_QUICK = LibrarySpec("gen-library-quick", 300)  # bench.search --quick shares it


def starts(data_dir: Path, runs: int, warm_up: bool = True) -> list[tuple[float, int | None]]:
    """(seconds to the first 200, VmRSS KiB then) for `runs` restarts, after one start not counted."""
    out = []
    for n in range(runs + 1 if warm_up else runs):
        server = ServerProcess(data_dir, data_dir / "server.log")
        try:
            seconds = server.wait_ready(timeout=120, poll=0.01)
            rss = server.rss_kib()
        finally:
            server.stop()
        if n or not warm_up:
            out.append((seconds, rss))
    return out


def summarize(label: str, samples: list[tuple[float, int | None]]) -> list[tuple[str, object]]:
    """Median (min–max) seconds, and the median resident memory at that moment."""
    seconds = [s for s, _ in samples]
    rss = [r for _, r in samples if r]
    return [(f"{label}: start to first 200 (median of {len(samples)})",
             f"{fixtures.median(seconds):.3f} s ({min(seconds):.3f}-{max(seconds):.3f})"),
            (f"{label}: VmRSS at first 200", f"{fixtures.median(rss) / 1024:.1f} MiB" if rss else "-")]


def bench(quick: bool = False, runs: int | None = None) -> list[tuple[str, object]]:
    """Figures for bench.run."""
    runs = runs or (2 if quick else 7)
    library = LIBRARY_QUICK if quick else LIBRARY
    figures = summarize("demo (14 lessons)", starts(fixtures.demo_copy("cold-demo"), runs, not quick))
    figures += summarize(f"library ({library.lessons:,} lessons)",
                         starts(fixtures.library_copy((library,), "cold-library"), runs, not quick))
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int)
    args = parser.parse_args(argv)
    print(format_table(["figure", "value"], [list(f) for f in bench(args.quick, args.runs)], "cold start"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

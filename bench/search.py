"""Search latency over a large library: 10,000 generated lessons in ten packs (quick: 300 in one, to keep
the quick suite within its two minutes).

The packs are generated (bench/content.py), built and imported as `lantern pack import` does. Then 40
queries a learner might type (common and rare words, pairs, misses) are timed:

* with `server.content.search.SearchIndex` directly, one index kept open (the library's own cost);
* with a new `SearchIndex` per query (the /search view made one per request until it kept one);
* through the real server: GET /search?q=… from one client, one request at a time (render and HTTP
  included).

    python -m bench.search [--quick]
"""
import argparse
import http.client
import sys
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/search.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.cold_start import LIBRARY, LIBRARY_QUICK  # noqa: E402
from bench.content import LibrarySpec, search_queries  # noqa: E402
from bench.server_process import HOST, start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402

FULL = (LIBRARY,) + tuple(LibrarySpec(f"gen-search-{n}", 1000, seed=100 + n) for n in range(1, 10))
QUICK = (LIBRARY_QUICK,)


def time_queries(search, queries: list[str], rounds: int, budget: float) -> list[float]:
    """Seconds per call of search(query): a few calls to warm up, then up to `rounds` rounds over the
    queries, stopping once `budget` seconds are spent (after one round at least)."""
    for query in queries[:3]:
        search(query)
    samples, deadline = [], time.monotonic() + budget
    for n in range(rounds):
        if n and time.monotonic() > deadline:
            break
        for query in queries:
            started = time.perf_counter()
            search(query)
            samples.append(time.perf_counter() - started)
    return samples


def over_http(port: int):
    """A search function that asks the server."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def search(query: str) -> None:
        conn.request("GET", "/search?q=" + urllib.parse.quote_plus(query))
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"/search answered {response.status}")
    return search


def summary(samples: list[float]) -> str:
    """p50 / p95 / max in ms."""
    return (f"p50 {fixtures.ms(fixtures.percentile(samples, 0.5))} ms, p95 "
            f"{fixtures.ms(fixtures.percentile(samples, 0.95))} ms, max {fixtures.ms(max(samples))} ms "
            f"({len(samples)} queries)")


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run."""
    from server.content.search import SearchIndex

    specs, rounds, budget = (QUICK, 1, 5.0) if quick else (FULL, 5, 60.0)
    started = time.perf_counter()
    data = fixtures.library_copy(specs, "search")
    setup = time.perf_counter() - started
    queries = search_queries(20 if quick else 40)
    index = SearchIndex(data / "index")
    lessons = index.doc_count()
    hits = sorted(len(index.search(q)) for q in queries)
    kept = time_queries(index.search, queries, rounds, budget)
    fresh = time_queries(lambda q: SearchIndex(data / "index").search(q), queries, rounds, budget)
    server = start_server(data, data / "server.log")
    try:
        http_samples = time_queries(over_http(server.port), queries, rounds, budget)
    finally:
        server.stop()
    return [("lessons indexed", f"{lessons:,} (library made and imported in {setup:.0f} s)"),
            ("hits per query (of at most 20)", f"median {fixtures.median(hits):.0f}, min {hits[0]}, max {hits[-1]}"),
            ("SearchIndex.search, index kept open", summary(kept)),
            ("a new SearchIndex per query (nothing kept open)", summary(fresh)),
            ("GET /search?q= on the server", summary(http_samples))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(format_table(["figure", "value"], [list(f) for f in bench(args.quick)], "search"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

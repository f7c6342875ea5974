"""Slow link: how soon a phone on a congested link sees the lesson, practice and home pages.

Headless Chromium (Debian's package), driven over the DevTools protocol with the browser tests' client
(tests/browser/cdp.py), against the real `lantern serve` on 127.0.0.1 with the demo school (the data
`lantern serve --demo` makes). For each page and each run:

1. a new browser context (no cookies, no cache, no service worker), signed in as the demo learner `amina`
   through the real /signin form, at full speed;
2. then the DevTools profile of a slow phone on a slow link: `Network.emulateNetworkConditions` 400 kbit/s
   down and up with 400 ms of latency per request, `Emulation.setCPUThrottlingRate` 4, the HTTP cache
   emptied, service workers bypassed (a first visit);
3. open the page and read the browser's own timings: First Contentful Paint and Largest Contentful Paint
   (when the main text is drawn), DOMContentLoaded and load (from navigation start), and the bytes
   transferred (headers included: the navigation's and every resource's `transferSize`) and requests;
4. in full runs, open it once more, still throttled: the next visit, with the stylesheet and script
   from the HTTP cache (fingerprinted, cached for a year) and only the HTML asked for again.

Medians over 3 runs (1 with --quick, without the next visit). Bounded: every DevTools wait has a timeout
and the browser and the server are always ended. Skipped, with a message, when Chromium is not installed.

    python -m bench.slow_link [--quick] [--runs N] [--json out.json]
"""
import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/slow_link.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.server_process import start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402
from tests.browser.cdp import BrowserError, Chromium, find_chromium  # noqa: E402

LEARNER = ("amina", "1234")  # the demo learner (server/cli/demo.py)
KBIT_S = 400
LATENCY_MS = 400
CPU_SLOWDOWN = 4
PAGE_TIMEOUT = 60.0  # seconds for one throttled page load
FIGURES = ("fcp", "lcp", "dcl", "load", "bytes", "html_bytes", "requests")
FIRST_ROUND_TRIP = 14 * 1024  # bytes a server can send in TCP's first round trip (initial window of 10 segments)

# Read after the load event, by DevTools (outside the page's CSP). LCP needs an observer (buffered entries).
TIMINGS_JS = """
new Promise(resolve => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const seen = {fcp: null, lcp: null};
  const watch = (type, take) => {
    try { new PerformanceObserver(list => list.getEntries().forEach(take)).observe({type, buffered: true}); }
    catch (e) {}
  };
  watch('paint', e => { if (e.name === 'first-contentful-paint') seen.fcp = e.startTime; });
  watch('largest-contentful-paint', e => { seen.lcp = e.startTime; });
  let waited = 0;
  const finish = () => {
    if ((seen.fcp === null || seen.lcp === null) && (waited += 100) < 3000) return setTimeout(finish, 100);
    resolve({fcp: seen.fcp, lcp: seen.lcp, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
             bytes: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
             html_bytes: nav.transferSize, requests: 1 + resources.length, status: nav.responseStatus ?? null});
  };
  setTimeout(finish, 100);
})
"""


def pages(data_dir: Path) -> dict[str, str]:
    """name -> path: the first lesson of the fractions pack, the first practice skill, the home page."""
    from server.db import database
    from server.models import Lesson, PackVersion, Skill

    fixtures.open_data(data_dir)
    with database.connection_context():
        pack = PackVersion.get((PackVersion.pack_id == "fractions") & PackVersion.is_active)
        lesson = Lesson.select().where(Lesson.pack_version == pack).order_by(Lesson.position).first()
        skill = Skill.select().where(Skill.pack_version == pack).order_by(Skill.position).first()
    return {"lesson": f"/packs/fractions/lessons/{lesson.lesson_id}",
            "practice question": f"/practice/fractions/{skill.skill_id}", "home (learner)": "/"}


def sign_in(page, base_url: str) -> None:
    """Sign in through the form, as a person would (unthrottled)."""
    page.goto(base_url + "/signin")
    page.type_into("#username", LEARNER[0])
    page.type_into("#password", LEARNER[1])
    page.click("form[action='/signin'] button[type=submit]", navigates=True)
    if page.url().rstrip("/") != base_url:
        raise BrowserError(f"signing in as {LEARNER[0]} ended on {page.url()}")


def throttle(page) -> None:
    """The slow phone on the slow link, with an empty HTTP cache and no service worker."""
    page.command("Network.enable")
    page.command("Network.clearBrowserCache")
    page.command("Network.setBypassServiceWorker", {"bypass": True})
    page.command("Network.emulateNetworkConditions", {
        "offline": False, "latency": LATENCY_MS,
        "downloadThroughput": KBIT_S * 1000 / 8, "uploadThroughput": KBIT_S * 1000 / 8})
    page.command("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


def visit(page, base_url: str, path: str) -> dict:
    """Open a page (from about:blank, so it is a plain navigation) and read the browser's figures."""
    page.goto("about:blank")
    page.browser.drain_events(page.session)
    answer = page.command("Page.navigate", {"url": base_url + path})
    if answer.get("errorText"):
        raise BrowserError(f"{path}: {answer['errorText']}")
    page.browser.wait_for_event("Page.loadEventFired", page.session, timeout=PAGE_TIMEOUT)
    figures = page.evaluate(TIMINGS_JS, timeout=PAGE_TIMEOUT)
    if figures.get("status") not in (None, 200) or page.url() != base_url + path:
        raise BrowserError(f"{path}: ended on {page.url()} with status {figures.get('status')}")
    return figures


def measure_once(browser: Chromium, base_url: str, path: str, revisit: bool) -> dict:
    """A first visit of one page on the slow profile (the browser's timings in ms, bytes), and with
    `revisit` the next visit (stylesheet and script from the cache, the HTML asked for again)."""
    page = browser.page()
    try:
        page.emulate_phone()
        sign_in(page, base_url)
        throttle(page)
        figures = visit(page, base_url, path)
        if revisit:
            again = visit(page, base_url, path)
            figures.update({f"revisit_{key}": again[key] for key in FIGURES})
        return figures
    finally:
        page.close()


def measure(runs: int, revisit: bool = False) -> dict:
    """{page name: {"path", "runs": [figures...], "median": {figure: value}}}, or {"skipped": why}."""
    binary = find_chromium()
    if not binary:
        return {"skipped": "Chromium is not installed (Debian package chromium): slow-link bench skipped"}
    data = fixtures.demo_copy("slow-link")
    chosen = pages(data)
    server = start_server(data, data / "server.log")
    results = {}
    try:
        with Chromium(binary, timeout=PAGE_TIMEOUT) as browser:
            results["browser"] = browser.version
            for name, path in chosen.items():
                samples = [measure_once(browser, server.base_url, path, revisit) for _ in range(runs)]
                keys = [k for k in samples[0] if k != "status"]
                results[name] = {"path": path, "runs": samples, "median": {
                    key: (round(fixtures.median([s[key] for s in samples if s[key] is not None]))
                          if any(s[key] is not None for s in samples) else None) for key in keys}}
    finally:
        server.stop()
    return results


def table(results: dict, runs: int) -> str:
    """One row per page (and per repeat visit, when measured)."""
    rows = []
    for name, r in results.items():
        if not (isinstance(r, dict) and "median" in r):
            continue
        for label, prefix in ((name, ""), (f"{name}, next visit", "revisit_")):
            m = {key: r["median"].get(prefix + key) for key in FIGURES}
            if m["bytes"] is not None:
                rows.append([label, m["fcp"], m["lcp"], m["dcl"], m["load"], f"{m['bytes']:,}",
                             f"{m['html_bytes']:,}", m["requests"]])
    return format_table(["page", "FCP ms", "LCP ms", "DOMContentLoaded ms", "load ms", "bytes", "HTML bytes",
                         "requests"], rows,
                        f"slow link: {KBIT_S} kbit/s, {LATENCY_MS} ms latency, CPU /{CPU_SLOWDOWN}, empty cache; "
                        f"median of {runs} ({results.get('browser', '')})")


def bench(quick: bool = False, runs: int | None = None) -> list[tuple[str, object]]:
    """Figures for bench.run (the next visit is measured in full runs only)."""
    runs = runs or (1 if quick else 3)
    results = measure(runs, revisit=not quick)
    if "skipped" in results:
        print(results["skipped"], file=sys.stderr)
        return [("skipped", results["skipped"])]
    print(table(results, runs), file=sys.stderr)
    rows = [("profile", f"{KBIT_S} kbit/s down/up, {LATENCY_MS} ms latency, CPU x{CPU_SLOWDOWN} slower, "
                        f"empty cache; median of {runs}")]
    for name, r in results.items():
        if isinstance(r, dict) and "median" in r:
            m = r["median"]
            rows.append((f"{name}: text visible (FCP / LCP)", f"{m['fcp']} / {m['lcp']} ms"))
            rows.append((f"{name}: DOMContentLoaded / load", f"{m['dcl']} / {m['load']} ms"))
            rows.append((f"{name}: transferred", f"{m['bytes']:,} B in {m['requests']} requests "
                                                 f"(HTML {m['html_bytes']:,} B; {m['bytes'] / FIRST_ROUND_TRIP:.0%} "
                                                 f"of 14 KB)"))
            if m.get("revisit_bytes") is not None:
                rows.append((f"{name}: next visit, text visible (FCP / LCP)",
                             f"{m['revisit_fcp']} / {m['revisit_lcp']} ms; {m['revisit_bytes']:,} B in "
                             f"{m['revisit_requests']} requests"))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per page, no next visit")
    parser.add_argument("--runs", type=int, help="runs per page (default 3, 1 with --quick)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    runs = args.runs or (1 if args.quick else 3)
    results = measure(runs, revisit=not args.quick)
    if "skipped" in results:
        print(results["skipped"])
        return 0
    print(table(results, runs))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

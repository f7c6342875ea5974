"""Every page each role can reach is valid HTML, by the Nu Html Checker (vnu.jar), errors only.

The HTML checked is exactly what the server sent (from the crawl), not the browser's repaired
DOM, so a mis-nested tag cannot hide. All pages go through one checker run (Java starts once).
"""
import json
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.browser.conftest import ROLES

pytestmark = [pytest.mark.slow]
VNU_TIMEOUT = 300


def run_vnu(vnu_command: list[str], files: dict) -> dict:
    """Check HTML files in one run of the checker: {key: file} -> {key: [error messages]}."""
    by_name = {Path(path).name: key for key, path in files.items()}
    assert len(by_name) == len(files), "file names must differ"
    run = subprocess.run([*vnu_command, *map(str, files.values())], capture_output=True, text=True,
                         timeout=VNU_TIMEOUT, stdin=subprocess.DEVNULL)
    try:
        messages = json.loads(run.stderr or run.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the HTML checker did not report (exit {run.returncode}):\n{run.stderr[-2000:]}")
    report: dict = {key: [] for key in files}
    for m in messages:
        name = Path(urllib.parse.urlsplit(m.get("url", "")).path).name  # vnu writes file:/tmp/…
        assert name in by_name, f"the HTML checker reported on an unknown file: {m}"
        report[by_name[name]].append(
            f"line {m.get('lastLine', '?')}: {m.get('message')}  [{(m.get('extract') or '').strip()[:120]}]")
    return report


@pytest.fixture(scope="session")
def vnu_report(vnu_command, site, tmp_path_factory):
    """Check all crawled pages in one run: {(role, url): [error messages]}."""
    folder = tmp_path_factory.mktemp("html")
    files = {}
    for role in ROLES:
        for n, page in enumerate(site(role)):
            if page.is_html:
                path = folder / f"{role}-{n:03d}.html"
                path.write_text(page.html, encoding="utf-8")
                files[(role, page.url if (role, page.url) not in files else f"{page.url} #{n}")] = path
    return run_vnu(vnu_command, files)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_valid_html(vnu_report, role):
    pages = {url: errors for (who, url), errors in vnu_report.items() if who == role}
    assert pages, f"no HTML pages were checked for {role}"
    invalid = {url: errors for url, errors in pages.items() if errors}
    report = "\n".join(f"{url}:\n  " + "\n  ".join(errors) for url, errors in invalid.items())
    assert not invalid, f"{role}: {len(invalid)} of {len(pages)} pages are not valid HTML:\n{report}"

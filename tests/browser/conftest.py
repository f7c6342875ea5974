"""Fixtures for the real-browser checks: a live waitress server on the demo school, the crawl of
each role, headless Chromium and the checkers (axe-core, the Nu Html Checker).

A missing tool skips its tests with a message saying how to get it — except in CI (CI=true),
where a missing tool is a failure, so a green CI always means the checks ran.
"""
import contextlib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.browser.cdp import Chromium, find_chromium
from tests.browser.crawl import ACCOUNTS, crawl

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
SERVER_START_TIMEOUT = 120
ROLES = list(ACCOUNTS)


def require(found, what: str):
    """Return `found`; when it is missing, skip (or fail under CI=true) saying how to install it."""
    if found:
        return found
    message = f"{what} is not installed: run tests/browser/setup.sh (./install.sh --dev runs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}. CI must run the browser checks.", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def live_data(tmp_path_factory) -> Path:
    """The live server's data folder (its SQLite database is `lantern.db` in it)."""
    return tmp_path_factory.mktemp("live-data")


@pytest.fixture(scope="session")
def live_server(live_data):
    """The real app under waitress on 127.0.0.1 (an ephemeral port), on a demo data folder."""
    with running_live_server(live_data) as address:
        yield address


@contextlib.contextmanager
def running_live_server(data: Path, *packs: Path, script: str = "live_server.py"):
    """Serve the demo school in `data` (plus `packs`, imported first) in a subprocess running `script` (a
    file of this folder that prints LISTENING <address>); yield its address."""
    process = subprocess.Popen([sys.executable, str(HERE / script), str(data), *map(str, packs)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    lines: list[str] = []
    ready = threading.Event()

    def _watch():  # the server prints its address once it listens; keep reading so it never blocks
        for line in process.stdout:
            lines.append(line)
            if line.startswith("LISTENING "):
                ready.set()
        ready.set()

    watcher = threading.Thread(target=_watch, name="live-server-output", daemon=True)
    watcher.start()
    try:
        ready.wait(SERVER_START_TIMEOUT)
        address = next((line.split()[1] for line in lines if line.startswith("LISTENING ")), None)
        assert address, "the live server did not start:\n" + "".join(lines[-40:])
        yield address.rstrip("/")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        watcher.join(timeout=10)
        process.stdout.close()


@pytest.fixture(scope="session")
def site(live_server):
    """Each role's crawl of the live server, done once: site(role) -> [Page]."""
    crawls: dict[str, list] = {}

    def pages_for(role: str) -> list:
        if role not in crawls:
            crawls[role] = crawl(live_server, role)
        return crawls[role]
    return pages_for


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session, always ended at the end."""
    binary = require(find_chromium(), "Chromium (Debian package chromium)")
    browser = Chromium(binary)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script, to inject into each page."""
    return require(AXE_JS.is_file() and AXE_JS, "axe-core (npm, tests/browser/package.json)").read_text()


@pytest.fixture(scope="session")
def vnu_command() -> list[str]:
    """The Nu Html Checker command (errors only, JSON report on stderr)."""
    java = require(shutil.which("java"), "Java (Debian package default-jre-headless)")
    jar = require(VNU_JAR.is_file() and VNU_JAR, "vnu-jar (npm, tests/browser/package.json)")
    return [java, "-jar", str(jar), "--errors-only", "--format", "json"]


@pytest.fixture(scope="session")
def lynx() -> str:
    """The lynx text browser."""
    return require(shutil.which("lynx"), "lynx (Debian package lynx)")

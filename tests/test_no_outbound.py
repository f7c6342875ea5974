"""The school server makes no outbound connection except to its configured hub (issue 7 item 7).

A real `lantern serve --demo` runs with a `sitecustomize.py` on PYTHONPATH that installs `sys.addaudithook`
and writes every socket connect, name lookup and datagram send of the process to a file. The pages are
crawled as every role (tests/browser/crawl.py, plain urllib), a learner's answers are pushed by the
server's own sync agent to a hub on 127.0.0.1, and then every destination in the file is checked.
"""
import json
import os
import sys
import sqlite3
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from bench.server_process import start_server
from tests.browser.crawl import ACCOUNTS, crawl
from tests.conftest import REPO
from tests.test_cli import run
from tests.test_sync_faults import Hub

pytestmark = pytest.mark.slow

SITECUSTOMIZE = textwrap.dedent('''
    """Test-only: log every network destination this process uses (tests/test_no_outbound.py)."""
    import json, os, socket, sys

    _PATH = os.environ.get("LANTERN_AUDIT_LOG")
    _EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
               "socket.getnameinfo", "socket.sendto", "socket.sendmsg"}

    def _write(record):
        fd = os.open(_PATH, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(record, default=str) + "\\n").encode())
        finally:
            os.close(fd)

    def _hook(event, args):
        if event not in _EVENTS:
            return
        record = {"pid": os.getpid(), "event": event}
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, address = args[0], args[-1]
            record.update(family=int(sock.family), type=int(sock.type) & 0xF, address=address)
        else:
            record["args"] = [a for a in args[:2]]
        _write(record)

    if _PATH:
        sys.addaudithook(_hook)
        _write({"pid": os.getpid(), "event": "hook-installed", "argv": sys.argv})
''')

ROUTE_PROBE = ["10.255.255.255", 1]  # server/device/status.py lan_address(): a UDP connect picks a route, sends nothing


def _hub_events(hub: Hub) -> int:
    conn = sqlite3.connect(f"file:{hub.db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM received_event").fetchone()[0]
    finally:
        conn.close()


def test_the_server_talks_to_nobody_but_its_hub(tmp_path, monkeypatch):
    hooks, log = tmp_path / "hooks", tmp_path / "network.jsonl"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    hub = Hub(tmp_path / "hub")  # started before the hook is switched on: only the school is watched
    try:
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")])))
        monkeypatch.setenv("LANTERN_AUDIT_LOG", str(log))
        # One process: the audit hook is installed at interpreter start, so a forked worker (another pid)
        # would go unrecorded; what is audited is the code, which is the same in every worker.
        monkeypatch.setenv("LANTERN_WORKERS", "1")
        school = tmp_path / "school"
        hub_url = f"http://127.0.0.1:{hub.port}"
        run("sync", "pair", "--data", str(school), hub_url, hub.add_school("Shule ya Amani"))
        server = start_server(school, tmp_path / "school.log", extra=("--demo",))
        try:
            pages = {role: crawl(server.base_url, role) for role in ACCOUNTS}
        finally:
            server.stop()
        assert all(len(found) > 3 for found in pages.values()), {r: len(p) for r, p in pages.items()}
        # Started again, the agent's first pass pushes what the learner's crawl recorded.
        server = start_server(school, tmp_path / "school-2.log", extra=("--demo",))
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and _hub_events(hub) == 0:
                time.sleep(0.2)
            crawl(server.base_url, "admin")  # the admin pages show the sync state and the LAN address
        finally:
            server.stop()
        assert _hub_events(hub) > 0, "the sync agent should have pushed to the hub"
    finally:
        hub.stop()

    records = [json.loads(line) for line in log.read_text().splitlines()]
    servers = {r["pid"] for r in records if r["event"] == "hook-installed" and "serve" in r["argv"]}
    assert len(servers) == 2, "the audit hook must be running inside both server processes"
    seen = [r for r in records if r["pid"] in servers and r["event"] != "hook-installed"]
    tcp = [r["address"] for r in seen if r["event"] == "socket.connect" and r["type"] == 1]
    udp = [r["address"] for r in seen if r["event"] == "socket.connect" and r["type"] == 2]
    other = [r for r in seen if r["event"] == "socket.connect" and r["type"] not in (1, 2)]
    sends = [r for r in seen if r["event"] in ("socket.sendto", "socket.sendmsg")]
    lookups = {str(r["args"][0][0] if isinstance(r["args"][0], list) else r["args"][0])  # getnameinfo: (host, port)
               for r in seen if r["event"].startswith("socket.get")}
    assert tcp and set(map(tuple, tcp)) == {("127.0.0.1", hub.port)}, f"connections other than the hub: {tcp}"
    assert all(address == ROUTE_PROBE for address in udp), udp
    assert other == [] and sends == [], (other, sends)
    # 0.0.0.0 is the address the server listens on (resolved locally when the socket is made, no network).
    assert lookups <= {"127.0.0.1", "0.0.0.0"}, f"name lookups: {lookups}"
    print(f"\noutbound: {len(tcp)} connections, all to the hub at 127.0.0.1:{hub.port}; "
          f"{len(udp)} route probes (no packet); lookups {sorted(lookups)}; "
          f"{sum(len(p) for p in pages.values())} pages crawled")


def test_without_any_network_the_server_still_serves(tmp_path):
    """In a user namespace with no network but loopback (`unshare -rn`), the demo server starts and serves."""
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True) if _has("unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("user namespaces are not available here (unshare -rn)")
    driver = tmp_path / "driver.py"
    driver.write_text(NAMESPACE_DRIVER)
    done = subprocess.run(["unshare", "-rn", sys.executable, str(driver), str(tmp_path / "demo")],
                          capture_output=True, text=True, timeout=180, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Fractions" in done.stdout


NAMESPACE_DRIVER = textwrap.dedent('''
    """Inside `unshare -rn`: bring up loopback, serve the demo, fetch the home page, stop."""
    import subprocess, sys, time, urllib.request
    from bench.server_process import lantern_command

    subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
    server = subprocess.Popen(lantern_command() + ["serve", "--demo", "--data", sys.argv[1], "--host", "127.0.0.1",
                                                   "--port", "8765"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                print(urllib.request.urlopen("http://127.0.0.1:8765/", timeout=5).read().decode())
                sys.exit(0)
            except OSError:
                time.sleep(0.5)
        sys.exit(3)
    finally:
        server.terminate()
        server.wait(20)
''')


def _has(command: str) -> bool:
    return any((Path(d) / command).exists() for d in os.environ.get("PATH", "").split(os.pathsep))

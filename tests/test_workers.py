"""`lantern serve --workers N`: N processes on one port, restarted when they die, whose caches follow content
changed by any of them or by a `lantern` command, with the once-per-device jobs started once."""
import http.client
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench.answer_storm import prepare_school
from bench.server_process import HOST, lantern_command, start_server
from server.device.service import systemd_unit
from server.device.workers import default_workers

pytestmark = pytest.mark.slow

LESSON = "/packs/fractions/lessons/what-is-a-fraction"


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _workers_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _wait_for(condition, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def server(tmp_path):
    prepare_school(tmp_path / "data", learners=0)
    running = start_server(tmp_path / "data", tmp_path / "server.log", extra=("--workers", "3"))
    yield running
    running.stop()


def test_a_killed_worker_is_restarted_and_the_others_keep_serving(server):
    workers = _wait_for(lambda: len(_workers_of(server.pid)) == 3 and _workers_of(server.pid))
    os.kill(workers[0], signal.SIGKILL)
    for _ in range(12):  # whichever worker takes each connection, every request is answered
        assert _get(server.port, "/healthz")[0] == 200
    replaced = _wait_for(lambda: (now := _workers_of(server.pid)) and len(now) == 3 and workers[0] not in now
                         and now)
    assert set(workers[1:]) <= set(replaced)
    assert re.search(r"worker \d \(signal 9\) stopped", server.log_tail(20_000))


def test_every_worker_sees_a_pack_removed_by_the_lantern_command(server):
    for _ in range(12):  # warm the lesson caches of every worker
        status, html = _get(server.port, LESSON)
        assert status == 200 and "What is a fraction" in html
    assert "/packs/fractions/" in _get(server.port, "/search?q=fraction")[1]
    removed = subprocess.run(lantern_command() + ["pack", "remove", "--data", str(server.data_dir), "fractions"],
                             capture_output=True, text=True, timeout=120)
    assert removed.returncode == 0, removed.stderr
    assert [_get(server.port, LESSON)[0] for _ in range(12)] == [404] * 12
    assert [("/packs/fractions/" in _get(server.port, "/search?q=fraction")[1]) for _ in range(6)] == [False] * 6


def test_the_sync_agent_and_daily_backup_start_in_one_worker_only(server):
    _get(server.port, "/healthz")
    log = _wait_for(lambda: (text := (server.data_dir / "logs" / "lantern.log").read_text())
                    .count("once-per-device jobs") and text)
    assert log.count("once-per-device jobs") == 1
    assert {line.split()[2] for line in log.splitlines() if " GET /healthz " in line} <= {"w0", "w1", "w2"}


def test_killing_the_supervisor_takes_its_workers_with_it(server):
    workers = _wait_for(lambda: len(_workers_of(server.pid)) == 3 and _workers_of(server.pid))
    server.kill()
    _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 15)
    with pytest.raises(OSError):
        _get(server.port, "/healthz")


def test_the_service_unit_runs_one_worker_per_core_and_sizes_memory_for_them(tmp_path):
    unit = systemd_unit(tmp_path / "venv" / "bin" / "lantern", tmp_path / "data", workers=4).splitlines()
    assert any(line.startswith("ExecStart=") and line.endswith("--workers 4") for line in unit)
    assert "MemoryMax=560M" in unit and "KillMode=mixed" in unit
    assert not any("MALLOC_" in line for line in unit)  # set by the process itself now
    assert f"--workers {default_workers()}" in systemd_unit(tmp_path / "l", tmp_path / "d")

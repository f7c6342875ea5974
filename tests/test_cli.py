"""The `lantern` command as a coordinator uses it, and a real waitress server on 127.0.0.1."""
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

LANTERN = str(Path(sys.executable).parent / "lantern")


def run(*args, check=True):
    result = subprocess.run([LANTERN, *args], capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def test_pack_build_verify_import_list_remove(tmp_path):
    pack = tmp_path / "fractions.lantern"
    data = str(tmp_path / "data")
    built = run("pack", "build", str(REPO / "content_packs" / "fractions-en"), "-o", str(pack))
    assert "Built" in built.stdout and "lessons" in built.stdout
    assert "OK: Fractions" in run("pack", "verify", str(pack)).stdout
    assert "unsigned" in run("pack", "verify", str(pack)).stdout
    imported = run("pack", "import", "--data", data, str(pack))
    assert "is ready:" in imported.stdout
    assert "already installed" in run("pack", "import", "--data", data, str(pack)).stdout
    listed = run("pack", "list", "--data", data).stdout
    assert listed.startswith("fractions\t")
    assert "Progress rebuilt from 0 events. Search index rebuilt" in run("rebuild", "--data", data).stdout
    assert "Removed fractions" in run("pack", "remove", "--data", data, "fractions").stdout
    assert "No packs installed" in run("pack", "list", "--data", data).stdout


def test_a_bad_pack_gets_one_clear_sentence_and_exit_code_1(tmp_path):
    bad = tmp_path / "broken.lantern"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    result = run("pack", "import", "--data", str(tmp_path / "data"), str(bad), check=False)
    assert result.returncode == 1
    assert "\nError: broken.lantern: the archive is damaged" in "\n" + result.stderr
    assert "Traceback" not in result.stderr


def test_serve_demo_on_loopback(tmp_path):
    port = free_port()
    process = subprocess.Popen([LANTERN, "serve", "--demo", "--data", str(tmp_path / "demo"),
                                "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_healthy(base, process, seconds=60) == {"status": "ok", "role": "school"}
        with urllib.request.urlopen(base + "/", timeout=5) as response:
            home = response.read().decode()
        assert "Fractions" in home and "Demo school" in home
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert "learner amina PIN 1234" in output
    assert f"http://127.0.0.1:{port}/" in output


def test_service_unit_runs_unprivileged_and_restarts(tmp_path):
    unit = run("service-unit", "--data", "/var/lib/lantern", "--port", "8090").stdout
    assert f"ExecStart={LANTERN} serve --data /var/lib/lantern --host 0.0.0.0 --port 8090" in unit
    for line in ("User=lantern", "Restart=on-failure", "ReadWritePaths=/var/lib/lantern", "ProtectSystem=strict",
                 "WantedBy=multi-user.target"):
        assert line in unit.splitlines()

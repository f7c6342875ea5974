"""Lantern and Kolibri 0.19.5 side by side, in one run, on the same core with the same load: Kolibri's sign-in
page and public info API against Lantern's sign-in page and signed-in lesson page; prints the ratios.

    python -m bench.run --against-kolibri [--kolibri-wheels DIR] [--quick]

Kolibri is installed into a temporary venv from the package index (or only from a folder of wheels with
--kolibri-wheels). When it cannot be installed or started, the report says so and measures nothing else.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

from bench import server_process
from bench.lesson_floor import LESSON, _session_cookie, _wait, load
from bench.answer_storm import prepare_school
from bench.server_process import HOST, free_port
from bench.tables import format_table

VERSION = "0.19.5"
SIGNIN = "/en/auth/"
INFO = "/api/public/info/"


def install(folder: Path, wheels: Path | None) -> Path | None:
    """A venv in `folder` with Kolibri installed; its `kolibri` script, or None (with the reason printed)."""
    venv.create(folder, with_pip=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", f"kolibri=={VERSION}"]
    if wheels is not None:
        pip += ["--no-index", "--find-links", str(wheels)]
    done = subprocess.run(pip, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        print(f"Kolibri {VERSION} could not be installed, skipping: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return folder / "bin" / "kolibri"


def provision(kolibri: Path, env: dict) -> None:
    """Set Kolibri up as a school would (a facility and its admin), so it serves its sign-in page and not the
    first-run setup wizard."""
    done = subprocess.run([str(kolibri), "manage", "provisiondevice", "--facility", "Bench school",
                           "--preset", "formal", "--superusername", "admin", "--superuserpassword", "admin-pass-123",
                           "--language_id", "en", "--noinput"], env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"provisioning failed: {done.stderr.strip()[-300:]}")


def _start(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(server_process.pinned(command), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    for signum in (signal.SIGINT, signal.SIGKILL):
        try:
            os.killpg(proc.pid, signum)
            proc.wait(30)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _final_path(port: int, path: str) -> str:
    """Where a GET of `path` ends after redirects (path and query only)."""
    import urllib.parse
    import urllib.request

    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=60) as response:
        final = urllib.parse.urlsplit(response.geturl())
    return final.path + (f"?{final.query}" if final.query else "")


def measure(kolibri: Path, tmp: Path, seconds: float, connections: int) -> list[list]:
    """Rows: page, Lantern req/s, Kolibri req/s, ratio."""
    port, k_port = free_port(), free_port()
    data = tmp / "lantern"
    prepare_school(data, learners=0)
    env = {**os.environ, "KOLIBRI_HOME": str(tmp / "kolibri-home"), "KOLIBRI_RUN_MODE": "bench"}
    provision(kolibri, env)
    k_proc = _start([str(kolibri), "start", "--foreground", "--port", str(k_port)], env)
    l_proc = _start(server_process.lantern_command() + ["serve", "--data", str(data), "--host", HOST,
                                                        "--port", str(port), "--workers", "1"], dict(os.environ))
    try:
        _wait(port, "/healthz", l_proc)
        started = time.monotonic()
        _wait(k_port, INFO, k_proc, timeout=900)  # Kolibri migrates its database on first start
        print(f"Kolibri ready after {time.monotonic() - started:.0f} s", file=sys.stderr)
        cookie = _session_cookie(port)
        signin = _final_path(k_port, SIGNIN)  # Kolibri redirects its sign-in address (to the learner's language)
        print(f"Kolibri's sign-in page: {signin}", file=sys.stderr)
        pairs = [("sign-in page", (port, "/signin", ""), (k_port, signin)),
                 ("lesson page / public info API", (port, LESSON, cookie), (k_port, INFO))]
        rows = []
        for name, (lp, lpath, lcookie), (kp, kpath) in pairs:
            load(lp, lpath, 1.0, 2, lcookie)
            load(kp, kpath, 1.0, 2)
            ours, theirs = load(lp, lpath, seconds, connections, lcookie), load(kp, kpath, seconds, connections)
            rows.append([name, f"{ours['rps']:,.0f}", f"{theirs['rps']:,.0f}",
                         f"{ours['rps'] / max(theirs['rps'], 1e-9):.1f}x",
                         f"{ours['errors']} / {theirs['errors']}"])
        return rows
    finally:
        _stop(k_proc)
        _stop(l_proc)


def report(wheels: Path | None = None, quick: bool = False) -> str:
    """The side-by-side table (or the sentence saying why there is none)."""
    seconds, connections = (3.0, 8) if quick else (10.0, 16)
    with tempfile.TemporaryDirectory(prefix="lantern-kolibri-") as folder:
        tmp = Path(folder)
        kolibri = install(tmp / "venv", wheels)
        if kolibri is None:
            return f"Kolibri {VERSION}: not installed here, side-by-side skipped."
        try:
            rows = measure(kolibri, tmp, seconds, connections)
        except RuntimeError as err:
            return f"Kolibri {VERSION}: could not be started ({err}), side-by-side skipped."
    where = (f"{server_process.PI_MODEL}-class x{server_process.PI_CORES}" if server_process.PI_MODEL
             else f"CPU {server_process.CPU_PIN or 'any'}")
    return format_table(["page", "Lantern req/s", "Kolibri req/s", "Lantern / Kolibri", "errors (L / K)"], rows,
                        f"Lantern and Kolibri {VERSION}, same run, same load ({connections} keep-alive "
                        f"connections, {seconds:.0f} s each), servers on {where}")

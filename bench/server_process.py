"""The real server for benchmarks and tests: `lantern serve` on 127.0.0.1 in a subprocess, and what to read
from it afterwards (its peak memory, its log, the answers in its SQLite file).
"""
import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
LOCKED_MESSAGE = "database is locked"
# `bench.run --pi` sets this to a CPU list (e.g. "0"): servers and `lantern` commands then run pinned there
# with `taskset`, a stand-in for one Raspberry Pi core, while the load generator keeps the other cores.
CPU_PIN: str | None = None
# `bench.run --pi-model pi4 --cores 4` sets these: servers and `lantern` commands then run under
# ../shared/tools/pi-core, a CPU quota like that many cores of that Raspberry Pi (a shell that stays the parent
# of the server, so servers then get their own session and are stopped as a process group).
PI_MODEL: str | None = None
PI_CORES = 1
PI_CORE_TOOL = REPO.parent / "shared" / "tools" / "pi-core"


def free_port() -> int:
    """An ephemeral port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def pinned(command: list[str]) -> list[str]:
    """The command under a Pi-class CPU quota (PI_MODEL), or pinned to CPU_PIN with taskset (which execs it:
    the process id stays the same), or as it is."""
    if PI_MODEL is not None:
        return [str(PI_CORE_TOOL), "--model", PI_MODEL, "--cores", str(PI_CORES), "--", *command]
    return ["taskset", "-c", CPU_PIN, *command] if CPU_PIN is not None else command


def lantern_command() -> list[str]:
    """The installed console script, or the same entry point through this interpreter."""
    script = Path(sys.executable).parent / "lantern"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from server.cli.commands import main; main()"]


class ServerProcess:
    """`lantern serve` on 127.0.0.1 in a subprocess, its log in a file."""

    def __init__(self, data_dir: Path, log_path: Path, extra: tuple[str, ...] = ()):
        self.data_dir, self.log_path = Path(data_dir), Path(log_path)
        self.port = free_port()
        self.log = open(self.log_path, "ab")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            pinned(lantern_command()) + ["serve", "--data", str(self.data_dir), "--host", HOST,
                                         "--port", str(self.port), *extra],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO, preexec_fn=_default_sigint,
            start_new_session=PI_MODEL is not None)
        self.grouped = PI_MODEL is not None

    @property
    def pid(self) -> int:
        """The server's process id (the console script's shebang runs Python as this very process)."""
        return self.proc.pid

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, timeout: float = 60.0, poll: float = 0.1) -> float:
        """Wait until /healthz answers 200 (RuntimeError if the process dies or time runs out); return the
        seconds from launch to that first 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_tail()}")
            # The port listens before the workers are ready (it is bound first): a request may wait a while.
            conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(poll)
        raise RuntimeError(f"server not ready after {timeout:.0f} s: {self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """The processes that serve: the workers under `--workers N` (N > 1), else the server itself (the
        leaves of the process tree, below any pi-core wrapper)."""
        leaves, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            children = _children(pid)
            if children:
                todo.extend(children)
            elif pid != self.pid or not leaves:
                leaves.append(pid)
        return leaves or [self.pid]

    def peak_rss_kib(self) -> int | None:
        """The peak resident set (VmHWM) of the largest serving process, in KiB (a per-worker figure)."""
        values = [v for v in (status_field(pid, "VmHWM") for pid in self.worker_pids()) if v]
        return max(values) if values else None

    def rss_kib(self) -> int | None:
        """The resident set (VmRSS) of the largest serving process now, in KiB (a per-worker figure)."""
        values = [v for v in (status_field(pid, "VmRSS") for pid in self.worker_pids()) if v]
        return max(values) if values else None

    def cpu_seconds(self) -> float | None:
        """User + system CPU time used so far by the server and its workers."""
        total = None
        for pid in _descendants(self.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total = (total or 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self, timeout: float = 15.0) -> int:
        """Stop it as an operator would (Ctrl-C), killing it if it does not go."""
        if self.proc.poll() is None:
            self._signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait(timeout)
        self.log.close()
        return self.proc.returncode

    def kill(self) -> None:
        """kill -9: no clean-up of any kind, as in a power cut."""
        if self.proc.poll() is None:
            self._signal(signal.SIGKILL)
            self.proc.wait(15)
        self.log.close()

    def _signal(self, signum: int) -> None:
        """Signal the server (and, under pi-core, everything in its session)."""
        if self.grouped:
            try:
                os.killpg(self.proc.pid, signum)
            except ProcessLookupError:
                pass
        else:
            self.proc.send_signal(signum)

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the server's log, for error messages."""
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(_children(current))
    return found


def _default_sigint() -> None:
    """In the child: let Ctrl-C work. A suite started in the background (nohup, `&`, some CI runners)
    passes SIGINT on as ignored, and Python then never turns it into KeyboardInterrupt, so `stop()`
    would wait its whole timeout for every server and then kill it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def status_field(pid: int, name: str) -> int | None:
    """A numeric field of /proc/<pid>/status (e.g. VmRSS, VmHWM in KiB), None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def start_server(data_dir: Path, log_path: Path, extra: tuple[str, ...] = (), attempts: int = 3) -> ServerProcess:
    """Start `lantern serve` and wait for it (a new port if the chosen one was taken meanwhile)."""
    for attempt in range(attempts):
        server = ServerProcess(data_dir, log_path, extra)
        try:
            server.wait_ready()
            return server
        except RuntimeError:
            server.stop()
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def answer_event_ids(db_path: Path) -> set[str]:
    """Ids of the stored answer events (open the file only after the server has stopped)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM event WHERE kind = 'answer'")}


def integrity_check(db_path: Path) -> str:
    """PRAGMA integrity_check of the database file ('ok' when sound)."""
    conn = sqlite3.connect(db_path)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def locked_lines(log_path: Path) -> int:
    """How many lines of the server log mention a locked database."""
    text = Path(log_path).read_text(errors="replace") if Path(log_path).exists() else ""
    return sum(LOCKED_MESSAGE in line for line in text.splitlines())

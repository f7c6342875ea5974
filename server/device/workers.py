"""Serving on every core: one parent holds the listening socket, N worker processes serve it.

Decisions:
- Pre-fork with an inherited socket, not SO_REUSEPORT: the parent binds once (so a taken port fails before
  any worker starts) and every worker waits on the same socket; the kernel gives each new connection to one
  worker. waitress serves a socket it is given (`sockets=[...]`).
- The parent loads no Flask and holds no database connection when it forks: an SQLite connection must never
  cross a fork. Each worker builds its own app and its own connections. Writers in different workers are
  serialized by SQLite itself (WAL, `BEGIN IMMEDIATE`, the busy timeout), as threads already were.
- Workers die with the parent (Linux PR_SET_PDEATHSIG): `kill -9` of the parent leaves nothing answering on
  the port, and systemd's restart starts a clean set. Every acknowledged answer is already committed.
- A worker that exits (a crash, an OOM kill) is started again; if it keeps dying within seconds of starting,
  the pause before the next start doubles up to 30 s, so a broken install does not spin the CPU.
- Jobs that must run once per device (the sync agent, the daily backup) run in worker 0 only; they start
  again with it if it is restarted.
"""
import ctypes
import logging
import os
import signal
import socket
import sys
import time
from typing import Callable

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
QUICK_DEATH_SECONDS = 10.0
MAX_PAUSE_SECONDS = 30.0
STOP_GRACE_SECONDS = 10
ENV_INDEX = "LANTERN_WORKER"


def default_workers() -> int:
    """One worker per core this process may run on (1 on a single-core board)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def worker_index() -> int:
    """This process's worker number (0 when serving with one process)."""
    return int(os.environ.get(ENV_INDEX, "0"))


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A bound, listening TCP socket for every worker to accept from."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def run_in_child(work: Callable[[], None]) -> None:
    """Run `work` in a forked process and wait for it; exit with its status if it failed. What it loads (the
    database layer, migrations, the search index) then never weighs on the supervisor."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            work()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:  # reported here, in the child; the parent exits with its status
            log.exception("preparing the data folder failed")
        finally:
            logging.shutdown()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(code if code > 0 else 1)


def sibling_pids() -> list[int]:
    """Process ids of every worker of this server (just this process when it has no parent supervisor)."""
    parent = os.getppid()
    if not os.environ.get(ENV_INDEX):
        return [os.getpid()]
    try:
        with open(f"/proc/{parent}/task/{parent}/children") as listing:
            return [int(pid) for pid in listing.read().split()]
    except OSError:
        return [os.getpid()]


class Supervisor:
    """Starts `count` workers, restarts any that exits, and stops them all on SIGTERM or SIGINT."""

    def __init__(self, count: int, run_worker: Callable[[int], None]):
        self.count, self.run_worker = count, run_worker
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (index, started at)
        self.pauses = [0.0] * count
        self.stopping = False

    def run(self) -> int:
        """Serve until told to stop; the exit status for the command."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGALRM, self._kill_stragglers)
        for index in range(self.count):
            self._spawn(index)
        log.info("serving with %d workers (supervisor pid %d)", self.count, os.getpid())
        while self.children:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            index, started = self.children.pop(pid, (None, 0.0))
            if index is None or self.stopping:
                continue
            self._restart(index, started, status)
        return 0

    def _restart(self, index: int, started: float, status: int) -> None:
        lived = time.monotonic() - started
        self.pauses[index] = (min(MAX_PAUSE_SECONDS, max(0.5, self.pauses[index] * 2))
                              if lived < QUICK_DEATH_SECONDS else 0.0)
        log.warning("worker %d (%s) stopped after %.0f s; starting it again in %.1f s",
                    index, _describe(status), lived, self.pauses[index])
        time.sleep(self.pauses[index])
        if not self.stopping:
            self._spawn(index)

    def _spawn(self, index: int) -> None:
        pid = os.fork()
        if pid:
            self.children[pid] = (index, time.monotonic())
            return
        code = 1
        try:
            _become_worker(index)
            self.run_worker(index)
            code = 0
        except KeyboardInterrupt:
            code = 0
        except BaseException:  # a worker reports anything before it goes; the supervisor restarts it
            log.exception("worker %d failed", index)
        finally:
            logging.shutdown()
            os._exit(code)

    def _stop(self, signum, frame) -> None:
        if self.stopping:
            return
        self.stopping = True
        for pid in list(self.children):
            _signal(pid, signal.SIGTERM)
        signal.alarm(STOP_GRACE_SECONDS)

    def _kill_stragglers(self, signum, frame) -> None:
        for pid in list(self.children):
            _signal(pid, signal.SIGKILL)


def _become_worker(index: int) -> None:
    """In a new worker: the default signal behaviour, death with the parent, and its number in the env."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    os.environ[ENV_INDEX] = str(index)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent died between fork and prctl
            os._exit(1)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"

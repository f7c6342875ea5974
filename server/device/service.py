"""Running Lantern as a system service (systemd): the unit file install.sh --service writes, and the
waitress settings, descriptor limit and malloc behaviour `lantern serve` uses."""
import ctypes
import gc
import logging
import sys
from pathlib import Path

from server.device.workers import default_workers

log = logging.getLogger(__name__)

# Open HTTP connections at once. Phones hold idle keep-alive connections while their learners read, and a
# browser may open several per host, so this must be several times the phones expected; each costs a file
# descriptor and a few KiB. 1,000 paced learners got only 498 in at the old limit of 500 (docs/performance.md).
DEFAULT_CONNECTION_LIMIT = 2000
# Seconds a connection may sit idle before waitress closes it: longer than a learner's pause on a page, short
# enough that phones that left free their slot (waitress's default is 120 s).
DEFAULT_IDLE_TIMEOUT = 60
# Descriptors besides the connections: the database and its WAL, the search index, blobs being sent, logs.
SPARE_DESCRIPTORS = 256
UNIT_NOFILE = 8192  # LimitNOFILE in the unit: the default limit plus spare descriptors, with room to raise it

UNIT_TEMPLATE = """\
[Unit]
Description=Lantern learning server
Documentation=file://{docs}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={user}
Environment=LANTERN_DATA={data}
# Malloc arenas and the mmap threshold are set by `lantern serve` itself (server/device/service.py: tune_memory).
# One worker process per core; the supervisor restarts a worker that dies, systemd restarts the supervisor.
ExecStart={lantern} serve --data {data} --host 0.0.0.0 --port {port} --workers {workers}
# Stop: SIGTERM to the supervisor, which stops its workers; whatever is left after 20 s is killed.
KillMode=mixed
TimeoutStopSec=20
# Come back by itself after a crash or a power cut; never spin if something is badly wrong.
Restart=on-failure
RestartSec=3
StartLimitIntervalSec=300
StartLimitBurst=20
# Least privilege: only the data folder (and USB sticks) can be written.
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={data}
# USB sticks too (backups and results for the hub); '-' means the folder may not exist.
ReadWritePaths=-/media -/mnt -/run/media
PrivateTmp=yes
# For all workers together: ~{worker_mb} MB per worker after a busy lesson, plus headroom for a pack import.
MemoryMax={memory_max}M
# One descriptor per open connection (--connection-limit, default {connections}) plus files; systemd's default is 1,024.
LimitNOFILE={nofile}

[Install]
WantedBy=multi-user.target
"""


WORKER_MB = 80  # the memory target per worker after the 300-learner load (docs/performance.md)
IMPORT_HEADROOM_MB = 240  # a pack import in one worker (images resized, Markdown rendered)
# glibc mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8


def systemd_unit(lantern: Path, data_dir: Path, user: str = "lantern", port: int = 8080,
                 workers: int | None = None) -> str:
    """The text of lantern.service for this checkout (`workers`: default one per core of this device)."""
    workers = workers or default_workers()
    docs = Path(lantern).resolve().parents[2] / "docs" / "operator-guide.md"
    return UNIT_TEMPLATE.format(lantern=lantern, data=data_dir, user=user, port=port, docs=docs,
                                connections=DEFAULT_CONNECTION_LIMIT, nofile=UNIT_NOFILE, workers=workers,
                                worker_mb=WORKER_MB, memory_max=workers * WORKER_MB + IMPORT_HEADROOM_MB)


def tune_memory() -> bool:
    """Set glibc's malloc for a small board from inside the process; False where there is no glibc.

    Decisions: two arenas instead of eight per core (each waitress thread would otherwise grow its own), and a
    fixed 1 MiB mmap threshold so the 19 MiB Argon2 buffers of a sign-in go back to the system when freed
    (glibc's sliding threshold would keep them on the heap: 180 MiB after a class signs in, not 80).
    These were environment variables of the systemd unit; set here they also hold for `lantern serve` by hand.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc
        return False
    return all([mallopt(M_ARENA_MAX, 2), mallopt(M_MMAP_THRESHOLD, 1024 * 1024),
                mallopt(M_TRIM_THRESHOLD, 2 * 1024 * 1024)])


def waitress_options(connection_limit: int = DEFAULT_CONNECTION_LIMIT,
                     idle_timeout: int = DEFAULT_IDLE_TIMEOUT) -> dict:
    """Keyword arguments for waitress.serve, after raising the descriptor limit to fit the connections.

    poll() instead of select(): no 1,024-descriptor ceiling. If the hard descriptor limit is too low for
    the connections asked for, the connection limit is lowered to fit (with a warning) rather than letting
    accept() fail with "too many open files" under load.

    Decisions: waitress closes idle connections only when it sweeps, every `cleanup_interval` (30 s by
    default), so an idle timeout shorter than that would free slots late; the sweep runs as often as the
    timeout (at most every 30 s, waitress's own pace).
    """
    if connection_limit < 1 or idle_timeout < 1:
        raise ValueError("The connection limit and the idle timeout must be at least 1.")
    available = raise_descriptor_limit(connection_limit + SPARE_DESCRIPTORS)
    if available is not None and available - SPARE_DESCRIPTORS < connection_limit:
        fitted = max(available - SPARE_DESCRIPTORS, 50)
        log.warning("Only %d file descriptors are allowed; serving at most %d connections, not %d "
                    "(raise LimitNOFILE / ulimit -n)", available, fitted, connection_limit)
        connection_limit = fitted
    return {"connection_limit": connection_limit, "channel_timeout": idle_timeout,
            "cleanup_interval": min(idle_timeout, 30), "asyncore_use_poll": True}


def raise_descriptor_limit(wanted: int) -> int | None:
    """Raise this process's soft limit on open files towards `wanted` (never above the hard limit, never
    lower than it is); the soft limit afterwards, or None where there are no such limits."""
    try:
        import resource
    except ImportError:  # not a Unix
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return None if soft == resource.RLIM_INFINITY else soft


def release_free_memory() -> None:
    """Give memory freed while starting (migrations, templates, catalogues) back to the system."""

    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass

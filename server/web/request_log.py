"""Logs an operator can read: one line per request, rotated, and nothing that identifies a person.

A line is `2026-03-02 09:14:05 GET /coach/learner/<learner_id> 200 5123 12ms`: the method, the
route (ids that name a person replaced by their placeholder; never a query string, a form body, a
username, a cookie or an address), the status, the bytes sent and the time taken. The file is
DATA_DIR/logs/lantern.log, kept to 1 MB × 5 files. With several workers (`lantern serve --workers N`) each
line starts with the worker's number (`w2`), and all of them write the one file: a worker takes a lock on
the file before writing, and one that finds the file rotated by another reopens it. Warnings from the rest of the server go to the
same file. Waitress's "Task queue depth is N" warning, which comes once per request while a class
is waiting, is let through at most once a minute.

One redaction for every line: the request line and the error handlers (server/web/errors.py) name a
request only by `loggable_path`, and the file's formatter passes every line, tracebacks included,
through `redact` (query strings, ids, tokens, quoted values and PIN-like numbers in messages).

Decisions: a route's own values (a pack id, a class id) are shown only when the request succeeded (2xx,
304, or the 303 after an accepted form), i.e. they named something real; any other request may hold
whatever somebody typed into the address bar (a name, a PIN), so then every part is a placeholder.
"""
import fcntl
import logging
import logging.handlers
import os
import re
import time
from pathlib import Path

from flask import g, request

ACCESS = logging.getLogger("lantern.access")
MAX_BYTES = 1024**2
BACKUPS = 5
# URL arguments that identify a person (or a session): logged as <name>, never their value.
PERSONAL_ARGS = frozenset({"learner_id", "account_id", "username", "user_id", "token", "code", "attempt"})
ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
MAX_PATH = 120
NAMED_SOMETHING_REAL = (303, 304)  # besides 2xx: an accepted form's redirect, a cache revalidation (not 302,
# the sign-in redirect, which says nothing of the address)
SAFE_SEGMENT = re.compile(r"[a-z][a-z0-9.-]{0,39}")  # a route's first part: never a name with capitals or digits
QUERY = re.compile(r"(/[^\s?#\"']*)\?[^\s\"']*")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TOKEN = re.compile(r"\b[A-Za-z0-9_-]{32,}\b")
QUOTED = re.compile(r"""(['"])(?:(?!\1).){1,200}?\1""")
PIN = re.compile(r"(?<![\w.:-])\d{4,8}(?![\w.:-])")
RAW_PATH = re.compile(r"(\s)/(\S*)")


def init_app(app) -> None:
    """Time every request and log one line for it (runs after every other after-request hook)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    # after_request hooks run in reverse order of registration: index 0 runs last, after gzip.
    app.after_request_funcs.setdefault(None, []).insert(0, _log)


def _start():
    g.log_started = time.perf_counter()


def _log(response):
    if ACCESS.isEnabledFor(logging.INFO):
        started = g.get("log_started")
        took = f"{(time.perf_counter() - started) * 1000:.0f}ms" if started else "-"
        size = response.content_length
        ACCESS.info("%s %s %d %s %s", request.method, loggable_path(response.status_code), response.status_code,
                    "-" if size is None else size, took)
    return response


def loggable_path(status: int | None = None) -> str:
    """The request's route with personal ids replaced (every value, unless `status` says it succeeded);
    an unknown path only by its first part."""
    rule = request.url_rule
    if rule is None:
        # A path that matches no route may hold anything somebody typed: keep only its first segment.
        first = _first_segment(request.path)
        return f"/{first}/…" if request.path.rstrip("/") != f"/{first}" else f"/{first}"
    values = (request.view_args or {}) if status in NAMED_SOMETHING_REAL or (status or 0) in range(200, 300) else {}

    def fill(match: re.Match) -> str:
        arg = match.group(1)
        return f"<{arg}>" if arg in PERSONAL_ARGS or arg not in values else str(values[arg])

    return ARG.sub(fill, rule.rule)[:MAX_PATH]


def _first_segment(path: str) -> str:
    first = path.split("/")[1][:40] if path.count("/") else ""
    return first if SAFE_SEGMENT.fullmatch(first) else "…"


def redact(text: str) -> str:
    """A log line with what could name a person taken out: query strings, UUIDs, long tokens, quoted
    values and runs of 4 to 8 digits (PINs) inside the message; the line's own shape stays."""
    text = QUOTED.sub(lambda m: m.group(1) + "…" + m.group(1), _redact_ids(text))
    return PIN.sub("<number>", text)


def _redact_ids(text: str) -> str:
    return TOKEN.sub("<token>", UUID.sub("<id>", QUERY.sub(r"\g<1>?…", text)))


def _redact_traceback(text: str) -> str:
    """Frames keep their file names and code; the exception's own message is redacted like a line."""
    return "\n".join(_redact_ids(line) if line.startswith((" ", "Traceback")) else redact(line)
                     for line in text.splitlines())


class RedactingFormatter(logging.Formatter):
    """The log file's formatter: every line and traceback goes through `redact`, and a path a waitress
    message names (it logs the raw path of a request it failed) is cut to its first segment."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == ACCESS.name:  # built from loggable_path and numbers only
            return super().format(record)
        if record.name.startswith("waitress"):
            record.msg, record.args = RAW_PATH.sub(_path_shape, record.getMessage()), ()
        stamp = self.formatTime(record, self.datefmt)
        message = redact(record.getMessage())
        if record.exc_info:
            message += "\n" + _redact_traceback(self.formatException(record.exc_info))
        return f"{stamp} {message}"


def _path_shape(match: re.Match) -> str:
    return f"{match.group(1)}/{_first_segment('/' + match.group(2))}/…"


class OncePerInterval(logging.Filter):
    """Lets a repeated message through at most once per `interval` seconds (clock injectable)."""

    def __init__(self, prefix: str, interval: float = 60.0, clock=time.monotonic):
        super().__init__()
        self.prefix, self.interval, self.clock = prefix, interval, clock
        self.last: float | None = None
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.prefix):
            return True
        now = self.clock()
        if self.last is not None and now - self.last < self.interval:
            self.dropped += 1
            return False
        if self.dropped:
            record.msg = f"{record.msg} ({self.dropped} more like it in the last minutes not logged)"
        self.last, self.dropped = now, 0
        return True


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that several processes append to: writes and rotation under an exclusive lock on
    the log folder, and a reopen when another process has rotated the file away."""

    def __init__(self, filename: Path, **kwargs):
        super().__init__(filename, **kwargs)
        self._folder_fd = os.open(os.path.dirname(self.baseFilename), os.O_RDONLY)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fcntl.flock(self._folder_fd, fcntl.LOCK_EX)
            try:
                self._reopen_if_rotated()
                super().emit(record)
            finally:
                fcntl.flock(self._folder_fd, fcntl.LOCK_UN)
        except OSError:
            self.handleError(record)

    def close(self) -> None:
        """Close the file and the folder handle."""
        super().close()
        if self._folder_fd is not None:
            os.close(self._folder_fd)
            self._folder_fd = None

    def _reopen_if_rotated(self) -> None:
        if self.stream is None:
            return
        try:
            current = os.stat(self.baseFilename)
        except FileNotFoundError:
            current = None
        mine = os.fstat(self.stream.fileno())
        if current is None or (current.st_ino, current.st_dev) != (mine.st_ino, mine.st_dev):
            self.stream.close()
            self.stream = self._open()


def setup_logging(data_dir: Path, worker: int | None = None) -> logging.Handler:
    """Send request lines and warnings to DATA_DIR/logs/lantern.log (rotated); return the handler. `worker`:
    this process's number when several serve, put at the start of each line."""
    folder = Path(data_dir) / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    handler = SharedRotatingFileHandler(folder / "lantern.log", maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                        encoding="utf-8")
    prefix = "" if worker is None else f"w{worker} "
    handler.setFormatter(RedactingFormatter(f"%(asctime)s {prefix}%(message)s", "%Y-%m-%d %H:%M:%S"))
    handler.setLevel(logging.INFO)
    ACCESS.setLevel(logging.INFO)
    ACCESS.propagate = False  # request lines go to the file only, not to the journal as well
    ACCESS.addHandler(handler)
    logging.getLogger().addHandler(handler)
    queue = logging.getLogger("waitress.queue")
    if not any(isinstance(f, OncePerInterval) for f in queue.filters):
        queue.addFilter(OncePerInterval("Task queue depth"))
    return handler


def remove_logging(handler: logging.Handler) -> None:
    """Detach and close a handler made by setup_logging (tests; a clean shutdown)."""
    ACCESS.removeHandler(handler)
    logging.getLogger().removeHandler(handler)
    if not ACCESS.handlers:
        ACCESS.propagate = True
    handler.close()

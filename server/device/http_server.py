"""Lantern's waitress: request bodies limited before they are stored, fair connections, absolute deadlines.

waitress reads a whole request (headers and body) before the app sees it, buffering a body in memory up to
`inbuf_overflow` and then in a temporary file. Flask's MAX_CONTENT_LENGTH therefore comes too late: an 8
connection flood of 64 MB bodies once filled /tmp with 495 MB before the app answered 413. This module is a
thin layer over waitress's own classes (parser, channel, server), chosen because waitress has no hooks for
it; each override calls waitress's method and adds one check.

* **Body limits, before anything is stored.** Each request's limit comes from its method and path
  (`ROUTE_LIMITS`: a hand-in 16 MB, a sync upload 8 MB, a spreadsheet 1 MB, any other form 1 MB). A
  Content-Length over it is answered 413 as soon as the headers end, before a byte of body is read; a chunked
  body is counted as it arrives and stopped at the limit.
* **Temporary files on the data disk, bounded.** A body over `inbuf_overflow` (256 KB) goes to a file in
  DATA/spool (not /tmp), and all such files together may hold at most `spool_budget` bytes (16 MB by
  default): a body that would go over is answered 503 ("busy, try again") at once for a declared length, or
  as soon as a chunked one reaches it.
* **Fair connections.** One client address may hold at most `per_address` connections (a quarter of the
  connection limit by default); more are closed as soon as they are accepted. The trusted proxy (if any)
  is exempt: it carries everybody's connections.
* **Absolute deadlines.** A request's headers must arrive within `header_seconds` (20 s) of its first byte,
  and its body within `body_seconds` (60 s plus one second per 4 KB declared, at most 30 minutes); a
  trickled byte does not extend them (waitress's idle timeout is reset by every byte). Checked every
  `cleanup_interval` seconds (2 s here).
"""
import re
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from waitress.adjustments import Adjustments
from waitress.buffers import FileBasedBuffer, OverflowableBuffer
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher
from waitress.utilities import Error, RequestEntityTooLarge

KB, MB = 1024, 1024**2
DEFAULT_LIMIT = 1 * MB
ROUTE_LIMITS = (  # (method, path pattern, largest body in bytes); the first match wins
    ("POST", re.compile(r"^/projects/[^/]+/hand-in$"), 16 * MB + 64 * KB),
    ("POST", re.compile(r"^/sync/v1/upload/[0-9a-f]{64}$"), 8 * MB + 64 * KB),
    ("POST", re.compile(r"^/sync/v1/"), 4 * MB + 64 * KB),
    ("POST", re.compile(r"^/admin/import$"), 1 * MB + 64 * KB),
)
INBUF_OVERFLOW = 256 * KB


def body_limit(method: str, path: str) -> int:
    """The largest request body accepted for a method and path."""
    for route_method, pattern, limit in ROUTE_LIMITS:
        if method == route_method and pattern.match(path or ""):
            return limit
    return DEFAULT_LIMIT


class ServerBusy(Error):
    """503: the temporary space for request bodies is in use by others; the client may try again."""

    code = 503
    reason = "Service Unavailable"


@dataclass
class Guard:
    """The settings and shared counters of one server (the spool budget, connections per address)."""

    spool_dir: Path
    spool_budget: int = 16 * MB
    per_address: int = 500
    exempt: frozenset = frozenset()  # addresses without a per-address cap (a trusted proxy)
    header_seconds: float = 20.0
    body_seconds: float = 60.0
    body_bytes_per_second: int = 4 * KB  # slower than a 50 kbit/s sync link (6.25 KB/s) still gets through
    spooled: int = 0
    connections: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reserve(self, amount: int) -> bool:
        """Take `amount` bytes of the spool budget; False (nothing taken) when it would go over."""
        with self.lock:
            if self.spooled + amount > self.spool_budget:
                return False
            self.spooled += amount
            return True

    def release(self, amount: int) -> None:
        """Give spool bytes back."""
        with self.lock:
            self.spooled = max(0, self.spooled - amount)

    def body_deadline(self, content_length: int) -> float:
        """Seconds a body of this declared size may take (chunked: the longest)."""
        return min(1800.0, self.body_seconds + (content_length or 30 * 60 * KB) / self.body_bytes_per_second)


class _SpoolFile(FileBasedBuffer):
    """waitress's file buffer, as a file in the data folder's spool directory (removed when closed, and any
    left by a crash at the next start), so what is held can be seen and measured."""

    def __init__(self, directory: Path, from_buffer=None):
        handle = tempfile.NamedTemporaryFile("w+b", dir=directory, prefix="body-", delete=True)
        FileBasedBuffer.__init__(self, handle, from_buffer)


class _SpoolBuffer(OverflowableBuffer):
    """A body buffer whose overflow file lives in `directory`."""

    def __init__(self, overflow: int, directory: Path):
        super().__init__(overflow)
        self.directory = directory

    def _set_large_buffer(self):
        oldbuf = self.buf
        self.buf = _SpoolFile(self.directory, oldbuf)
        if hasattr(oldbuf, "close"):
            oldbuf.close()
        self.overflowed = True


class LimitedParser(HTTPRequestParser):
    """waitress's request parser, with the route's body limit and the spool budget checked as bytes come."""

    guard: Guard  # set on the subclass `make_server` builds
    held = 0  # spool bytes reserved by this request
    started = 0.0  # when its first byte arrived
    headers_done_at = 0.0

    def received(self, data):
        """Parse as waitress does; refuse as soon as the body is over its limit or the spool budget."""
        if not self.started:
            self.started = time.monotonic()
        in_headers = self.body_rcv is None and not self.headers_finished
        consumed = super().received(data)
        if self.error or self.completed and not self.body_rcv:
            return consumed
        if in_headers and self.headers_finished:
            self.headers_done_at = time.monotonic()
            self._headers_done()
        elif self.body_rcv is not None:
            self._body_grew()
        return consumed

    def _headers_done(self) -> None:
        limit = body_limit(self.command, self.path)
        if not self.chunked and self.content_length > limit:
            self._refuse(RequestEntityTooLarge(f"the body is larger than {limit} bytes for this address"))
            return
        self.body_rcv.buf = _SpoolBuffer(self.adj.inbuf_overflow, self.guard.spool_dir)
        need = max(0, self.content_length - self.adj.inbuf_overflow) if not self.chunked else 0
        if need and not self.guard.reserve(need):
            self._refuse(ServerBusy("the server is receiving other files; try again in a minute"))
            return
        self.held = need

    def _body_grew(self) -> None:
        size = self.body_bytes_received
        if self.chunked and size > body_limit(self.command, self.path):
            self._refuse(RequestEntityTooLarge("the body is larger than allowed for this address"))
        elif self.chunked and size > self.adj.inbuf_overflow + self.held:
            want = size - self.adj.inbuf_overflow - self.held + 256 * KB  # reserve ahead in steps
            if self.guard.reserve(want):
                self.held += want
            else:
                self._refuse(ServerBusy("the server is receiving other files; try again in a minute"))

    def _refuse(self, error: Error) -> None:
        """Answer with `error` now; drop what was buffered and close the connection after the answer."""
        self.error, self.completed, self.connection_close = error, True, True
        self._drop_body()

    def _drop_body(self) -> None:
        if self.body_rcv is not None:
            self.body_rcv.getbuf().close()
            self.body_rcv = None
        if self.held:
            self.guard.release(self.held)
            self.held = 0

    def close(self):
        """The request is finished (or abandoned): its file goes, its reservation comes back."""
        self._drop_body()
        super().close()


class FairChannel(HTTPChannel):
    """waitress's connection, counted per client address; a half-received request is dropped on close."""

    guard: Guard
    counted = False

    def del_channel(self, map=None):
        """Closing: forget this connection in its address's count, free a half-received body."""
        super().del_channel(map)
        if self.counted:
            self.counted = False
            with self.guard.lock:
                self.guard.connections[self.addr[0]] -= 1
                if self.guard.connections[self.addr[0]] <= 0:
                    del self.guard.connections[self.addr[0]]
        request = self.request
        if request is not None and hasattr(request, "_drop_body"):
            request._drop_body()

    def past_deadline(self, now: float) -> bool:
        """True when the request being received has had longer than its absolute deadline."""
        request = self.request
        if request is None or not request.started or request.completed:
            return False
        if not request.headers_finished:
            return now - request.started > self.guard.header_seconds
        return now - request.headers_done_at > self.guard.body_deadline(request.content_length)


class FairServer(TcpWSGIServer):
    """waitress's TCP server with the per-address cap at accept and the absolute deadlines in maintenance."""

    guard: Guard

    def handle_accept(self):
        """Accept; close at once a connection over its address's cap."""
        try:
            accepted = self.accept()
            if accepted is None:
                return
            conn, addr = accepted
            self.set_socket_options(conn)
        except OSError:
            return
        addr = self.fix_addr(addr)
        host = addr[0] if isinstance(addr, tuple) else str(addr)
        with self.guard.lock:
            full = host not in self.guard.exempt and self.guard.connections[host] >= self.guard.per_address
            if not full:
                self.guard.connections[host] += 1
        if full:
            conn.close()
            return
        channel = self.channel_class(self, conn, addr, self.adj, map=self._map)
        channel.counted = True

    def maintenance(self, now):
        """waitress's idle sweep, plus: close connections whose request is past its absolute deadline."""
        super().maintenance(now)
        mono = time.monotonic()
        for channel in list(self.active_channels.values()):
            if isinstance(channel, FairChannel) and channel.past_deadline(mono):
                channel.will_close = True


def make_server(app, guard: Guard, **waitress_options):
    """A waitress server for `app` with Lantern's guard (call `.run()`); options as for waitress.serve."""
    guard.spool_dir.mkdir(parents=True, exist_ok=True)
    for leftover in guard.spool_dir.glob("body-*"):  # from a crash: no request can still be using it
        leftover.unlink(missing_ok=True)
    waitress_options.setdefault("inbuf_overflow", INBUF_OVERFLOW)
    waitress_options.setdefault("cleanup_interval", 2)
    waitress_options.setdefault("max_request_body_size", max(limit for _, _, limit in ROUTE_LIMITS) + 1)
    adj = Adjustments(**waitress_options)
    parser = type("GuardedParser", (LimitedParser,), {"guard": guard})
    channel = type("GuardedChannel", (FairChannel,), {"guard": guard, "parser_class": parser})
    server_class = type("GuardedServer", (FairServer,), {"guard": guard, "channel_class": channel})
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    socket_map: dict = {}
    if adj.sockets:  # sockets made by the caller (one inherited by every worker of `lantern serve`)
        servers = [server_class(app, socket_map, True, sock, dispatcher=dispatcher, adj=adj, bind_socket=False,
                                sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()))
                   for sock in adj.sockets]
    else:
        servers = [server_class(app, socket_map, True, None, dispatcher=dispatcher, adj=adj, sockinfo=info)
                   for info in adj.listen]
    if len(servers) == 1:
        return servers[0]
    return MultiSocketServer(socket_map, adj, [(s.effective_host, s.effective_port) for s in servers],
                             dispatcher)

"""A fault-injecting TCP proxy for sync tests: plain sockets and threads, loopback only, no dependencies.

It sits between a real school and a real hub on 127.0.0.1 and makes the link as bad as a market-day
mobile connection:

* `rate`: throttle each direction to so many bytes per second (50 kbit/s = 6,250 B/s);
* `cut_share` / `cut_range`: reset a share of connections (RST, no FIN) after a random number of bytes;
* `cut_reply_share`: reset a share of connections as the reply's first byte arrives (the hub did the work,
  the school never hears so);
* `loss`: packet loss as a user-space proxy can show it: TCP hides lost packets behind retransmissions, so
  a lossy link looks like stalls (a retransmission timeout, doubling) and, when they pile up, a dead
  connection. Each chunk is stalled with probability `loss`; a connection that stalls three times in a
  row is reset;
* `down`: the hub is unreachable (new connections are reset; open ones too when switched on);
* `set_upstream`: point at a restarted hub (new port) without the client noticing;
* `record`: keep the bytes each client sent, so a test can replay a request exactly as captured.

Counters (`stats`) let tests report what the link did.
"""
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"
CHUNK = 512


@dataclass
class Stats:
    connections: int = 0
    cuts: int = 0
    stalls: int = 0
    refused: int = 0
    bytes_up: int = 0  # client -> upstream
    bytes_down: int = 0  # upstream -> client
    captured: list = field(default_factory=list)  # client bytes per connection when recording


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a dropped mobile link or a killed peer looks."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class FaultProxy:
    """Listen on 127.0.0.1:<port> and forward to 127.0.0.1:<upstream_port>, with faults as configured."""

    def __init__(self, upstream_port: int, seed: int = 1):
        self.upstream_port = upstream_port
        self.rate: float | None = None
        self.cut_share = 0.0
        self.cut_range = (200, 20_000)
        self.cut_reply_share = 0.0
        self.loss = 0.0
        self.stall_base = 0.2
        self.down = False
        self.record = False
        self.stats = Stats()
        self.rng = random.Random(seed)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closing = threading.Event()
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self._thread.join(5)
        self._listener.close()
        self.reset_all()

    def set_upstream(self, port: int) -> None:
        self.upstream_port = port

    def set_down(self, down: bool) -> None:
        """Take the link down (resetting every open connection) or bring it back."""
        self.down = down
        if down:
            self.reset_all()

    def reset_all(self) -> None:
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _reset(sock)

    def clear(self) -> None:
        """No faults (counters kept)."""
        self.rate, self.cut_share, self.cut_reply_share, self.loss = None, 0.0, 0.0, 0.0
        self.down = self.record = False

    # --- plumbing ----------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self.stats.connections += 1
            cut = self.rng.randint(*self.cut_range) if self.rng.random() < self.cut_share else None
            cut_reply = self.rng.random() < self.cut_reply_share
        if self.down:
            with self._lock:
                self.stats.refused += 1
            _reset(client)
            return
        try:
            upstream = socket.create_connection((HOST, self.upstream_port), timeout=5)
        except OSError:
            with self._lock:
                self.stats.refused += 1
            _reset(client)
            return
        with self._lock:
            self._open.update((client, upstream))
        link = _Link(self, client, upstream, cut, cut_reply)
        up = threading.Thread(target=link.pump, args=(client, upstream, "up"), daemon=True)
        down = threading.Thread(target=link.pump, args=(upstream, client, "down"), daemon=True)
        up.start(), down.start()
        up.join(), down.join()
        link.close()
        with self._lock:
            self._open.difference_update((client, upstream))
            if self.record:
                self.stats.captured.append(bytes(link.sent_up))


class _Link:
    """One proxied connection: two pumps sharing a byte count (for the cut) and a fate."""

    def __init__(self, proxy: FaultProxy, client, upstream, cut_at: int | None, cut_reply: bool = False):
        self.proxy, self.client, self.upstream, self.cut_at = proxy, client, upstream, cut_at
        self.cut_reply = cut_reply
        self.moved = 0
        self.dead = False
        self.sent_up = bytearray()
        self.lock = threading.Lock()

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            if self.dead:
                _reset(sock)
            else:
                sock.close()

    def _kill(self, counter: str | None = None) -> None:
        """Reset both ends; `counter` names the injected fault (None: a peer went away by itself)."""
        with self.lock:
            if self.dead:
                return
            self.dead = True
        if counter:
            with self.proxy._lock:
                setattr(self.proxy.stats, counter, getattr(self.proxy.stats, counter) + 1)
        for sock in (self.client, self.upstream):
            _reset(sock)

    def pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        try:
            self._pump(src, dst, direction)
        except OSError:  # the other pump (or reset_all) closed the sockets under us
            self._kill()

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        proxy, stalls_in_row = self.proxy, 0
        src.settimeout(0.2)
        while not self.dead and not proxy._closing.is_set():
            try:
                data = src.recv(CHUNK)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                self._kill()
                return
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if direction == "down" and self.cut_reply:
                self._kill("cuts")
                return
            if proxy.loss and proxy.rng.random() < proxy.loss:  # a lost packet: wait for the retransmission
                stalls_in_row += 1
                with proxy._lock:
                    proxy.stats.stalls += 1
                if stalls_in_row >= 3:
                    self._kill("cuts")
                    return
                time.sleep(proxy.stall_base * 2 ** (stalls_in_row - 1))
            else:
                stalls_in_row = 0
            if proxy.rate:
                time.sleep(len(data) / proxy.rate)
            with self.lock:
                self.moved += len(data)
                over = self.cut_at is not None and self.moved >= self.cut_at
            if over:
                self._kill("cuts")
                return
            if direction == "up" and proxy.record:
                self.sent_up += data
            try:
                dst.sendall(data)
            except OSError:
                self._kill()
                return
            with proxy._lock:
                if direction == "up":
                    proxy.stats.bytes_up += len(data)
                else:
                    proxy.stats.bytes_down += len(data)

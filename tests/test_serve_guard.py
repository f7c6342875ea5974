"""`lantern serve` under hostile clients (issue 18, items 5 and 6), with a real waitress on 127.0.0.1:
request bodies are refused before they are stored and their temporary files stay small and on the data
disk; one address cannot hold every connection; read deadlines are absolute."""
import http.client
import select
import socket
import threading
import time
from pathlib import Path

import pytest

from bench.answer_storm import prepare_school
from bench.server_process import HOST, start_server
from server.device.http_server import body_limit

pytestmark = pytest.mark.slow
PIECE = 64 * 1024
OVERSIZED = 60 * 1024**2  # under the old 64 MB waitress ceiling, far over any route's limit


def _dir_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*") if folder.exists() else []:
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            pass  # removed while we looked
    return total


def _status_of(sock: socket.socket) -> str:
    sock.settimeout(10)
    try:
        head = sock.recv(64)
    except OSError:
        return "closed"
    return head.split(b" ")[1].decode() if head.startswith(b"HTTP/1.1 ") else "closed"


def _answered(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def _send_body(sock: socket.socket, chunked: bool) -> str:
    """Send an oversized body in pieces, stopping as soon as the server answers; return its status."""
    sent, piece = 0, b"x" * PIECE
    try:
        while sent < OVERSIZED and not _answered(sock):
            sock.sendall(b"%x\r\n%s\r\n" % (PIECE, piece) if chunked else piece)
            sent += PIECE
        if chunked and sent >= OVERSIZED:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server closed the connection after answering
    return _status_of(sock)


def _oversized_post(port: int, chunked: bool, results: list) -> None:
    sock = socket.create_connection((HOST, port), timeout=30)
    length = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % OVERSIZED
    sock.sendall(b"POST /projects/p1/hand-in HTTP/1.1\r\nHost: school.test\r\n"
                 b"Content-Type: application/octet-stream\r\n" + length + b"\r\n\r\n")
    if not chunked and select.select([sock], [], [], 1.0)[0]:
        results.append(_status_of(sock))  # refused from the headers alone
    else:
        results.append(_send_body(sock, chunked))
    sock.close()


@pytest.fixture
def school_server(tmp_path, monkeypatch):
    """`lantern serve` on the demo school, its system temporary folder a fresh one we can watch."""
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))
    prepare_school(tmp_path / "data", learners=0)
    servers = []

    def start(*extra):
        server = start_server(tmp_path / "data", tmp_path / "server.log", extra=extra)
        servers.append(server)
        return server
    yield start, tmp_path / "data" / "spool", system_tmp
    for server in servers:
        server.stop()


def test_eight_oversized_bodies_at_once_leave_under_20_mb_of_temporary_files(school_server):
    start, spool, system_tmp = school_server
    server = start()
    peak, done = {"temp": 0}, threading.Event()

    def sample():
        while not done.is_set():
            peak["temp"] = max(peak["temp"], _dir_bytes(spool) + _dir_bytes(system_tmp))
            time.sleep(0.02)
    sampler = threading.Thread(target=sample)
    sampler.start()
    results: list = []
    senders = [threading.Thread(target=_oversized_post, args=(server.port, n % 2 == 1, results)) for n in range(8)]
    for t in senders:
        t.start()
    for t in senders:
        t.join(120)
    done.set()
    sampler.join()
    print(f"\n8 oversized bodies: peak temporary files {peak['temp'] / 1024**2:.1f} MB, answers {sorted(results)}")
    assert peak["temp"] < 20 * 1024**2
    assert len(results) == 8 and set(results) <= {"413", "503", "closed"} and results.count("413") >= 4
    assert _dir_bytes(system_tmp) == 0 and _dir_bytes(spool) == 0  # nothing in /tmp; the spool is emptied


def test_a_body_within_its_route_limit_still_reaches_the_app(school_server):
    start, spool, _ = school_server
    server = start()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
    body = b"username=x&password=" + b"9" * (600 * 1024)  # over waitress's memory buffer: spooled to disk
    conn.request("POST", "/signin", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert conn.getresponse().status == 400  # the app's answer (no CSRF token), not the server's 413
    conn.close()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
    conn.request("POST", "/signin", body=b"x" * (body_limit("POST", "/signin") + 1))
    assert conn.getresponse().status == 413
    conn.close()
    deadline = time.monotonic() + 10  # a spooled body is removed when its connection is cleaned up
    while _dir_bytes(spool) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _dir_bytes(spool) == 0


def test_one_address_cannot_hold_every_connection(school_server):
    """300 slow connections from 127.0.0.1 with a limit of 100: 127.0.0.2 is still answered."""
    start, _, _ = school_server
    server = start("--connection-limit", "100")
    held = []
    try:
        for _ in range(300):
            try:
                sock = socket.create_connection((HOST, server.port), timeout=5)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never finished
                held.append(sock)
            except OSError:
                break
        time.sleep(0.5)
        other = socket.create_connection((HOST, server.port), timeout=1, source_address=("127.0.0.2", 0))
        other.settimeout(1.0)
        other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert other.recv(64).startswith(b"HTTP/1.1 200")
        other.close()
    finally:
        for sock in held:
            sock.close()


def test_a_trickled_request_is_closed_at_its_deadline_not_kept_alive_by_each_byte(school_server):
    start, _, _ = school_server
    server = start("--header-timeout", "2", "--idle-timeout", "3")
    sock = socket.create_connection((HOST, server.port), timeout=5)
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    closed_after = None
    began = time.monotonic()
    for n, byte in enumerate(request):
        try:
            sock.sendall(bytes([byte]))
            if _answered(sock) and sock.recv(1) == b"":
                closed_after = n
                break
        except OSError:
            closed_after = n
            break
        time.sleep(0.1)  # one byte every 0.1 s: waitress's idle timer never fires
    sock.close()
    assert closed_after is not None, "the server kept the trickling connection open for 20 s"
    assert time.monotonic() - began < 15


def _http(port, method, path, source="127.0.0.1", headers=None, body=None, cookies=None):
    """One request from `source`; (status, headers as a list, body text)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10, source_address=(source, 0))
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    result = response.status, response.getheaders(), response.read().decode("utf-8", "replace")
    conn.close()
    return result


def _sign_in(port, username, pin, source, forwarded=None):
    """GET the form then POST it, as a browser behind (or pretending to be behind) the proxy."""
    import re
    headers = dict(forwarded or {})
    _, got, page = _http(port, "GET", "/signin", source, headers)
    cookies = dict(v.split(";")[0].split("=", 1) for k, v in got if k.lower() == "set-cookie")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    status, got, _ = _http(port, "POST", "/signin", source, headers, f"username={username}&password={pin}&csrf={csrf}",
                           cookies)
    return status, [v for k, v in got if k.lower() == "set-cookie"]


def test_behind_the_trusted_proxy_the_real_client_is_throttled_and_cookies_are_secure(school_server):
    start, _, _ = school_server
    server = start("--trusted-proxy", "127.0.0.1")
    via = lambda client: {"X-Forwarded-For": client, "X-Forwarded-Proto": "https"}  # noqa: E731
    status, cookies = _sign_in(server.port, "amina", "1234", "127.0.0.1", via("198.51.100.7"))
    assert status == 302 and any("lantern_session" in c and "Secure" in c for c in cookies), cookies
    for n in range(30):  # one client behind the proxy guesses 30 times (different names: its address locks)
        _sign_in(server.port, f"nobody{n}", "9999", "127.0.0.1", via("203.0.113.5"))
    assert _sign_in(server.port, "juma", "2345", "127.0.0.1", via("203.0.113.5"))[0] == 429
    assert _sign_in(server.port, "juma", "2345", "127.0.0.1", via("198.51.100.8"))[0] == 302  # others are not
    # From anywhere else the header is not believed: 127.0.0.2 claiming to be the locked client is not locked,
    # and claiming https does not make its cookies Secure.
    status, cookies = _sign_in(server.port, "neema", "3456", "127.0.0.2", via("203.0.113.5"))
    assert status == 302 and not any("Secure" in c for c in cookies if "lantern_session" in c)

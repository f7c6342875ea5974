"""The signed-in lesson page against the stack's floor, in one run: requests/s of Lantern's lesson page (a
learner signed in) and of a bare Flask + Jinja2 page that selects 20 rows from SQLite, both under waitress
on the same pinned core, driven by the same keep-alive load. Also /healthz and the sign-in page.

    python -m bench.lesson_floor [--seconds 10] [--connections 16] [--workers 1] [--pi-model pi4]

The servers run pinned to CPU 0 (taskset) and the load on the other CPUs when there are any; with
--pi-model they run under ../shared/tools/pi-core (a Pi-class CPU quota, --workers cores of it for Lantern,
one core for the floor page). Asserts nothing about speed.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import server_process  # noqa: E402
from bench.answer_storm import prepare_school  # noqa: E402
from bench.server_process import HOST, free_port  # noqa: E402
from bench.tables import format_table  # noqa: E402

LESSON = "/packs/fractions/lessons/what-is-a-fraction"
FLOOR_APP = textwrap.dedent('''
    import sqlite3, sys, threading
    from flask import Flask, render_template_string
    import waitress
    db_path, port = sys.argv[1], int(sys.argv[2])
    local = threading.local()
    PAGE = """<!doctype html><html lang="en"><head><title>{{ title }}</title></head><body><main><h1>{{ title }}</h1>
    <ul>{% for r in rows %}<li><a href="/l/{{ r[0] }}">{{ r[1] }}</a> {{ r[2] }}</li>{% endfor %}</ul></main></body></html>"""
    app = Flask(__name__)
    @app.get("/floor")
    def floor():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = sqlite3.connect(db_path)
        rows = conn.execute("SELECT lesson_id, title, position FROM lesson ORDER BY id LIMIT 20").fetchall()
        return render_template_string(PAGE, title="Floor", rows=rows)
    waitress.serve(app, host="127.0.0.1", port=port, threads=6, _quiet=True)
''')


def _start(command: list[str], cores: int) -> subprocess.Popen:
    """A server under bench.run's pinning or Pi-class quota (`cores` of it), in its own session."""
    saved = server_process.PI_CORES
    server_process.PI_CORES = cores
    try:
        return subprocess.Popen(server_process.pinned(command), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    finally:
        server_process.PI_CORES = saved


def _stop(proc: subprocess.Popen) -> None:
    for signum in (signal.SIGINT, signal.SIGKILL):
        try:
            os.killpg(proc.pid, signum)
            proc.wait(20)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def load(port: int, path: str, seconds: float, connections: int, cookie: str = "") -> dict:
    """Keep-alive GETs of one path from `connections` threads for `seconds`: requests/s and errors."""
    request = (f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept-Language: en\r\n"
               + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode()
    counts, errors, latencies = [0] * connections, [0] * connections, [[] for _ in range(connections)]
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        sock = None
        while time.monotonic() < deadline:
            try:
                if sock is None:
                    sock = socket.create_connection((HOST, port), timeout=30)
                started = time.perf_counter()
                sock.sendall(request)
                status, keep_alive = _read_response(sock, with_keep_alive=True)
                if status != 200:
                    errors[n] += 1
                counts[n] += 1
                latencies[n].append(time.perf_counter() - started)
                if not keep_alive:  # the server closes after this response: a new connection, not an error
                    sock.close()
                    sock = None
            except (OSError, ValueError, IndexError):
                errors[n] += 1
                if sock is not None:
                    sock.close()
                sock = None
        if sock is not None:
            sock.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    ordered = sorted(x for values in latencies for x in values)
    p95 = ordered[int(0.95 * (len(ordered) - 1))] * 1000 if ordered else None
    return {"rps": sum(counts) / took, "errors": sum(errors), "p95_ms": p95}


def _read_response(sock, with_keep_alive: bool = False):
    """Read one HTTP/1.1 response (Content-Length or chunked) off a keep-alive socket; its status (and
    whether the connection stays open)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += _recv(sock)
    head, body = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    if length:
        while len(body) < int(length.group(1)):
            body += _recv(sock)
    elif re.search(rb"(?i)\r\ntransfer-encoding: *chunked", head):
        while not body.endswith(b"0\r\n\r\n"):
            body += _recv(sock)
    else:  # no length: the body ends when the server closes the connection
        try:
            while True:
                body += _recv(sock)
        except ConnectionError:
            return (status, False) if with_keep_alive else status
    keep_alive = not re.search(rb"(?i)\r\nconnection: *close", head)
    return (status, keep_alive) if with_keep_alive else status


def _recv(sock) -> bytes:
    chunk = sock.recv(65536)
    if not chunk:
        raise ConnectionError("closed")
    return chunk


def cpu_per_request(requests: int = 300) -> dict[str, float]:
    """CPU ms per request in this process (Flask test clients, no HTTP), interleaved in rounds so a busy host
    weighs on both alike: Lantern's signed-in lesson page, and the floor page on the same database."""
    import sqlite3

    from flask import Flask, render_template_string

    from bench import fixtures
    from server import create_app

    data = fixtures.demo_copy("floor-cpu")
    app = create_app(fixtures.open_data(data))
    lantern = app.test_client()
    page = lantern.get("/signin").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    lantern.post("/signin", data={"username": "amina", "password": "1234", "csrf": csrf})
    floor_app, conn = Flask("floor"), sqlite3.connect(data / "lantern.db", check_same_thread=False)
    template = FLOOR_APP.split('PAGE = """', 1)[1].split('"""', 1)[0]
    floor_app.add_url_rule("/floor", "floor", lambda: render_template_string(template, title="Floor", rows=conn.execute(
        "SELECT lesson_id, title, position FROM lesson ORDER BY id LIMIT 20").fetchall()))
    floor = floor_app.test_client()
    spent = {"lesson": 0.0, "floor": 0.0}
    for _ in range(10):
        for name, client, path in (("lesson", lantern, LESSON), ("floor", floor, "/floor")):
            started = time.process_time()
            for _ in range(requests // 10):
                assert client.get(path, headers={"Accept-Language": "en"}).status_code == 200
            spent[name] += time.process_time() - started
    return {name: 1000 * seconds / requests for name, seconds in spent.items()}


def _session_cookie(port: int) -> str:
    """Sign amina in through the real form; the session cookie."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://{HOST}:{port}/signin", timeout=30).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    opener.open(f"http://{HOST}:{port}/signin", urllib.parse.urlencode(
        {"username": "amina", "password": "1234", "csrf": csrf}).encode(), timeout=60).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar if c.name == "lantern_session")


def _wait(port: int, path: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=5) as sock:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                if _read_response(sock) == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server not ready")


def bench(quick: bool = False, seconds: float | None = None, connections: int = 16,
          workers: int | None = None) -> list[tuple[str, str]]:
    """Figures for bench.run: lesson page, floor page, their ratio, /healthz, sign-in page."""
    seconds = seconds or (3.0 if quick else 10.0)
    workers = workers or int(os.environ.get("LANTERN_WORKERS", "1"))
    with tempfile.TemporaryDirectory(prefix="lantern-floor-") as tmp:
        data = Path(tmp) / "data"
        prepare_school(data, learners=0)
        port, floor_port = free_port(), free_port()
        lantern = _start(server_process.lantern_command() + [
            "serve", "--data", str(data), "--host", HOST, "--port", str(port), "--workers", str(workers)],
            server_process.PI_CORES)
        floor = _start([sys.executable, "-c", FLOOR_APP, str(data / "lantern.db"), str(floor_port)], 1)
        try:
            _wait(port, "/healthz", lantern)
            _wait(floor_port, "/floor", floor)
            cookie = _session_cookie(port)
            for warm in (LESSON, "/signin", "/healthz"):
                load(port, warm, 1.0, 2, cookie)
            load(floor_port, "/floor", 1.0, 2)
            lesson = load(port, LESSON, seconds, connections, cookie)
            floor_page = load(floor_port, "/floor", seconds, connections)
            health = load(port, "/healthz", seconds / 2, connections)
            signin = load(port, "/signin", seconds / 2, connections)
        finally:
            for proc in (lantern, floor):
                _stop(proc)
    model = server_process.PI_MODEL
    where = (f"{model}-class x{server_process.PI_CORES}, {workers} worker(s)" if model
             else f"{workers} worker(s), CPU {server_process.CPU_PIN or 'any'}")
    cpu = cpu_per_request(100 if quick else 300)
    return [
        ("in-process CPU per request: lesson page / floor page", f"{cpu['lesson']:.2f} ms / {cpu['floor']:.2f} ms = "
                                                               f"{cpu['lesson'] / cpu['floor']:.2f}x"),
        (f"signed-in lesson page req/s ({where})", f"{lesson['rps']:,.0f} (p95 {lesson['p95_ms']:.0f} ms, "
                                                   f"{lesson['errors']} errors)"),
        ("Jinja2 + SQLite floor page req/s (1 process)", f"{floor_page['rps']:,.0f} ({floor_page['errors']} errors)"),
        ("floor / lesson page", f"{floor_page['rps'] / max(lesson['rps'], 1e-9):.2f}x"),
        ("/healthz req/s", f"{health['rps']:,.0f}"),
        ("sign-in page req/s", f"{signin['rps']:,.0f}"),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pi-model", choices=["pi4", "pi5", "pi3", "zero2"])
    args = parser.parse_args(argv)
    if args.pi_model:
        server_process.PI_MODEL, server_process.PI_CORES = args.pi_model, args.workers
    else:
        from bench.run import pin_to_one_core

        print(pin_to_one_core(), file=sys.stderr)
    figures = bench(seconds=args.seconds, connections=args.connections, workers=args.workers)
    print(format_table(["figure", "value"], [list(f) for f in figures], "Lesson page against the floor"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A bounded answer storm against the real server (waitress in a subprocess): no acknowledged answer is lost.

The same code as `python -m bench.answer_storm`, small: 40 learners for 10 seconds. Speed is not asserted
here (bench/README.md has the figures); correctness under load is.
"""
import http.client
import socket

import pytest

from bench.answer_storm import prepare_school, storm
from bench.server_process import HOST, start_server

pytestmark = pytest.mark.slow


def test_every_acknowledged_answer_is_stored_under_an_answer_storm(tmp_path):
    figures = storm(learners=40, seconds=10, workdir=tmp_path)
    assert figures["answers_acked"] >= 40, figures
    assert figures["events_stored"] == figures["answers_acked"], figures
    assert figures["lost"] == 0 and figures["stored_not_acked"] == 0 and figures["duplicate_acks"] == 0
    assert figures["server_5xx"] == 0, figures["errors"]
    assert figures["database_locked"] == 0
    assert figures["errors"] == {}, figures["errors"]
    assert figures["stuck_clients"] == 0


def test_a_phone_is_served_while_150_others_hold_idle_connections(tmp_path):
    """Phones keep idle keep-alive connections; waitress's default limit (100) locked the rest of a class out."""
    prepare_school(tmp_path / "data", learners=0)
    server = start_server(tmp_path / "data", tmp_path / "server.log")
    idle = []
    try:
        for _ in range(150):
            idle.append(socket.create_connection((HOST, server.port), timeout=5))
        conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        for sock in idle:
            sock.close()
        server.stop()

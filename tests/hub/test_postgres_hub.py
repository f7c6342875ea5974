"""The hub on real PostgreSQL: two hub processes sharing one database (as behind a proxy),
schools pushing to either, every event stored exactly once."""
import os
import re
import subprocess
import uuid

import pytest

from server.db import database
from server.models import Outbox
from server.learning.progress import record_event
from sync.client import pair, push_pending
from sync.transport import HttpTransport
from tests.test_cli import LANTERN, free_port, wait_healthy

ADMIN_URL = os.environ.get("LANTERN_TEST_PG", "postgresql://lantern:lantern@127.0.0.1:5432/postgres")


@pytest.fixture(scope="module")
def pg_url():
    psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is installed by ./install.sh --dev")
    try:
        admin = psycopg2.connect(ADMIN_URL, connect_timeout=3)
    except psycopg2.OperationalError as err:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"PostgreSQL is required in CI (tests/hub/setup-postgres.sh): {err}")
        pytest.skip(f"no PostgreSQL at {ADMIN_URL} (run tests/hub/setup-postgres.sh): {err}")
    admin.autocommit = True
    name = f"lantern_test_{uuid.uuid4().hex[:10]}"
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture(scope="module")
def hubs(pg_url, tmp_path_factory):
    """Two hub processes on one PostgreSQL database, each with its own (empty) data folder."""
    processes, urls = [], []
    env = {**os.environ, "LANTERN_DATABASE": pg_url}
    blobs = tmp_path_factory.mktemp("hub-shared")
    try:
        for _ in range(2):
            port = free_port()
            process = subprocess.Popen([LANTERN, "serve", "--role", "hub", "--data", str(blobs), "--host",
                                        "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
            assert wait_healthy(urls[-1], process)["role"] == "hub"
        yield {"urls": urls, "env": env, "data": blobs, "pg": pg_url}
    finally:
        for process in processes:
            process.terminate()
            process.communicate(timeout=20)


def _code(hubs) -> str:
    out = subprocess.run([LANTERN, "hub", "add-school", "--data", str(hubs["data"]), "Shule ya Ziwa"],
                         env=hubs["env"], capture_output=True, text=True, timeout=60, check=True).stdout
    return re.search(r"Pairing code: (\S+)", out).group(1)


def test_two_hub_processes_on_postgresql_store_every_event_once(hubs, demo_app, people):
    import psycopg2

    data = demo_app.config["DATA_DIR"]
    with database.connection_context():
        pair(HttpTransport(hubs["urls"][0]), _code(hubs), data)
        for n in range(25):
            record_event(people["amina"].id, "answer", {"pack_id": "fractions", "item_id": f"p{n}", "skill_id": None,
                                                        "correct": True, "score": 1.0})
        first = push_pending(HttpTransport(hubs["urls"][0]), data, batch=10)
        assert first.sent == 25 and Outbox.select().count() == 0
        for n in range(5):
            record_event(people["juma"].id, "lesson_opened", {"pack_id": "fractions", "lesson_id": f"l{n}"})
        rows = list(Outbox.select().order_by(Outbox.seq))
        second = push_pending(HttpTransport(hubs["urls"][1]), data)  # the other process behind the proxy
        assert second.sent == 5
        from sync.client import _push_body, _signed_headers
        from server.identity import device_key
        from server.models import SyncState
        device = SyncState.get(SyncState.key == "hub_device_id").value
        school = SyncState.get(SyncState.key == "hub_school_id").value
        body = _push_body(rows, school)
    again = HttpTransport(hubs["urls"][0]).post(
        "/sync/v1/push", body, _signed_headers(device_key(data), device, "/sync/v1/push", body))
    assert again.status == 200  # the same batch at the other process: no change
    connection = psycopg2.connect(hubs["pg"])
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM received_event WHERE school_id = %s", (school,))
        assert cursor.fetchone() == (30, 30)
        cursor.execute("SELECT events_received FROM hub_school WHERE id = %s", (school,))
        assert cursor.fetchone() == (30,)
    finally:
        connection.close()

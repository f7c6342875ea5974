"""Each request thread keeps its SQLite connection open (the PRAGMAs run once per thread, not per request),
and a request that leaves a transaction open has it rolled back, never carried into the next request."""
import threading

from server.db import database
from server.models import School


def test_a_thread_keeps_one_connection_with_the_pragmas_in_force(app):
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    conn = database.obj._state.conn
    assert conn is not None and not database.is_closed()
    assert client.get("/healthz").status_code == 200
    assert database.obj._state.conn is conn  # the same connection served the second request
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 15000
    assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: commits flushed as a group
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_threads_have_their_own_connections(app):
    client = app.test_client()
    client.get("/healthz")
    mine, theirs = database.obj._state.conn, []

    def other():
        app.test_client().get("/healthz")
        theirs.append(database.obj._state.conn)

    worker = threading.Thread(target=other)
    worker.start()
    worker.join(30)
    assert theirs and theirs[0] is not None and theirs[0] is not mine


def test_a_transaction_left_open_by_a_request_is_rolled_back_and_its_connection_closed(app):
    @app.get("/test-leaves-a-transaction-open")
    def leave_open():
        database.execute_sql("BEGIN IMMEDIATE")
        School.update(name="Never committed").execute()
        return "left open"
    leave_open.lantern_roles = frozenset({"public"})

    client = app.test_client()
    assert client.get("/test-leaves-a-transaction-open").status_code == 200
    assert database.is_closed()  # closed after the rollback; the next request opens a clean one
    assert client.get("/healthz").status_code == 200
    with database.connection_context():
        assert School.select().where(School.name == "Never committed").count() == 0
        assert School.select().where(School.name == "Test School").count() == 1

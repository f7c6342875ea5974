"""The database: one deferred peewee handle, opened from a path or URL at start-up.

SQLite is used the way it survives power cuts on an SD card (docs/architecture.md):
WAL journal, foreign keys on, a busy timeout, every transaction `BEGIN IMMEDIATE`
(no lock upgrades, so no "database is locked" storms), and synchronous=FULL so a
commit that returned is on the card. PostgreSQL is selected by a postgres:// URL.
"""
import threading
from typing import Callable

from flask import g
from peewee import DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect as connect_url

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": "full",
    "cache_size": -4000,  # KiB: a small page cache suits a 1 GB Pi
    "temp_store": "memory",
}


def open_database(target: str):
    """Create the concrete database for a file path or a URL and bind the proxy to it."""
    if "://" in target:
        db = connect_url(target)
        if isinstance(db, SqliteDatabase):
            db = SqliteDatabase(db.database, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    else:
        db = SqliteDatabase(target, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                            check_same_thread=False)
    database.initialize(db)
    return db


def is_sqlite() -> bool:
    """True when the bound database is SQLite."""
    return isinstance(database.obj, SqliteDatabase)


def init_app(app) -> None:
    """Open the database for the app and manage the connections of the request threads.

    SQLite: each waitress thread keeps its own connection open from one request to the next (peewee's
    connection state is per thread), so the PRAGMAs above run once per thread, not once per request (they
    were ~15 % of a practice cycle). Every write is still its own `BEGIN IMMEDIATE` transaction; a
    transaction a request left open is rolled back and that connection closed, so the next request starts
    clean. PostgreSQL (the hub): one connection per request, as before.
    """
    open_database(app.config["DATABASE"])
    keep_open = is_sqlite()

    @app.before_request
    def _connect():
        # connect() returns True when it opened a connection; a hook must return nothing.
        g.db_opened = database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if database.is_closed():
            return
        if keep_open and not _left_in_transaction():
            return
        if keep_open or g.get("db_opened"):
            _rollback_and_close()


def _left_in_transaction() -> bool:
    """True when this thread's connection is inside a transaction (peewee's or SQLite's own)."""
    conn = database.obj._state.conn
    return bool(database.in_transaction() or getattr(conn, "in_transaction", False))


def _rollback_and_close() -> None:
    """Close this thread's connection, rolling back whatever a request left uncommitted."""
    try:
        if _left_in_transaction():
            database.obj._state.conn.rollback()
    finally:
        database.obj._state.transactions.clear()
        database.close()


class QueryShape:
    """A query on a hot path whose SQL text peewee builds once per database, then runs with new values.

    Decisions: building a query (expressions, joins, quoting) cost more CPU than SQLite spent running it
    (58 % of a request's time was peewee compiling SQL, bench/profile_requests.py). `build(*placeholders)`
    is called once with unique marker strings; the SQL text and where each marker landed among the parameters
    are kept, and `execute(*values)` passes the new values in those places. Values must already be in their
    database form (the field's `db_value`), since no field converts them any more.
    """

    def __init__(self, build: Callable):
        self.build = build
        self._compiled: dict = {}  # database class -> (sql, [argument index or ("const", value)])
        self._lock = threading.Lock()

    def _compile(self):
        kind = type(database.obj)
        compiled = self._compiled.get(kind)
        if compiled is None:
            markers = [f"\x00lantern-arg-{n}\x00" for n in range(self.build.__code__.co_argcount)]
            sql, params = self.build(*markers).sql()
            slots = [markers.index(p) if p in markers else ("const", p) for p in params]
            assert sorted(s for s in slots if isinstance(s, int)) == list(range(len(markers))), \
                "every argument of a query shape must be used exactly once"
            with self._lock:
                compiled = self._compiled.setdefault(kind, (sql, slots))
        return compiled

    def execute(self, *values):
        """Run the query with these values; the database cursor."""
        sql, slots = self._compile()
        params = [values[s] if isinstance(s, int) else s[1] for s in slots]
        return database.execute_sql(sql, params)


def rows_to_model(model, cursor, fields) -> list:
    """Instances of `model` from rows of `fields` (as peewee would make them, but without its cursor wrapper)."""
    converters = [(f.name, f.python_value) for f in fields]
    made = []
    for row in cursor:
        instance = model(__no_default__=1, **{name: convert(value) for (name, convert), value in zip(converters, row)})
        instance._dirty.clear()
        made.append(instance)
    return made

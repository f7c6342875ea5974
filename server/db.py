"""The database: one deferred peewee handle, opened from a path or URL at start-up.

SQLite is used the way it survives power cuts on an SD card (docs/architecture.md):
WAL journal, foreign keys on, a busy timeout, every transaction `BEGIN IMMEDIATE`
(no lock upgrades, so no "database is locked" storms), and a commit that returned is on the card.
PostgreSQL is selected by a postgres:// URL.

Decisions (group commit): with synchronous=FULL SQLite flushes the WAL inside every COMMIT, while it still
holds the write lock, so a burst of answers runs at one commit per flush (a few ms each on an SD card). Here
SQLite commits without flushing (synchronous=NORMAL) and `commit()` returns only after a flush of the WAL
file that began after the commit (`WalFlusher`): one thread flushes for every commit made meanwhile, and the
others wait for that flush, with the write lock already free for the next writers. A commit that returned is
on the card exactly as before; under a burst one flush covers many answers. Writes outside a transaction
(autocommit statements) are flushed the same way. Checkpoints flush as SQLite always does.
"""
import os
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
    "synchronous": "normal",  # the commit's flush is DurableSqliteDatabase's (group commit), see above
    "cache_size": -4000,  # KiB: a small page cache suits a 1 GB Pi
    "temp_store": "memory",
}


class WalFlusher:
    """Group commit: `flush()` returns once a flush of the WAL file that began after the call has finished.

    One caller at a time flushes (the leader); callers arriving meanwhile wait and are covered by the next
    flush, which one of them leads. `flushes` counts flushes (bench/fsync.py counts them at the system call).
    """

    def __init__(self, wal_path: str, sync=os.fdatasync):
        self.wal_path, self.sync = wal_path, sync
        self._cond = threading.Condition()
        self._requested = self._done = 0
        self._flushing = False
        self.flushes = 0

    def flush(self) -> None:
        """Make every commit this process has returned from so far durable."""
        with self._cond:
            self._requested += 1
            ticket = self._requested
            while self._done < ticket:
                if self._flushing:
                    self._cond.wait()
                    continue
                self._flushing, covers = True, self._requested
                self._cond.release()
                try:
                    self._flush_file()
                finally:
                    self._cond.acquire()
                    self._flushing = False
                    self._cond.notify_all()
                self._done = max(self._done, covers)

    def _flush_file(self) -> None:
        # Opened anew each time: SQLite deletes the WAL when its last connection closes (after checkpointing it
        # into the database, flushed), so a kept descriptor could point at a deleted file.
        try:
            fd = os.open(self.wal_path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            self.sync(fd)
            self.flushes += 1
        finally:
            os.close(fd)


class DurableSqliteDatabase(SqliteDatabase):
    """SQLite whose commits return only once on the card, flushed as a group (see the module docstring)."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self.flusher = WalFlusher(f"{database}-wal")

    def commit(self):
        """COMMIT, then wait for the WAL flush that covers it."""
        super().commit()
        self.flusher.flush()

    def execute_sql(self, sql, params=None):
        """Run one statement; a write outside a transaction (autocommit) is flushed before returning."""
        conn = self.connection()
        changes = conn.total_changes
        cursor = super().execute_sql(sql, params)
        if conn.total_changes != changes and not conn.in_transaction:
            self.flusher.flush()
        return cursor


def open_database(target: str):
    """Create the concrete database for a file path or a URL and bind the proxy to it."""
    if "://" in target:
        db = connect_url(target)
        if isinstance(db, SqliteDatabase):
            db = DurableSqliteDatabase(db.database, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    else:
        db = DurableSqliteDatabase(target, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
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

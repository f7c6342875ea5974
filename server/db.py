"""The database: one deferred peewee handle, opened from a path or URL at start-up.

SQLite is used the way it survives power cuts on an SD card (docs/architecture.md):
WAL journal, foreign keys on, a busy timeout, every transaction `BEGIN IMMEDIATE`
(no lock upgrades, so no "database is locked" storms), and synchronous=FULL so a
commit that returned is on the card. PostgreSQL is selected by a postgres:// URL.
"""
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

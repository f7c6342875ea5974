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
    """Open the database for the app and manage one connection per request."""
    open_database(app.config["DATABASE"])

    @app.before_request
    def _connect():
        # connect() returns True when it opened a connection; a hook must return nothing.
        g.db_opened = database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if g.get("db_opened") and not database.is_closed():
            database.close()

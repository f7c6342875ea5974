"""The schema history can grow: a database built through every migration is exactly the database the models
describe (tables, columns with type / not-null / primary key, indexes with columns / unique, foreign keys), on
SQLite and on PostgreSQL; and the release-0.1 database, upgraded, ends up the same as a fresh install.

A new migration is covered without touching this file: it is in MIGRATIONS, so it runs here; if it and the
models disagree, the comparison names the table and what differs."""
import gzip
import importlib
import os
import pkgutil
import re
import shutil
import uuid
from pathlib import Path

import pytest
from peewee import SqliteDatabase

import server.migrations
import server.models
from server.db import database, open_database
from server.migrations import MIGRATIONS, run_migrations
from server.models.base import BaseModel
from server.models.school import Versioned
from tests.conftest import REPO

ADMIN_URL = os.environ.get("LANTERN_TEST_PG", "postgresql://lantern:lantern@127.0.0.1:5432/postgres")
ABSTRACT = {Versioned}  # model classes that only lend fields to others (no table of their own)
# Migrations that create what no model declares (raw-SQL indexes): the models' reference database gets them too.
SQL_ONLY = [server.migrations.m0003_answer_index]


def every_model() -> list[type]:
    """Every table model in server.models (and the migrations' own bookkeeping table)."""
    for info in pkgutil.iter_modules(server.models.__path__):
        importlib.import_module(f"server.models.{info.name}")
    found, stack = [], [BaseModel]
    while stack:
        for cls in stack.pop().__subclasses__():
            stack.append(cls)
            if cls not in ABSTRACT:
                found.append(cls)
    return found


def _column_types(db, table: str) -> dict[str, str]:
    """Declared column types with their lengths (peewee's PostgreSQL introspection drops the length)."""
    if isinstance(db, SqliteDatabase):
        return {c.name: c.data_type.upper() for c in db.get_columns(table)}
    rows = db.execute_sql("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                          "JOIN pg_class c ON a.attrelid = c.oid JOIN pg_namespace n ON c.relnamespace = n.oid "
                          "WHERE c.relname = %s AND n.nspname = current_schema() AND a.attnum > 0 "
                          "AND NOT a.attisdropped", (table,))
    return dict(rows.fetchall())


def describe(db) -> dict:
    """Each table's columns, indexes and foreign keys, as plain comparable values."""
    schema = {}
    for table in db.get_tables():
        types = _column_types(db, table)
        schema[table] = {
            "columns": {c.name: (types[c.name], c.null, c.primary_key) for c in db.get_columns(table)},
            "indexes": {i.name: (tuple(i.columns), bool(i.unique)) for i in db.get_indexes(table)},
            "foreign keys": sorted((f.column, f.dest_table, f.dest_column) for f in db.get_foreign_keys(table)),
        }
    return schema


def through_migrations(db) -> dict:
    database.initialize(db)
    with database.connection_context():
        assert run_migrations() == [number for number, _ in MIGRATIONS]
        return describe(db)


def from_models(db) -> dict:
    database.initialize(db)
    with database.connection_context():
        database.create_tables(every_model())
        for module in SQL_ONLY:
            server.migrations.apply_migration(module, None)
        return describe(db)


def assert_same_schema(built: dict, expected: dict) -> None:
    """Compare table by table, so a failure names the table and the part that differs."""
    assert sorted(built) == sorted(expected), "tables differ"
    for table in expected:
        for part in ("columns", "indexes", "foreign keys"):
            assert built[table][part] == expected[table][part], f"{table}: {part} differ"


@pytest.fixture(autouse=True)
def _restore_database():
    previous = database.obj
    yield
    database.initialize(previous)


def test_every_migration_is_listed_once_in_order():
    files = sorted(p.stem for p in Path(server.migrations.__file__).parent.glob("m[0-9][0-9][0-9][0-9]_*.py"))
    assert [module.__name__.rsplit(".", 1)[1] for _, module in MIGRATIONS] == files
    assert [number for number, _ in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    for number, module in MIGRATIONS:
        assert int(re.match(r"m(\d{4})_", module.__name__.rsplit(".", 1)[1]).group(1)) == number
        assert module.NAME and len(module.NAME) <= 100, module.__name__
        assert hasattr(module, "apply") or (module.SQLITE and module.POSTGRES), module.__name__


def test_a_fresh_sqlite_database_through_the_migrations_is_the_models(tmp_path):
    migrated = through_migrations(SqliteDatabase(tmp_path / "migrated.db"))
    expected = from_models(SqliteDatabase(tmp_path / "models.db"))
    assert "skill_state" in expected and "answer_class_items" in expected["answer"]["indexes"]
    assert_same_schema(migrated, expected)


def test_the_release_0_1_database_upgraded_is_a_fresh_install(tmp_path):
    with gzip.open(REPO / "tests" / "fixtures" / "release-0.1.db.gz") as src, open(tmp_path / "old.db", "wb") as dest:
        shutil.copyfileobj(src, dest)
    old = SqliteDatabase(tmp_path / "old.db")
    database.initialize(old)
    with database.connection_context():
        applied = run_migrations()
        upgraded = describe(old)
    assert applied == [number for number, _ in MIGRATIONS if number > 2]  # 0.1 had applied 1 and 2
    assert_same_schema(upgraded, through_migrations(SqliteDatabase(tmp_path / "fresh.db")))


@pytest.fixture
def pg_urls():
    """Two empty PostgreSQL databases (skipped without a server on 127.0.0.1; required in CI)."""
    psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is installed by ./install.sh --dev")
    try:
        admin = psycopg2.connect(ADMIN_URL, connect_timeout=3)
    except psycopg2.OperationalError as err:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"PostgreSQL is required in CI (tests/hub/setup-postgres.sh): {err}")
        pytest.skip(f"no PostgreSQL at {ADMIN_URL} (run tests/hub/setup-postgres.sh): {err}")
    admin.autocommit = True
    names = [f"lantern_test_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    try:
        for name in names:
            admin.cursor().execute(f"CREATE DATABASE {name}")
        yield [ADMIN_URL.rsplit("/", 1)[0] + "/" + name for name in names]
    finally:
        for name in names:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def test_a_fresh_postgresql_database_through_the_migrations_is_the_models(pg_urls):
    migrated = through_migrations(open_database(pg_urls[0]))
    expected = from_models(open_database(pg_urls[1]))
    assert expected["answer"]["indexes"]["answer_class_items"][0] == ("learner_id", "pack_id", "is_correct",
                                                                      "item_id")
    assert_same_schema(migrated, expected)

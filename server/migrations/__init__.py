"""Numbered schema migrations, applied in order and recorded in `schema_migrations`.

Each migration is a module `mNNNN_name.py` in this package, listed in MIGRATIONS below. It holds
`NAME` and either explicit DDL for both databases, `SQLITE = (...)` and `POSTGRES = (...)` (tuples of
statements, run in order), or a function `apply(migrator)` using playhouse.migrate operations.
Applied migrations are frozen: their SQL is what the models produced when they were written, so a
model changed later never changes what an old migration does.

How to add a migration (for example a column on skill_state):
1. change the model (server/models/…);
2. add `m0008_what_it_does.py` beside the others with `NAME` and the statements, e.g.
       NAME = "skill stability"
       SQLITE = ('ALTER TABLE "skill_state" ADD COLUMN "stability" REAL NOT NULL DEFAULT 0',)
       POSTGRES = ('ALTER TABLE "skill_state" ADD COLUMN "stability" REAL NOT NULL DEFAULT 0',)
   (`NOT NULL` needs a `DEFAULT` so existing rows get a value; peewee's column types are in
   docs/architecture.md "Adding a migration", with how to print the SQL of a new table or index);
3. import it here and append `(8, m0008_what_it_does)` to MIGRATIONS.
tests/test_migrations.py then builds a database through every migration and compares it with the
models (columns, indexes, foreign keys) on SQLite and PostgreSQL, and upgrades the release-0.1 fixture
through them to the same schema.

Decisions: a migration runs in one transaction with its bookkeeping row, so a power cut leaves it
either applied and recorded or neither (SQLite and PostgreSQL both have transactional DDL).
"""
import logging

from peewee import CharField, DateTimeField, IntegerField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

from server.db import database, is_sqlite
from server.migrations import (m0001_initial, m0002_sync_tables, m0003_answer_index, m0004_discussion_tables,
                               m0005_project_tables, m0006_sync_pull_tables, m0007_mastery_evidence)
from server.models.base import BaseModel, utcnow

log = logging.getLogger(__name__)

# (number, module): the number is the module's mNNNN prefix (tests/test_migrations.py checks both).
MIGRATIONS = [
    (1, m0001_initial),
    (2, m0002_sync_tables),
    (3, m0003_answer_index),
    (4, m0004_discussion_tables),
    (5, m0005_project_tables),
    (6, m0006_sync_pull_tables),
    (7, m0007_mastery_evidence),
]
# Migrations after which the derived tables are recomputed from the event log (server/device/maintenance.py).
REDERIVE_AFTER = {7}

# The bookkeeping table itself, frozen like a migration (it is created before any of them).
_BOOKKEEPING = {
    "sqlite": 'CREATE TABLE IF NOT EXISTS "schema_migrations" ("number" INTEGER NOT NULL PRIMARY KEY, '
              '"name" VARCHAR(100) NOT NULL, "applied_at" DATETIME NOT NULL)',
    "postgres": 'CREATE TABLE IF NOT EXISTS "schema_migrations" ("number" INTEGER NOT NULL PRIMARY KEY, '
                '"name" VARCHAR(100) NOT NULL, "applied_at" TIMESTAMP NOT NULL)',
}


class SchemaMigration(BaseModel):
    number = IntegerField(primary_key=True)
    name = CharField(max_length=100)
    applied_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "schema_migrations"


def apply_migration(module, migrator) -> None:
    """Run one migration: its `apply` function if it has one, else its statements for this database."""
    if hasattr(module, "apply"):
        module.apply(migrator)
        return
    for statement in (module.SQLITE if is_sqlite() else module.POSTGRES):
        database.execute_sql(statement)


def run_migrations() -> list[int]:
    """Apply pending migrations, each in its own transaction; return the numbers applied."""
    database.execute_sql(_BOOKKEEPING["sqlite" if is_sqlite() else "postgres"])
    done = {m.number for m in SchemaMigration.select(SchemaMigration.number)}
    migrator = SqliteMigrator(database.obj) if is_sqlite() else PostgresqlMigrator(database.obj)
    applied = []
    for number, module in MIGRATIONS:
        if number in done:
            continue
        with database.atomic():
            apply_migration(module, migrator)
            SchemaMigration.create(number=number, name=module.NAME)
        log.info("applied migration %d: %s", number, module.NAME)
        applied.append(number)
    return applied


def latest_migration() -> int:
    """The number of the newest migration this code knows."""
    return MIGRATIONS[-1][0]

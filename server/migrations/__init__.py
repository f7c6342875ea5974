"""Numbered schema migrations, applied in order and recorded in `schema_migrations`.

Rule for new migrations: never edit an applied one; add `NNNN_name.py` style entries to
MIGRATIONS that use playhouse.migrate operations (add_column, add_index …) and are safe
to run on a database the previous release created.
"""
import logging

from peewee import CharField, DateTimeField, IntegerField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

from server.db import database, is_sqlite
from server.models.base import BaseModel, utcnow

log = logging.getLogger(__name__)


class SchemaMigration(BaseModel):
    number = IntegerField(primary_key=True)
    name = CharField(max_length=100)
    applied_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "schema_migrations"


def _initial(migrator):
    """Create every table of the first release."""
    from server.models import ALL_MODELS
    database.create_tables(ALL_MODELS, safe=True)


def _sync_tables(migrator):
    """Tables for school↔hub sync (outbox, device identity, hub-side schools and events)."""
    from server.models.sync import SYNC_MODELS
    database.create_tables(SYNC_MODELS, safe=True)


MIGRATIONS = [
    (1, "initial schema", _initial),
    (2, "sync tables", _sync_tables),
]


def run_migrations() -> list[int]:
    """Apply pending migrations, each in its own transaction; return the numbers applied."""
    database.create_tables([SchemaMigration], safe=True)
    done = {m.number for m in SchemaMigration.select(SchemaMigration.number)}
    migrator = SqliteMigrator(database.obj) if is_sqlite() else PostgresqlMigrator(database.obj)
    applied = []
    for number, name, apply in MIGRATIONS:
        if number in done:
            continue
        with database.atomic():
            apply(migrator)
            SchemaMigration.create(number=number, name=name)
        log.info("applied migration %d: %s", number, name)
        applied.append(number)
    return applied


def latest_migration() -> int:
    """The number of the newest migration this code knows."""
    return MIGRATIONS[-1][0]

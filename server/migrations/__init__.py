"""Numbered schema migrations, applied in order and recorded in `schema_migrations`.

Rule for new migrations: never edit an applied one; add `NNNN_name.py` style entries to
MIGRATIONS that use playhouse.migrate operations (add_column, add_index …) and are safe
to run on a database the previous release created.

Imports inside functions: each migration reads the model list it creates only when it runs.
"""
import logging

from peewee import CharField, DateTimeField, IntegerField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

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


def _class_answer_index(migrator):
    """A covering index for a class's answers in a pack (item analysis reads only the index).

    PostgreSQL limits an index entry to ~2.7 KB and a response may be longer, so there (a hub, which
    shows no item analysis) the index leaves the response out."""
    columns = "learner_id, pack_id, is_correct, item_id" + (", response" if is_sqlite() else "")
    database.execute_sql(f"CREATE INDEX IF NOT EXISTS answer_class_items ON answer ({columns})")


def _discussion_tables(migrator):
    """Questions and answers under lessons, and coach-confirmed study buddies (issue 10)."""
    from server.models.discussion import DISCUSSION_MODELS
    database.create_tables(DISCUSSION_MODELS, safe=True)


def _sync_pull_tables(migrator):
    """Roster records on the hub (last-writer-wins), what the school sent, packs the hub offers (issue 6)."""
    from server.models.sync_pull import SYNC_PULL_MODELS
    database.create_tables(SYNC_PULL_MODELS, safe=True)


def _project_tables(migrator):
    """Projects, learners' plans, and hand-ins with their reviews (issue 10)."""
    from server.models.projects import PROJECT_MODELS
    database.create_tables(PROJECT_MODELS, safe=True)


def _trusted_publishers(migrator):
    """Publisher keys whose pack signatures this server trusts (issue 18)."""
    from server.models.content import TRUST_MODELS
    from server.models.sync_pull import HubPack
    database.create_tables(TRUST_MODELS, safe=True)
    columns = {c.name for c in database.get_columns(HubPack._meta.table_name)}
    if "signed_by" not in columns:  # a database made by migration 6 of this release already has it
        migrate(migrator.add_column(HubPack._meta.table_name, "signed_by", HubPack.signed_by))


def _class_pin_length(migrator):
    """A class can require longer PINs (issue 18)."""
    from server.models import Classroom
    columns = {c.name for c in database.get_columns(Classroom._meta.table_name)}
    if "pin_length" not in columns:  # the first migration of a fresh database already made it
        # One ALTER with its default (peewee's add_column would rebuild the table, which other tables refer to).
        database.execute_sql(f"ALTER TABLE {Classroom._meta.table_name} ADD COLUMN pin_length INTEGER NOT NULL DEFAULT 4")


def _roster_authority(migrator):
    """Which admins each paired device declared, and which device sent each roster record (issue 18)."""
    from server.models.sync_pull import AUTHORITY_MODELS, HubRecord
    database.create_tables(AUTHORITY_MODELS, safe=True)
    columns = {c.name for c in database.get_columns(HubRecord._meta.table_name)}
    if "sent_by" not in columns:
        migrate(migrator.add_column(HubRecord._meta.table_name, "sent_by", HubRecord.sent_by))


MIGRATIONS = [
    (1, "initial schema", _initial),
    (2, "sync tables", _sync_tables),
    (3, "covering index for item analysis", _class_answer_index),
    (4, "discussion posts and study pairs", _discussion_tables),
    (5, "projects and hand-ins", _project_tables),
    (6, "sync pull: roster records and offered packs", _sync_pull_tables),
    (7, "trusted pack publishers", _trusted_publishers),
    (8, "class PIN length", _class_pin_length),
    (9, "roster authority", _roster_authority),
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

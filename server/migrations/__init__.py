"""Numbered schema migrations, applied in order and recorded in `schema_migrations`.

Rule for new migrations: never edit an applied one; add `NNNN_name.py` style entries to
MIGRATIONS that use playhouse.migrate operations (add_column, add_index …) and are safe
to run on a database the previous release created.

Imports inside functions: each migration reads the model list it creates only when it runs.
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


def _mastery_evidence(migrator):
    """Mastery from evidence (issue 14): each skill state's estimate, when it was made, when mastery was taken
    back, and its evidence; each item's learned guess and slip. The values come from replaying the event log:
    `REDERIVE_AFTER` makes start-up run `lantern rebuild` once after this migration."""
    from playhouse.migrate import migrate
    from peewee import DateTimeField, FloatField

    from server.models.base import JSONField

    columns = {"skill_state": [("p_known", FloatField(null=True)), ("estimated_at", DateTimeField(null=True)),
                               ("refresh_at", DateTimeField(null=True)), ("evidence", JSONField(default=dict))],
               "item_stat": [(name, FloatField(default=0.0))
                             for name in ("guess_weight", "guess_excess", "slip_weight", "slip_excess")]}
    for table, fields in columns.items():
        present = {c.name for c in database.get_columns(table)}
        migrate(*(migrator.add_column(table, name, field) for name, field in fields if name not in present))


MIGRATIONS = [
    (1, "initial schema", _initial),
    (2, "sync tables", _sync_tables),
    (3, "covering index for item analysis", _class_answer_index),
    (4, "discussion posts and study pairs", _discussion_tables),
    (5, "projects and hand-ins", _project_tables),
    (6, "sync pull: roster records and offered packs", _sync_pull_tables),
    (7, "mastery from evidence", _mastery_evidence),
]
# Migrations after which the derived tables are recomputed from the event log (server/device/maintenance.py).
REDERIVE_AFTER = {7}


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

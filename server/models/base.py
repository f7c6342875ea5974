"""The base model bound to the deferred database, and small field helpers."""
import json
from datetime import datetime, timezone

from peewee import Model, TextField

from server.db import database


def utcnow() -> datetime:
    """Timezone-naive UTC now (stored as UTC everywhere)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class JSONField(TextField):
    """A JSON document stored as text (portable across SQLite and PostgreSQL)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False

"""The base model bound to the deferred database, and small field helpers."""
import json
from datetime import datetime, timezone

from peewee import Model, TextField

from server.db import database


_clock = None  # set only by simulations (bench/learning_sim.py) that replay weeks of school in minutes


def utcnow() -> datetime:
    """Timezone-naive UTC now (stored as UTC everywhere)."""
    if _clock is not None:
        return _clock()
    return datetime.now(timezone.utc).replace(tzinfo=None)


def set_clock(clock) -> None:
    """Make `utcnow` return `clock()` (a simulation's own time), or the real time again with None.

    Never used by the server itself: it lets a bench drive the real code path through simulated days."""
    global _clock
    _clock = clock


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

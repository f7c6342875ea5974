"""Small named sync values kept in the database (table `sync_state`)."""
from server.models import SyncState


def get_state(key: str, default=None):
    """A stored value, or `default`."""
    row = SyncState.get_or_none(SyncState.key == key)
    return row.value if row else default


def set_state(key: str, value) -> None:
    """Store (or replace) a value."""
    SyncState.insert(key=key, value=value).on_conflict_replace().execute()


def clear_state(key: str) -> None:
    """Forget a value."""
    SyncState.delete().where(SyncState.key == key).execute()

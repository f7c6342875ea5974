"""The content generation: a small file that is replaced whenever what the packs serve changes (a pack
switched in or removed, the search index written), so that every worker process can tell, with one stat()
per request and no SQL, that its in-memory copies of content are out of date.

Decisions:
- A file beside the SQLite database, not a row: a stat() costs microseconds and adds no statement to a
  page. Writers replace it atomically (write, then rename), so its inode and mtime change with every bump and
  no reader sees it half written. Its key is (inode, mtime in ns, size).
- Bumped after the transaction that changed content has committed: a reader that saw the old key may have
  read the new rows (harmless), and every request after the bump sees the new key and drops its copies.
- No file (PostgreSQL, the hub; an in-memory database): `current()` is None and callers do not cache.
- What is cached and for how long belongs to the caller (`GenerationCache`): bounded, per process.
"""
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from server.db import database, is_sqlite

FILE_SUFFIX = "-content-generation"


def _path() -> Path | None:
    if not is_sqlite():
        return None
    name = database.obj.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).with_name(Path(name).name + FILE_SUFFIX)


def current() -> tuple | None:
    """A key that changes whenever content changes (None: no generation file, do not cache)."""
    path = _path()
    if path is None:
        return None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        bump()
        info = os.stat(path)
    return info.st_ino, info.st_mtime_ns, info.st_size


def bump() -> None:
    """Tell every worker that content changed (call after the change has committed)."""
    path = _path()
    if path is None:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_text(str(time.time_ns()))
    os.replace(temporary, path)


class GenerationCache:
    """Values computed at most once per content generation, by name; at most `size` of them (least recently
    used go first). Thread-safe; the computation runs outside the lock (two threads may both compute)."""

    def __init__(self, size: int = 512):
        self.size = size
        self._key = None
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name, compute: Callable):
        """The cached value for `name`, computed with `compute()` when missing or out of date."""
        key = current()
        if key is None:
            return compute()
        with self._lock:
            if key != self._key:
                self._key, self._values = key, OrderedDict()
            values = self._values
            if name in values:
                values.move_to_end(name)
                return values[name]
        value = compute()
        with self._lock:
            if values is self._values:
                values[name] = value
                while len(values) > self.size:
                    values.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._values)

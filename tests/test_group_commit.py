"""Group commit (server/db.py): a commit returns only after a WAL flush that began after it, and a burst of
commits from many threads shares flushes instead of paying one each."""
import threading
import time

import pytest

from server.db import DurableSqliteDatabase, WalFlusher, open_database


class SlowCountingSync:
    """Stands in for fdatasync on a slow SD card: sleeps, then notes when the flush began and ended."""

    def __init__(self, seconds: float = 0.02):
        self.seconds, self.flushes, self.lock = seconds, [], threading.Lock()

    def __call__(self, fd: int) -> None:
        import os

        began = time.monotonic()
        time.sleep(self.seconds)
        os.fdatasync(fd)
        with self.lock:
            self.flushes.append((began, time.monotonic()))


@pytest.fixture
def db(tmp_path):
    database = open_database(str(tmp_path / "lantern.db"))
    assert isinstance(database, DurableSqliteDatabase)
    database.execute_sql("CREATE TABLE answer (id INTEGER PRIMARY KEY, learner TEXT)")
    yield database
    database.close()


def test_a_burst_of_commits_shares_flushes_and_each_returns_after_a_flush_that_covers_it(db):
    sync = SlowCountingSync()
    db.flusher.sync = sync
    returned, threads_count, per_thread = [], 12, 5

    def learner(n: int) -> None:
        for k in range(per_thread):
            with db.connection_context():
                with db.atomic():
                    db.execute_sql("INSERT INTO answer (learner) VALUES (?)", (f"{n}-{k}",))
                returned.append(n)  # the commit returned: its flush has finished

    threads = [threading.Thread(target=learner, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    commits = threads_count * per_thread
    assert db.execute_sql("SELECT count(*) FROM answer").fetchone()[0] == commits
    assert len(returned) == commits
    assert 1 <= len(sync.flushes) < commits / 2, f"{len(sync.flushes)} flushes for {commits} commits"


def test_a_commit_waits_for_a_flush_that_started_after_it(tmp_path):
    (tmp_path / "x.db-wal").write_bytes(b"wal")
    order = []
    flusher = WalFlusher(str(tmp_path / "x.db-wal"), sync=lambda fd: order.append("flush"))
    order.append("commit")
    flusher.flush()
    order.append("returned")
    assert order == ["commit", "flush", "returned"] and flusher.flushes == 1


def test_an_autocommit_write_is_flushed_too(db):
    sync = SlowCountingSync(0.0)
    db.flusher.sync = sync
    with db.connection_context():
        db.execute_sql("INSERT INTO answer (learner) VALUES ('a')")
        db.execute_sql("SELECT count(*) FROM answer").fetchone()
    assert len(sync.flushes) == 1  # the write, not the read

"""The opportunistic sync agent inside `lantern serve`: tries when the hub may be reachable,
retries with exponential backoff and jitter after failures (`retry_delay`), respects a daily byte
budget, never blocks serving. This is where sync retries live: a failed pass is not retried inside
the pass (each batch is idempotent on the hub, so the next pass resends what was not acknowledged).

It runs on its own thread with its own database connection and sends bounded batches, so a
slow or metered link costs learners nothing.

Decisions: the thread never dies. Our own errors (SyncError: unreachable, refused, a reply cut short) are
expected and recorded in plain words; anything else (a bug, a reply no one foresaw, a database hiccup) is
logged with its traceback, recorded for the status page as "stopped by an unexpected error", and backed
off like any failure, so the next try comes without a restart.
"""
import logging
import random
import threading
from datetime import date
from pathlib import Path

from server.db import database
from server.errors import LanternError
from server.content.packs.install import Library
from sync.client import record_failure
from sync.pull import sync_pass
from sync.state import get_state, set_state
from sync.transport import HttpTransport

log = logging.getLogger(__name__)
BASE_INTERVAL = 300.0  # five minutes between tries while all is well
MAX_RETRY_INTERVAL = 3600.0  # the longest wait before a retry after failures in a row


def retry_delay(failures: int, base: float = BASE_INTERVAL, cap: float = MAX_RETRY_INTERVAL,
                rng: random.Random | None = None) -> float:
    """Seconds to wait before the next try or retry: the base interval, doubling per failure in a row
    (exponential backoff) up to the cap, spread by ±50 % (jitter) so a district's schools do not all
    retry at once."""
    rng = rng or random.Random()
    delay = min(cap, base * (2 ** failures))
    return delay * rng.uniform(0.5, 1.5)


def budget_left(state: dict | None, daily_budget: int | None, today: date) -> int | None:
    """Bytes still allowed today (None: no budget)."""
    if daily_budget is None:
        return None
    if not state or state.get("day") != today.isoformat():
        return daily_budget
    return max(0, daily_budget - int(state.get("bytes", 0)))


class SyncAgent(threading.Thread):
    """Runs sync passes (push events, exchange roster, pull packs) with the paired hub in the background."""

    def __init__(self, data_dir: Path, daily_budget: int | None = None, base: float = BASE_INTERVAL,
                 cap: float = MAX_RETRY_INTERVAL):
        super().__init__(name="lantern-sync", daemon=True)
        self.data_dir, self.daily_budget, self.base, self.cap = Path(data_dir), daily_budget, base, cap
        self.failures = 0  # failed passes in a row: each one doubles the wait before the retry
        self.tries = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        """Try now, then again (retry after a failure, with backoff) until stopped, whatever a try raises."""
        while not self.stopping.is_set():
            self.tries += 1
            try:
                self.try_once()
            except Exception as err:  # the thread must outlive any one try (see Decisions)
                self._unexpected(err)
            self.stopping.wait(retry_delay(self.failures, self.base, self.cap))

    def _unexpected(self, err: Exception) -> None:
        self.failures += 1
        log.exception("sync stopped by an unexpected error (%d failures in a row); trying again later",
                      self.failures)
        message = f"Sync stopped by an unexpected error ({type(err).__name__}); it will try again by itself."
        try:
            with database.connection_context():
                record_failure(message)
        except Exception:  # the database itself may be the trouble; the log has it
            log.exception("could not record the sync failure")

    def stop(self) -> None:
        """Ask the thread to finish after the current try."""
        self.stopping.set()

    def try_once(self) -> str:
        """One attempt; returns what happened, in words (also recorded for the admin page)."""
        with database.connection_context():
            hub_url = get_state("hub_url")
            if hub_url is None:
                return "not paired"
            spent = get_state("bytes_today")
            left = budget_left(spent, self.daily_budget, date.today())
            if left == 0:
                return "daily byte budget spent"
            try:
                report = sync_pass(HttpTransport(hub_url, timeout=20), self.data_dir, Library(self.data_dir),
                                   byte_budget=left)
            except LanternError as err:
                self.failures += 1
                record_failure(err.message)
                log.info("sync failed (%d in a row, will retry): %s", self.failures, err.message)
                return err.message
            self.failures = 0
            today = date.today().isoformat()
            used = spent.get("bytes", 0) if spent and spent.get("day") == today else 0
            set_state("bytes_today", {"day": today, "bytes": used + report.bytes})
            return f"sent {report.pushed} event{'' if report.pushed == 1 else 's'}"

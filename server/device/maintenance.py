"""Start-up housekeeping: migrations, leftovers of interrupted work, a search index in step; and the
daily sweep of blob files nothing refers to (`DailySweep`, a thread of `lantern serve`)."""
import logging
import shutil
import threading

from server.coaching.uploads import sweep_orphans
from server.content.blobs import BlobStore
from server.learning.progress import rebuild_all
from server.migrations import REDERIVE_AFTER, run_migrations
from server.models import Event, Lesson, PackVersion
from server.db import database
from server.content.packs.install import Library, reindex_all

log = logging.getLogger(__name__)


def prepare_data(config: dict) -> None:
    """Bring a data folder up to date; safe to run at every start."""

    data = config["DATA_DIR"]
    with database.connection_context():
        if REDERIVE_AFTER & set(run_migrations()) and Event.select().exists():
            log.warning("the learner model changed with this version: recomputing progress from the event log")
            rebuild_all()
        for leftover in (data / "staging").iterdir():
            shutil.rmtree(leftover, ignore_errors=True)  # an import interrupted by a power cut
        BlobStore(data / "blobs").clean_incoming()
        sweep_orphans(data)  # files of hand-ins or imports cut off before their commit
        library = Library(data)
        expected = (Lesson.select().join(PackVersion).where(PackVersion.is_active).count())
        if library.index.doc_count() != expected:
            log.warning("search index out of step with the database; rebuilding it")
            reindex_all(library)


class DailySweep(threading.Thread):
    """Sweeps orphan blob files once a day (the start-up sweep covers the first day)."""

    def __init__(self, data_dir, every: float = 24 * 3600.0):
        super().__init__(name="lantern-daily-sweep", daemon=True)
        self.data_dir, self.every = data_dir, every
        self.stopping = threading.Event()

    def run(self) -> None:
        """Sweep every `every` seconds until stopped; a failure is logged and tried again next time."""
        while not self.stopping.wait(self.every):
            try:
                with database.connection_context():
                    sweep_orphans(self.data_dir)
            except Exception:  # never let the thread die; say so in the log
                log.exception("the daily sweep of orphan files failed")

    def stop(self) -> None:
        """Ask the thread to finish."""
        self.stopping.set()

"""Start-up housekeeping: migrations, leftovers of interrupted work, a search index in step."""
import logging
import shutil

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
        library = Library(data)
        expected = (Lesson.select().join(PackVersion).where(PackVersion.is_active).count())
        if library.index.doc_count() != expected:
            log.warning("search index out of step with the database; rebuilding it")
            reindex_all(library)

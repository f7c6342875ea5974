"""Start-up housekeeping: migrations, leftovers of interrupted work, a search index in step."""
import logging
import shutil

from server.content.blobs import BlobStore
from server.migrations import run_migrations
from server.models import Lesson, PackVersion
from server.db import database
from server.content.packs.install import Library, reindex_all

log = logging.getLogger(__name__)


def prepare_data(config: dict) -> None:
    """Bring a data folder up to date; safe to run at every start."""

    data = config["DATA_DIR"]
    with database.connection_context():
        run_migrations()
        for leftover in (data / "staging").iterdir():
            shutil.rmtree(leftover, ignore_errors=True)  # an import interrupted by a power cut
        BlobStore(data / "blobs").clean_incoming()
        library = Library(data)
        expected = (Lesson.select().join(PackVersion).where(PackVersion.is_active).count())
        if library.index.doc_count() != expected:
            log.warning("search index out of step with the database; rebuilding it")
            reindex_all(library)

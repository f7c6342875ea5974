"""Long tasks (a pack import, a backup or a sync bundle to a USB stick) run in the background, one at a time.

The page that started one refreshes itself (an HTTP Refresh header, no JavaScript) and shows
the job's messages. Jobs live in memory: a restart forgets them, which is harmless because
an import either switched in one transaction or changed nothing.
"""
import logging
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from server.db import database
from server.errors import LanternError
from server.i18n import N_
from server.content.h5p.convert import import_h5p
from server.content.kolibri.importing import import_channel
from server.content.packs.install import ImportResult, Library, import_pack

log = logging.getLogger(__name__)
MAX_KEPT = 50


@dataclass
class Job:
    id: str
    title: str
    state: str = "waiting"  # waiting | running | done | failed
    messages: list[str] = field(default_factory=list)
    result: str = ""
    result_args: dict = field(default_factory=dict)  # placeholders of `result`, translated where shown
    note: str = ""  # a sentence shown before a failed task's reason


class JobRunner:
    """Runs jobs one after another on a single worker thread."""

    def __init__(self):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        """A job by id (None if unknown or forgotten)."""
        return self._jobs.get(job_id)

    def recent(self) -> list[Job]:
        """Jobs, newest first."""
        return list(reversed(self._jobs.values()))

    def start_import(self, path: Path, library: Library) -> Job:
        """Queue a pack import; return the job to watch."""
        job = Job(uuid.uuid4().hex, f"Import {path.name}")
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_KEPT:
                self._jobs.pop(next(iter(self._jobs)))
        threading.Thread(target=self._run_import, args=(job, path, library), daemon=True,
                         name=f"import-{job.id[:8]}").start()
        return job

    def start_task(self, title: str, work) -> Job:
        """Queue any long task: `work(progress)` returns the result sentence or raises LanternError."""
        job = Job(uuid.uuid4().hex, title)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_KEPT:
                self._jobs.pop(next(iter(self._jobs)))
        threading.Thread(target=self._run_task, args=(job, work), daemon=True,
                         name=f"task-{job.id[:8]}").start()
        return job

    def _run_task(self, job: Job, work) -> None:
        with self._queue_lock:
            job.state = "running"
            try:
                with database.connection_context():
                    outcome = work(job.messages.append)
                job.result, job.result_args = outcome if isinstance(outcome, tuple) else (outcome, {})
                job.state = "done"
            except LanternError as err:
                job.result, job.result_args = getattr(err, "words", err.message), getattr(err, "words_args", {})
                job.note, job.state = N_("Nothing was written."), "failed"
            except Exception:  # the worker must survive anything and say so in plain words
                log.exception("job %s failed", job.id)
                job.result = N_("The task stopped because of an unexpected error.")
                job.note, job.state = N_("Nothing was written."), "failed"

    def _run_import(self, job: Job, path: Path, library: Library) -> None:
        with self._queue_lock:  # one import at a time keeps memory and SD-card load bounded
            job.state = "running"
            try:
                with database.connection_context():
                    result = _import_any(path, library, job.messages.append)
                job.messages.extend(f"Note: {w}" for w in result.warnings[:20])
                job.result, job.state = result.summary, "done"
            except LanternError as err:
                job.result, job.state = f"Nothing was changed. {err.message}", "failed"
            except Exception:  # the worker must survive anything and say so in plain words
                log.exception("import job %s failed", job.id)
                job.result, job.state = "Nothing was changed. The import stopped because of an unexpected error.", "failed"


def _import_any(path: Path, library: Library, progress) -> ImportResult:
    """A pack file or folder, one channel of a Kolibri drive (named by its database file), or an .h5p file."""
    if path.suffix == ".sqlite3" and path.parent.name == "databases":
        return import_channel(path.parent.parent.parent, library, path.stem, progress)[0]
    if path.suffix.lower() == ".h5p":
        return import_h5p(path, library, progress)[0]
    return import_pack(path, library, progress=progress)

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
from server.content.packs.install import Library, import_pack

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
    note: str = ""  # the sentence shown before a failed job's reason


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

        def work(progress):
            result = import_pack(path, library, progress=progress)
            for warning in result.warnings[:20]:
                progress(f"Note: {warning}")
            return result.summary

        # An import switches in one transaction or changes nothing, hence its own sentence on failure.
        return self.start_task(f"Import {path.name}", work, note=N_("Nothing was changed."))

    def start_task(self, title: str, work, note: str = N_("Nothing was written.")) -> Job:
        """Queue any long task: `work(progress)` returns the result sentence or raises LanternError.

        `note` is the sentence shown before the reason when it fails."""
        job = Job(uuid.uuid4().hex, title, note=note)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_KEPT:
                self._jobs.pop(next(iter(self._jobs)))
        threading.Thread(target=self._run, args=(job, work), daemon=True, name=f"job-{job.id[:8]}").start()
        return job

    def _run(self, job: Job, work) -> None:
        with self._queue_lock:  # one job at a time keeps memory and SD-card load bounded
            job.state = "running"
            try:
                with database.connection_context():
                    outcome = work(job.messages.append)
                job.result, job.result_args = outcome if isinstance(outcome, tuple) else (outcome, {})
                job.state = "done"
            except LanternError as err:
                job.result, job.result_args = getattr(err, "words", err.message), getattr(err, "words_args", {})
                job.state = "failed"
            except Exception:  # the worker must survive anything and say so in plain words
                log.exception("job %s failed", job.id)
                job.result, job.state = N_("The task stopped because of an unexpected error."), "failed"

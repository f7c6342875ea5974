"""Long tasks (a pack import, a backup or a sync bundle to a USB stick) run in the background, one at a time.

The page that started one refreshes itself (an HTTP Refresh header, no JavaScript) and shows
the job's messages. With several workers (`lantern serve --workers N`) that refresh may reach another
process, so a runner given a folder writes each job's state there (DATA_DIR/jobs/<id>.json, replaced
atomically at every message) and reads jobs it did not start from it; one job at a time holds across
workers by a lock on that folder. A restart may forget jobs, which is harmless because an import either
switched in one transaction or changed nothing.
"""
import dataclasses
import fcntl
import json
import logging
import os
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from server.db import database
from server.errors import LanternError
from server.i18n import N_
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
    note: str = ""  # the sentence shown before a failed job's reason


class _Messages(list):
    """A job's messages; each one added is saved for the other workers to read."""

    def __init__(self, items, save):
        super().__init__(items)
        self._save = save

    def append(self, message) -> None:
        """Add a message and save the job."""
        super().append(message)
        self._save()

    def extend(self, messages) -> None:
        """Add messages and save the job."""
        super().extend(messages)
        self._save()


class JobRunner:
    """Runs jobs one after another on a single worker thread (one at a time across workers too)."""

    def __init__(self, folder: Path | None = None):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self.folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def get(self, job_id: str) -> Job | None:
        """A job by id (None if unknown or forgotten); one started by another worker is read from its file."""
        job = self._jobs.get(job_id)
        if job is None and self.folder is not None and job_id.isalnum():
            job = self._load(self.folder / f"{job_id}.json")
        return job

    def recent(self) -> list[Job]:
        """Jobs, newest first (of every worker, when jobs are kept in a folder)."""
        if self.folder is None:
            return list(reversed(self._jobs.values()))
        files = sorted(self.folder.glob("*.json"), key=_mtime, reverse=True)[:MAX_KEPT]
        return [job for job in (self._jobs.get(f.stem) or self._load(f) for f in files) if job is not None]

    def _track(self, job: Job) -> Job:
        job.messages = _Messages(job.messages, lambda: self._save(job))
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_KEPT:
                self._jobs.pop(next(iter(self._jobs)))
        self._save(job)
        return job

    def _save(self, job: Job) -> None:
        if self.folder is None:
            return
        data = {f.name: getattr(job, f.name) for f in dataclasses.fields(job)}
        data["messages"] = list(job.messages)
        temporary = self.folder / f".{job.id}.{threading.get_ident()}.tmp"
        temporary.write_text(json.dumps(data, default=str), encoding="utf-8")
        os.replace(temporary, self.folder / f"{job.id}.json")
        for old in sorted(self.folder.glob("*.json"), key=_mtime)[:-MAX_KEPT]:
            old.unlink(missing_ok=True)

    @staticmethod
    def _load(path: Path) -> Job | None:
        try:
            return Job(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    @contextmanager
    def _one_at_a_time(self):
        """This process's queue lock, and with a folder an exclusive lock on it (the other workers)."""
        with self._queue_lock:
            if self.folder is None:
                yield
                return
            fd = os.open(self.folder, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def start_import(self, path: Path, library: Library, topics: tuple[str, ...] = ()) -> Job:
        """Queue a pack import (of a Kolibri channel: only `topics`, when given); return the job to watch."""

        def work(progress):
            result = _import_any(path, library, progress, topics)
            for warning in result.warnings[:20]:
                progress(f"Note: {warning}")
            return result.summary

        # An import switches in one transaction or changes nothing, hence its own sentence on failure.
        return self.start_task(f"Import {path.name}", work, note=N_("Nothing was changed."))

    def start_task(self, title: str, work, note: str = N_("Nothing was written.")) -> Job:
        """Queue any long task: `work(progress)` returns the result sentence or raises LanternError.

        `note` is the sentence shown before the reason when it fails."""
        job = self._track(Job(uuid.uuid4().hex, title, note=note))
        threading.Thread(target=self._run, args=(job, work), daemon=True, name=f"job-{job.id[:8]}").start()
        return job

    def _run(self, job: Job, work) -> None:
        with self._one_at_a_time():  # one job at a time keeps memory and SD-card load bounded
            job.state = "running"
            self._save(job)
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
            self._save(job)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _import_any(path: Path, library: Library, progress, topics: tuple[str, ...] = ()) -> ImportResult:
    """A pack file or folder, one channel of a Kolibri drive (named by its database file), or an .h5p file."""
    # The converters (and what they load: TeX, Pillow, Markdown) load with the first such import, not in
    # every web worker at start.
    from server.content.h5p.convert import import_h5p  # see the comment above
    from server.content.kolibri.importing import import_channel  # see the comment above

    if path.suffix == ".sqlite3" and path.parent.name == "databases":
        return import_channel(path.parent.parent.parent, library, path.stem, progress, topics)[0]
    if path.suffix.lower() == ".h5p":
        return import_h5p(path, library, progress)[0]
    return import_pack(path, library, progress=progress)

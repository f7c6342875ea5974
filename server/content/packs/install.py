"""Installing, listing and removing packs. Import = verify → stage → prepare → switch.

The switch to a new version is one database transaction; the search index follows it
(and is rebuilt at start-up if it ever falls behind). A failed or interrupted import
leaves the previous version serving: the staging folder is removed and no row changed.
"""
from __future__ import annotations

import logging
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from peewee import chunked

from server.content import generation
from server.content.blobs import BlobStore
from server.db import database
from server.errors import NotFound, PackError
from server.models import Blob, Item, Lesson, PackFile, PackVersion, Skill, Unit
from server.content.packs.archive import DEFAULT_LIMITS, Limits
from server.content.packs.manifest import Manifest, version_key
from server.content.search import LessonDoc, SearchIndex
from server.storage import ensure_free_space

if TYPE_CHECKING:  # the import pipeline (Pillow, Markdown, YAML) is imported only when a pack is imported
    from server.content.packs.prepare import PreparedPack

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Library:
    """Where packs go: the data folder's blob store and search index."""

    data_dir: Path
    min_free_bytes: int = 64 * 1024**2

    @property
    def store(self) -> BlobStore:
        return BlobStore(self.data_dir / "blobs")

    @property
    def index(self) -> SearchIndex:
        return SearchIndex.shared(self.data_dir / "index")


@dataclass(frozen=True)
class ImportResult:
    pack_id: str
    version: str
    title: str
    status: str  # installed | upgraded | unchanged
    lesson_count: int
    item_count: int
    previous_version: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One plain sentence for the person who imported it."""
        if self.status == "unchanged":
            return f"{self.title} {self.version} is already installed; nothing changed."
        return (f"{self.title} {self.version} is ready: {self.lesson_count} lessons, "
                f"{self.item_count} practice items.")


def import_pack(source: Path, library: Library, progress: Callable[[str], None] = log.info,
                limits: Limits = DEFAULT_LIMITS) -> ImportResult:
    """Verify and install a pack file or folder; PackError (nothing changed) on any problem."""
    # The import pipeline (Pillow, Markdown, YAML, cryptography: ~17 MB) loads with the first import, so a
    # web worker that never imports a pack does not carry it.
    from server.content.packs.prepare import prepare_pack  # see the comment above
    from server.content.packs.verify import open_pack  # see the comment above

    ensure_free_space(library.data_dir, library.min_free_bytes)
    staging = library.data_dir / "staging" / uuid.uuid4().hex
    staging.mkdir(parents=True)
    store = library.store.deferred()  # blobs flushed together, just before the switch
    try:
        progress(f"Checking {Path(source).name}")
        opened = open_pack(Path(source), staging, limits)
        manifest = opened.manifest
        active = active_version(manifest.id)
        if active and active.version == manifest.version:
            return _result(manifest, "unchanged", active.version)
        if active and version_key(manifest.version) < version_key(active.version):
            raise PackError(f"version {active.version} is already installed, which is newer than "
                            f"{manifest.version}; remove it first to go back", Path(source).name)
        ensure_free_space(library.data_dir, library.min_free_bytes, opened.size_bytes * 2)
        progress(f"Preparing {manifest.title} {manifest.version}")
        prepared = prepare_pack(opened, store)
        size, signed_by = opened.size_bytes, opened.signed_by
        del opened  # its entry per extracted file is not needed past preparing (a large import's memory)
        progress("Switching to the new version")
        store.publish()  # every blob on disk under its name before the transaction that names them
        _switch(manifest, prepared, size, signed_by)
        generation.bump()  # every worker's lesson pages and pack lists are now out of date
        library.index.replace_pack(manifest.id, _docs(manifest, prepared))
        status = "upgraded" if active else "installed"
        return _result(manifest, status, active.version if active else None, prepared.warnings)
    finally:
        store.discard()
        shutil.rmtree(staging, ignore_errors=True)


def _result(manifest: Manifest, status: str, previous: str | None, warnings=()) -> ImportResult:
    return ImportResult(manifest.id, manifest.version, manifest.title, status, len(manifest.lessons),
                        manifest.item_count, previous, list(warnings))


def _docs(manifest: Manifest, prepared: PreparedPack) -> list[LessonDoc]:
    return [LessonDoc(manifest.id, lesson.lesson_id, lesson.title, manifest.title, manifest.language,
                      lesson.text) for lesson in prepared.lessons]


def active_version(pack_id: str) -> PackVersion | None:
    """The serving version of a pack, if any."""
    return PackVersion.get_or_none((PackVersion.pack_id == pack_id) & PackVersion.is_active)


def _switch(manifest: Manifest, prepared: PreparedPack, size: int, signed_by: str | None = None) -> None:
    """Write the new version and make it the active one, in one transaction."""
    with database.atomic():
        PackVersion.delete().where((PackVersion.pack_id == manifest.id)
                                   & (PackVersion.version == manifest.version)).execute()
        version = PackVersion.create(
            pack_id=manifest.id, version=manifest.version, title=manifest.title,
            language=manifest.language, licence=manifest.licence, description=manifest.description,
            authors=list(manifest.authors), subjects=list(manifest.subjects), manifest=manifest.raw,
            lesson_count=len(prepared.lessons), item_count=len(prepared.items), size_bytes=size,
            signed_by=signed_by, warnings=prepared.warnings)
        _insert_contents(version, manifest, prepared)
        PackVersion.update(is_active=False).where(PackVersion.pack_id == manifest.id).execute()
        PackVersion.update(is_active=True).where(PackVersion.id == version.id).execute()
        _retire_old_versions(manifest.id, keep=version.id)


def _insert_contents(version: PackVersion, manifest: Manifest, prepared: PreparedPack) -> None:
    units = {u.id: Unit.create(pack_version=version, unit_id=u.id, title=u.title, position=n)
             for n, u in enumerate(manifest.units)}
    Skill.insert_many([dict(pack_version=version, skill_id=s.id, title=s.title,
                            prerequisites=list(s.prerequisites), mastery=s.mastery, position=n)
                       for n, s in enumerate(manifest.skills)]).execute() if manifest.skills else None
    # Rows go in batches: a converted Kolibri channel has tens of thousands of them (one INSERT each
    # was most of the switch's time).
    _insert_batched(Lesson, (dict(pack_version=version, unit=units[lesson.unit_id], lesson_id=lesson.lesson_id,
                                  title=lesson.title, summary=lesson.summary, position=n, minutes=lesson.minutes,
                                  skills=lesson.skills, media=lesson.media, html=lesson.html,
                                  headings=lesson.headings) for n, lesson in enumerate(prepared.lessons)))
    _insert_batched(Item, (dict(pack_version=version, unit=units[unit_id], item_id=item["id"],
                                skill_id=item.get("skill"), kind=item["kind"], position=n,
                                difficulty=float(item.get("difficulty") or 0.0), data=item)
                           for n, (unit_id, item) in enumerate(prepared.items)))
    _insert_batched(PackFile, (dict(pack_version=version, path=entry.path, sha256=entry.sha256, size=entry.size)
                               for entry in manifest.files))
    for digest, (size, media_type) in prepared.blobs.items():
        Blob.insert(sha256=digest, size=size, media_type=media_type).on_conflict_ignore().execute()


def _insert_batched(model, rows, size: int = 200) -> None:
    for batch in chunked(rows, size):
        model.insert_many(batch).execute()


def _retire_old_versions(pack_id: str, keep: int) -> None:
    """Keep the new version and the one before it (for a quick rollback); drop older ones."""
    older = (PackVersion.select().where((PackVersion.pack_id == pack_id) & (PackVersion.id != keep))
             .order_by(PackVersion.imported_at.desc()))
    for stale in list(older)[1:]:
        stale.delete_instance(recursive=True)


def installed_packs() -> list[PackVersion]:
    """Active pack versions, by title."""
    return list(PackVersion.select().where(PackVersion.is_active).order_by(PackVersion.title))


def remove_pack(pack_id: str, library: Library) -> int:
    """Remove every version of a pack (learner events are kept); return versions removed."""
    versions = list(PackVersion.select().where(PackVersion.pack_id == pack_id))
    if not versions:
        raise NotFound(f"No pack with the id {pack_id!r} is installed.")
    with database.atomic():
        for version in versions:
            version.delete_instance(recursive=True)
    generation.bump()
    library.index.remove_pack(pack_id)
    return len(versions)


def reindex_all(library: Library) -> int:
    """Rebuild the search index from the database; return the number of lessons indexed."""
    from server.content.packs.render import visible_text  # the Markdown pipeline loads only when needed

    docs: dict[str, list[LessonDoc]] = {}
    query = (Lesson.select(Lesson, PackVersion).join(PackVersion)
             .where(PackVersion.is_active).order_by(Lesson.position))
    for lesson in query:
        pack = lesson.pack_version
        docs.setdefault(pack.pack_id, []).append(LessonDoc(
            pack.pack_id, lesson.lesson_id, lesson.title, pack.title, pack.language,
            visible_text(lesson.html)))
    return library.index.rebuild(docs)

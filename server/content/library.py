"""Reading installed content for pages: packs, their outline, a lesson with its neighbours.

Decisions: what a pack version holds never changes once it is installed, so the active packs, outlines,
lesson pages and skills are read once and kept in memory per process (`_CACHE`), dropped as a whole when the
content generation changes (server/content/generation.py: a pack switched in or removed, by any worker or
command). A learner's lesson page then costs no content query at all. Callers must treat what they get as
read-only: the same objects serve every request of the process.
"""
from dataclasses import dataclass

from server.content.generation import GenerationCache
from server.content.packs.report import check_report
from server.errors import NotFound, PackError
from server.i18n import N_
from server.models import Item, Lesson, PackFile, PackVersion, Skill, Unit


@dataclass(frozen=True)
class LessonLink:
    lesson_id: str
    title: str


@dataclass(frozen=True)
class UnitOutline:
    unit_id: str
    title: str
    lessons: list[LessonLink]
    item_count: int


@dataclass(frozen=True)
class LessonPage:
    pack: PackVersion
    unit_title: str
    lesson: Lesson
    previous: LessonLink | None
    next: LessonLink | None


# Every column but the manifest: pages never read it, and parsing a large pack's manifest (its whole
# lesson list, as JSON) on every request cost more than the query.
PAGE_COLUMNS = [f for f in PackVersion._meta.sorted_fields if f.name != "manifest"]
# Lesson pages of the most read lessons, the outlines and skills of every active pack (a few MB at most).
_CACHE = GenerationCache(size=400)


def _active_packs() -> tuple[PackVersion, ...]:
    """The active pack versions by title (read once per content generation)."""
    return _CACHE.get("packs", lambda: tuple(
        PackVersion.select(*PAGE_COLUMNS).where(PackVersion.is_active).order_by(PackVersion.title)))


def list_packs(preferred_language: str | None = None) -> tuple[list[PackVersion], list[PackVersion]]:
    """Active packs split into (in the preferred language, others), each by title."""
    packs = list(_active_packs())
    if not preferred_language:
        return packs, []
    primary = preferred_language.split("-")[0]
    mine = [p for p in packs if p.language.split("-")[0] == primary]
    return mine, [p for p in packs if p not in mine]


def get_pack(pack_id: str) -> PackVersion:
    """The active version of a pack, or NotFound."""
    pack = next((p for p in _active_packs() if p.pack_id == pack_id), None)
    if pack is None:
        raise NotFound(N_("This pack is not installed on this server."))
    return pack


def pack_outline(pack: PackVersion) -> list[UnitOutline]:
    """Units with their lessons (titles only) and practice counts, in order."""
    return _CACHE.get(("outline", pack.id), lambda: _read_outline(pack))


def _read_outline(pack: PackVersion) -> list[UnitOutline]:
    lessons = (Lesson.select(Lesson.lesson_id, Lesson.title, Lesson.unit)
               .where(Lesson.pack_version == pack).order_by(Lesson.position))
    by_unit: dict[int, list[LessonLink]] = {}
    for lesson in lessons:
        by_unit.setdefault(lesson.unit_id, []).append(LessonLink(lesson.lesson_id, lesson.title))
    counts = {}
    for item in Item.select(Item.unit).where(Item.pack_version == pack):
        counts[item.unit_id] = counts.get(item.unit_id, 0) + 1
    units = Unit.select().where(Unit.pack_version == pack).order_by(Unit.position)
    return [UnitOutline(u.unit_id, u.title, by_unit.get(u.id, []), counts.get(u.id, 0)) for u in units]


def lesson_page(pack_id: str, lesson_id: str) -> LessonPage:
    """A lesson of the active version, with the previous and next lesson in pack order."""
    pack = get_pack(pack_id)
    return _CACHE.get(("lesson", pack.id, lesson_id), lambda: _read_lesson_page(pack, lesson_id))


def _read_lesson_page(pack: PackVersion, lesson_id: str) -> LessonPage:
    lesson = (Lesson.select(Lesson, Unit).join(Unit)
              .where((Lesson.pack_version == pack) & (Lesson.lesson_id == lesson_id)).first())
    if lesson is None:
        raise NotFound(N_("This lesson is not in the pack."))
    around = (Lesson.select(Lesson.lesson_id, Lesson.title, Lesson.position)
              .where((Lesson.pack_version == pack)
                     & (Lesson.position.between(lesson.position - 1, lesson.position + 1))))
    neighbours = {row.position: LessonLink(row.lesson_id, row.title) for row in around}
    return LessonPage(pack, lesson.unit.title, lesson, neighbours.get(lesson.position - 1),
                      neighbours.get(lesson.position + 1))


def lesson_skills(pack: PackVersion) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(lesson id, the skills it teaches) of a pack version, in pack order (read once per version)."""
    return _CACHE.get(("lesson_skills", pack.id), lambda: tuple(
        (row.lesson_id, tuple(row.skills or ())) for row in Lesson.select(Lesson.lesson_id, Lesson.skills)
        .where(Lesson.pack_version == pack).order_by(Lesson.position)))


def pack_skills(pack: PackVersion) -> list[Skill]:
    """The skills of a pack version, in pack order."""
    return list(_CACHE.get(("skills", pack.id), lambda: tuple(
        Skill.select().where(Skill.pack_version == pack).order_by(Skill.position))))


@dataclass(frozen=True)
class PackReport:
    """What the admin sees of an installed pack: its facts, its import warnings and the build's report."""

    pack: PackVersion
    warnings: list[str]
    rows: tuple[dict, ...]


def installed_packs() -> list[PackVersion]:
    """Every active pack by title, for the admin's list."""
    return list(PackVersion.select(*PAGE_COLUMNS).where(PackVersion.is_active).order_by(PackVersion.title))


def pack_report(pack_id: str) -> PackReport:
    """The active version of a pack with its import report (what came in, what was left out and why)."""
    pack = PackVersion.select().where((PackVersion.pack_id == pack_id) & PackVersion.is_active).first()
    if pack is None:
        raise NotFound(N_("This pack is not installed on this server."))
    try:
        rows = check_report((pack.manifest or {}).get("import_report"))
    except PackError:
        rows = ()
    return PackReport(pack, list(pack.warnings or []), rows)


def app_file(pack_id: str, path: str) -> PackFile:
    """A file of an HTML5 app in the active version of a pack (only files under the pack's apps/)."""
    pack = get_pack(pack_id)
    found = (PackFile.select().where((PackFile.pack_version == pack) & (PackFile.path == f"apps/{path}"))
             .first()) if path and ".." not in path.split("/") else None
    if found is None:
        raise NotFound(N_("This file is not on this server."))
    return found

"""Pack manifest format v1: the one validator for `manifest.json` (untrusted input).

The format is documented in docs/pack-format.md. `parse_manifest` checks types, sizes,
ids, references and the skill graph, and returns plain frozen dataclasses; anything off
raises PackError naming the field.
"""
import json
import re
from dataclasses import dataclass, field, replace

from server.errors import PackError, QuizFormatError
from server.content.packs.archive import safe_pack_path
from server.content.packs.report import check_report
from server.content.quiz.items import validate_items

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024**2

PACK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}\Z")
LOCAL_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}\Z")
SEMVER = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})(?:[-+][0-9A-Za-z.-]{1,40})?\Z")
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*\Z")
SHA256 = re.compile(r"^[0-9a-f]{64}\Z")
MAX_SKILLS = 10_000  # a converted Kolibri channel has a skill per exercise (Khan's have thousands)
MEDIA_KINDS = ("audio", "video", "document", "app")
BODY_KEYS = ("units", "skills", "files")
MASTERY_RULES = {"streak": ("count",), "m_of_n": ("m", "n")}


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class SkillEntry:
    id: str
    title: str
    prerequisites: tuple[str, ...]
    mastery: dict | None


@dataclass(frozen=True)
class MediaEntry:
    kind: str  # audio | video | document (a download) | app (an HTML5 app's entry page, under apps/)
    file: str
    title: str
    poster: str | None
    captions: tuple[dict, ...]  # {"file", "language", "label"}


@dataclass(frozen=True)
class LessonEntry:
    id: str
    title: str
    file: str
    skills: tuple[str, ...]
    summary: str
    minutes: int | None
    media: tuple[MediaEntry, ...]


@dataclass(frozen=True)
class UnitEntry:
    id: str
    title: str
    lessons: tuple[LessonEntry, ...]
    items: tuple[dict, ...]


@dataclass(frozen=True)
class Manifest:
    id: str
    version: str
    title: str
    language: str
    licence: str
    authors: tuple[str, ...]
    description: str
    subjects: tuple[str, ...]
    skills: tuple[SkillEntry, ...]
    units: tuple[UnitEntry, ...]
    files: tuple[FileEntry, ...]
    signature: dict | None
    raw: dict = field(repr=False, compare=False)
    report: tuple[dict, ...] = field(default=(), repr=False, compare=False)  # see report.py

    def without_body(self) -> "Manifest":
        """This manifest with `raw` cut to its header (see `header_of`), once the signature is checked."""
        return replace(self, raw=header_of(self.raw))

    @property
    def lessons(self) -> list[LessonEntry]:
        """Every lesson in pack order."""
        return [lesson for unit in self.units for lesson in unit.lessons]

    @property
    def item_count(self) -> int:
        """How many practice items the pack has."""
        return sum(len(unit.items) for unit in self.units)


def header_of(raw: dict) -> dict:
    """A manifest document without the parts parsed into rows (units, skills, files).

    Decisions: a version row keeps the header (signature, import report, ...); the units, skills and file
    list are its Unit, Lesson, Item, Skill and PackFile rows. Holding the parsed document twice (dicts and
    dataclasses) for a 10,000-lesson pack cost tens of MB during an import, and storing it as one JSON
    text (7 MB) was the switch's peak memory."""
    return {key: value for key, value in raw.items() if key not in BODY_KEYS}


def version_key(version: str) -> tuple:
    """A sort key for semantic versions (a pre-release sorts before its release)."""
    core = re.split(r"[-+]", version, maxsplit=1)[0]
    is_pre = re.match(r"^[^+]*-", version) is not None
    return tuple(int(p) for p in core.split(".")) + (0 if is_pre else 1,)


def load_manifest(data: bytes) -> Manifest:
    """Parse and validate manifest bytes."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise PackError(f"the manifest is larger than {MAX_MANIFEST_BYTES // 1024**2} MB", MANIFEST_NAME)
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PackError(f"the manifest is not valid JSON ({err})", MANIFEST_NAME) from None
    return parse_manifest(raw)


def parse_manifest(raw: object) -> Manifest:
    """Validate a manifest document and return it as dataclasses."""
    _require(isinstance(raw, dict), "the manifest must be a JSON object")
    fmt = raw.get("format")
    _require(fmt == FORMAT_VERSION,
             f"unknown pack format {fmt!r}; this Lantern reads format {FORMAT_VERSION}")
    pack_id = _text(raw, "id", 64)
    _require(PACK_ID.match(pack_id), f"id {pack_id!r} must be 2-64 lowercase letters, digits or '-'")
    version = _text(raw, "version", 64)
    _require(SEMVER.match(version), f"version {version!r} is not a semantic version like 1.2.0")
    language = _text(raw, "language", 16)
    _require(LANGUAGE.match(language), f"language {language!r} is not a language tag like 'en' or 'sw'")
    files = _files(raw.get("files"))
    known_files = {f.path for f in files}
    skills = _skills(raw.get("skills", []))
    skill_ids = {s.id for s in skills}
    units = _units(raw.get("units"), known_files, skill_ids)
    signature = raw.get("signature")
    _require(signature is None or isinstance(signature, dict), "signature must be an object or null")
    return Manifest(
        id=pack_id, version=version, title=_text(raw, "title", 200), language=language,
        licence=_text(raw, "licence", 100), authors=_strings(raw, "authors", 50, 200),
        description=_text(raw, "description", 2000, required=False),
        subjects=_strings(raw, "subjects", 20, 100), skills=skills, units=units,
        files=files, signature=signature, raw=raw, report=check_report(raw.get("import_report")),
    )


def _require(ok, message: str, where: str = MANIFEST_NAME) -> None:
    if not ok:
        raise PackError(message, where)


def _text(obj: dict, key: str, limit: int, required: bool = True, where: str = "") -> str:
    value = obj.get(key, None if required else "")
    label = f"{where}{key}"
    _require(isinstance(value, str) and (value.strip() or not required),
             f"{label} must be a non-empty text" if required else f"{label} must be text")
    _require(len(value) <= limit, f"{label} is longer than {limit} characters")
    return value.strip()


def _strings(obj: dict, key: str, max_count: int, limit: int) -> tuple[str, ...]:
    value = obj.get(key, [])
    _require(isinstance(value, list) and len(value) <= max_count,
             f"{key} must be a list of at most {max_count} texts")
    _require(all(isinstance(v, str) and 0 < len(v) <= limit for v in value),
             f"every entry of {key} must be a text of at most {limit} characters")
    return tuple(value)


def _files(value) -> tuple[FileEntry, ...]:

    _require(isinstance(value, list), "files must be a list")
    entries, seen = [], set()
    for n, entry in enumerate(value):
        _require(isinstance(entry, dict), f"files[{n}] must be an object")
        path = entry.get("path")
        _require(isinstance(path, str), f"files[{n}].path must be text")
        normalized = safe_pack_path(path)
        _require(normalized == path, f"files[{n}].path {path!r} is not a normalized pack path")
        _require(path != MANIFEST_NAME, "the manifest must not list itself")
        _require(path.casefold() not in seen, f"{path} is listed twice")
        seen.add(path.casefold())
        size, digest = entry.get("size"), entry.get("sha256")
        _require(isinstance(size, int) and not isinstance(size, bool) and size >= 0,
                 f"files[{n}].size must be a whole number of bytes")
        _require(isinstance(digest, str) and SHA256.match(digest), f"files[{n}].sha256 must be 64 hex digits")
        entries.append(FileEntry(path, size, digest))
    return tuple(entries)


def _skills(value) -> tuple[SkillEntry, ...]:
    _require(isinstance(value, list) and len(value) <= MAX_SKILLS, f"skills must be a list of at most {MAX_SKILLS}")
    skills = []
    for n, entry in enumerate(value):
        _require(isinstance(entry, dict), f"skills[{n}] must be an object")
        skill_id = _text(entry, "id", 80, where=f"skills[{n}].")
        _require(LOCAL_ID.match(skill_id), f"skills[{n}].id {skill_id!r} is not a valid id")
        prereqs = entry.get("prerequisites", [])
        _require(isinstance(prereqs, list) and all(isinstance(p, str) for p in prereqs),
                 f"skills[{n}].prerequisites must be a list of skill ids")
        skills.append(SkillEntry(skill_id, _text(entry, "title", 200, where=f"skills[{n}]."),
                                 tuple(prereqs), _mastery(entry.get("mastery"), skill_id)))
    ids = [s.id for s in skills]
    _require(len(ids) == len(set(ids)), "two skills share an id")
    for skill in skills:
        for prereq in skill.prerequisites:
            _require(prereq in ids, f"skill {skill.id} needs unknown skill {prereq!r}")
    _check_acyclic({s.id: s.prerequisites for s in skills})
    return tuple(skills)


def _mastery(value, skill_id: str) -> dict | None:
    if value is None:
        return None
    rule = value.get("rule") if isinstance(value, dict) else None
    _require(isinstance(rule, str) and rule in MASTERY_RULES,
             f"skill {skill_id}: mastery.rule must be one of {sorted(MASTERY_RULES)}")
    params = MASTERY_RULES[value["rule"]]
    for name in params:
        number = value.get(name)
        _require(isinstance(number, int) and 1 <= number <= 50,
                 f"skill {skill_id}: mastery.{name} must be a whole number from 1 to 50")
    if value["rule"] == "m_of_n":
        _require(value["m"] <= value["n"], f"skill {skill_id}: mastery m must not exceed n")
    return {"rule": value["rule"], **{name: value[name] for name in params}}


def _check_acyclic(graph: dict[str, tuple[str, ...]]) -> None:
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2:
            return
        _require(state.get(node) != 1, f"skills form a cycle: {' -> '.join(trail + [node])}")
        state[node] = 1
        for nxt in graph.get(node, ()):
            visit(nxt, trail + [node])
        state[node] = 2

    for node in graph:
        visit(node, [])


def _units(value, known_files: set[str], skill_ids: set[str]) -> tuple[UnitEntry, ...]:

    _require(isinstance(value, list) and 0 < len(value) <= 500, "units must be a non-empty list")
    units, lesson_ids = [], set()
    for n, entry in enumerate(value):
        where = f"units[{n}]."
        _require(isinstance(entry, dict), f"units[{n}] must be an object")
        unit_id = _text(entry, "id", 80, where=where)
        _require(LOCAL_ID.match(unit_id), f"{where}id {unit_id!r} is not a valid id")
        lessons = tuple(_lesson(l, f"{where}lessons[{i}].", known_files, skill_ids)
                        for i, l in enumerate(_list(entry, "lessons", 1000, where)))
        for lesson in lessons:
            _require(lesson.id not in lesson_ids, f"two lessons share the id {lesson.id!r}")
            lesson_ids.add(lesson.id)
        try:
            items = tuple(validate_items(_list(entry, "items", 5000, where), f"unit {unit_id}"))
        except QuizFormatError as err:
            raise PackError(err.message, MANIFEST_NAME) from None
        for item in items:
            _require(item.get("skill") is None or item["skill"] in skill_ids,
                     f"item {item['id']} names unknown skill {item.get('skill')!r}")
        units.append(UnitEntry(unit_id, _text(entry, "title", 200, where=where), lessons, items))
    unit_ids = [u.id for u in units]
    _require(len(unit_ids) == len(set(unit_ids)), "two units share an id")
    seen: dict[str, str] = {}
    for unit in units:
        for item in unit.items:
            _require(item["id"] not in seen, f"two practice items share the id {item['id']!r} "
                     f"(in units {seen.get(item['id'])!r} and {unit.id!r})")
            seen[item["id"]] = unit.id
    return tuple(units)


def _list(obj: dict, key: str, limit: int, where: str) -> list:
    value = obj.get(key, [])
    _require(isinstance(value, list) and len(value) <= limit,
             f"{where}{key} must be a list of at most {limit} entries")
    return value


def _lesson(entry, where: str, known_files: set[str], skill_ids: set[str]) -> LessonEntry:
    _require(isinstance(entry, dict), f"{where[:-1]} must be an object")
    lesson_id = _text(entry, "id", 80, where=where)
    _require(LOCAL_ID.match(lesson_id), f"{where}id {lesson_id!r} is not a valid id")
    path = _text(entry, "file", 255, where=where)
    _require(path in known_files, f"{where}file {path!r} is not in the pack's file list")
    skills = _strings(entry, "skills", 50, 80)
    for skill in skills:
        _require(skill in skill_ids, f"lesson {lesson_id} names unknown skill {skill!r}")
    minutes = entry.get("minutes")
    _require(minutes is None or (isinstance(minutes, int) and 0 < minutes < 1000),
             f"{where}minutes must be a whole number")
    media = tuple(_media(m, f"{where}media[{i}].", known_files)
                  for i, m in enumerate(_list(entry, "media", 20, where)))
    return LessonEntry(lesson_id, _text(entry, "title", 200, where=where), path, skills,
                       _text(entry, "summary", 500, required=False, where=where), minutes, media)


def _media(entry, where: str, known_files: set[str]) -> MediaEntry:
    _require(isinstance(entry, dict), f"{where[:-1]} must be an object")
    kind = entry.get("kind")
    _require(kind in MEDIA_KINDS, f"{where}kind must be one of {', '.join(MEDIA_KINDS)}")
    path = _text(entry, "file", 255, where=where)
    _require(path in known_files, f"{where}file {path!r} is not in the pack's file list")
    _require((kind == "app") == path.startswith("apps/"),
             f"{where}file: an app's entry page must be under apps/, and only an app's")
    poster = entry.get("poster")
    _require(poster is None or poster in known_files, f"{where}poster is not in the pack's file list")
    captions = []
    for i, track in enumerate(_list(entry, "captions", 20, where)):
        _require(isinstance(track, dict), f"{where}captions[{i}] must be an object")
        track_file = _text(track, "file", 255, where=f"{where}captions[{i}].")
        _require(track_file in known_files, f"{where}captions[{i}].file is not in the pack's file list")
        language = _text(track, "language", 16, where=f"{where}captions[{i}].")
        _require(LANGUAGE.match(language), f"{where}captions[{i}].language is not a language tag")
        label = _text(track, "label", 100, required=False, where=f"{where}captions[{i}].") or language
        captions.append({"file": track_file, "language": language, "label": label})
    title = _text(entry, "title", 200, required=False, where=where)
    return MediaEntry(kind, path, title, poster, tuple(captions))

"""`lantern pack build`: a source (pack.yaml folder, Carpentries lesson, GIFT/Aiken bank, IMS Common
Cartridge or content package, as a file or folder) → one pack file, with its import report.

Lessons stay Markdown in the pack (the importer renders them once); practice files (YAML,
GIFT, Aiken) are parsed here into the normalized item format and carried in the manifest.
Only files the lessons and items actually use go in. The output is reproducible: same
source, same bytes.
"""
import hashlib
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from server.errors import PackError
from server.content.packs.manifest import MANIFEST_NAME, Manifest, parse_manifest
from server.content.packs.paths import resolve_href
from server.content.packs.render import AssetRef, render_lesson, split_front_matter
from server.content.packs.carpentries import links_file, normalize_episode
from server.content.packs.language_check import language_warning
from server.content.packs.cartridge import GENERATED, is_package
from server.content.packs.practice import PracticeReader
from server.content.packs.report import build_report
from server.content.packs.source import read_source
from server.content.packs.staging import staged

STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ogg", ".oga", ".opus", ".mp3",
                   ".m4a", ".mp4", ".webm", ".ogv", ".zip", ".gz"}
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BuildResult:
    path: Path
    manifest: Manifest
    warnings: list[str]
    report: list[dict]


def build_pack(src: Path, out: Path, strict: bool = False, **overrides) -> BuildResult:
    """Build a pack file from a source folder or package file; overrides: id, version, language, title.

    `strict` refuses a practice file with any broken question instead of leaving the question out.
    """
    src = Path(src).resolve()
    if src.is_file() or is_package(src):
        with staged(src) as folder:  # packages are read from a copy the build may write into
            return _build(folder, Path(out), strict, overrides)
    return _build(src, Path(out), strict, overrides)


def _build(src: Path, out: Path, strict: bool, overrides: dict) -> BuildResult:
    spec = read_source(src, overrides)
    collector = _Collector(src)
    practice = PracticeReader(collector, spec.skills, strict=strict)
    units = []
    carpentries = None
    if spec.is_carpentries:
        episodes = {path for unit in spec.units for path in unit.lessons}
        carpentries = {"links": links_file(collector.read_optional), "episodes": episodes}
    for unit in spec.units:
        lessons = [_lesson_entry(collector, path, carpentries) for path in unit.lessons]
        items = [item for source in unit.practice for item in practice.items(source)]
        units.append({"id": unit.id, "title": unit.title, "lessons": lessons, "items": items})
    if not any(unit["lessons"] or unit["items"] for unit in units):
        left_out = [w for w in spec.warnings + collector.warnings if "left out" in w][:3]
        raise PackError("nothing in this source could become a lesson or a practice question"
                        + (f" ({'; '.join(left_out)})" if left_out else ""), src.name)
    warnings = spec.warnings + collector.warnings
    odd_language = language_warning(str(spec.meta.get("language") or ""), "\n".join(collector.texts))
    warnings += [odd_language] if odd_language else []
    lessons = {lesson["file"].removesuffix(GENERATED): 1 for unit in units for lesson in unit["lessons"]}
    shown = [w.replace(GENERATED + ":", ":", 1) for w in warnings]  # a generated lesson is its page's row
    report = build_report(lessons, practice.counts, shown, spec.report)
    manifest = {**spec.meta, "skills": spec.skills, "units": units,
                "files": [collector.file_entry(p) for p in sorted(collector.files)],
                "import_report": report, "signature": None}
    parsed = parse_manifest(manifest)
    _write_zip(collector, Path(out), manifest, sorted(collector.files))
    return BuildResult(Path(out), parsed, warnings, report)


class _Collector:
    """Finds the files a pack uses, inside the source folder only, and notes warnings."""

    def __init__(self, src: Path):
        self.src = src
        self.files: set[str] = set()
        self.warnings: list[str] = []
        self.generated: dict[str, bytes] = {}  # pack path → rewritten text (Carpentries episodes)
        self.texts: list[str] = []  # a sample of the lessons' text, for the language check

    def locate(self, base_file: str, href: str) -> str | None:
        """The pack path of a file referenced from base_file (relative to it, else to the root)."""
        for candidate in (resolve_href(base_file, href), resolve_href("", href)):
            if candidate and self._is_inside_file(candidate):
                return candidate
        return None

    def _is_inside_file(self, pack_path: str) -> bool:
        path = self.src / pack_path
        try:
            return path.is_file() and path.resolve().is_relative_to(self.src)
        except OSError:
            return False

    def read_text(self, pack_path: str) -> str:
        if not self._is_inside_file(pack_path):
            raise PackError("file not found in the source folder", pack_path)
        try:
            return (self.src / pack_path).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise PackError("not UTF-8 text", pack_path) from None

    def use(self, base_file: str, href: str, what: str) -> str | None:
        found = self.locate(base_file, href)
        if found:
            self.files.add(found)
        else:
            self.warnings.append(f"{base_file}: {what} not found: {href}")
        return found

    def read_optional(self, pack_path: str) -> str | None:
        """A text file of the source, or None when it is not there."""
        return self.read_text(pack_path) if self._is_inside_file(pack_path) else None

    def bytes_of(self, pack_path: str) -> bytes:
        """What the pack carries for a path: the rewritten text if the build made one, else the file."""
        return self.generated.get(pack_path) or (self.src / pack_path).read_bytes()

    def file_entry(self, pack_path: str) -> dict:
        data = self.bytes_of(pack_path)
        return {"path": pack_path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _lesson_entry(collector: _Collector, path: str, carpentries: dict | None = None) -> dict:
    front, body = split_front_matter(collector.read_text(path))
    collector.files.add(path)
    if carpentries is not None:
        text, notes = normalize_episode(path, front, body, carpentries["links"], carpentries["episodes"])
        collector.warnings.extend(f"{path}: {note}" for note in notes)
        collector.generated[path] = text.encode("utf-8")
        front, body = split_front_matter(text)
    if sum(map(len, collector.texts)) < 200_000:
        collector.texts.append(body[:20_000])

    def resolve_asset(href: str) -> AssetRef | None:
        found = collector.locate(path, href)
        if found:
            collector.files.add(found)
        return AssetRef(url=found) if found else None

    rendered = render_lesson(body, resolve_asset=resolve_asset)
    collector.warnings.extend(f"{path}: {w}" for w in rendered.warnings)
    stem = Path(path).stem
    entry = {
        "id": str(front.get("id") or re.sub(r"[^a-z0-9_.-]+", "-", stem.lower()).strip("-")),
        "title": str(front.get("title") or rendered.title or stem),
        "file": path,
        "skills": [str(s) for s in front.get("skills") or []],
        "summary": str(front.get("summary") or ""),
        "media": [_media_entry(collector, path, m) for m in front.get("media") or []],
    }
    if isinstance(front.get("minutes"), int):
        entry["minutes"] = front["minutes"]
    return entry


def _media_entry(collector: _Collector, lesson: str, media: dict) -> dict:
    if not isinstance(media, dict) or "file" not in media:
        raise PackError("each media entry needs at least a 'file'", lesson)
    entry = {"kind": media.get("kind", "audio"), "title": str(media.get("title") or ""),
             "file": collector.use(lesson, str(media["file"]), "media file") or str(media["file"]),
             "captions": []}
    if media.get("poster"):
        entry["poster"] = collector.use(lesson, str(media["poster"]), "poster image")
    for track in media.get("captions") or []:
        found = collector.use(lesson, str(track.get("file", "")), "caption file")
        if found:
            entry["captions"].append({"file": found, "language": str(track.get("language", "")),
                                      "label": str(track.get("label") or "")})
    return entry


def _write_zip(collector: _Collector, out: Path, manifest: dict, files: list[str]) -> None:
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(tmp, "w") as archive:
        _add(archive, MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        for path in files:
            _add(archive, path, collector.bytes_of(path))
    os.replace(tmp, out)


def write_pack_archive(src: Path, out: Path, manifest: dict, files: list[str]) -> None:
    """Write a reproducible pack zip: the manifest, then each listed file of `src` (streamed, for converted
    channels whose files may be large)."""
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(tmp, "w") as archive:
        _add(archive, MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        for path in files:
            big = (src / path).stat().st_size >= 2**31
            with open(src / path, "rb") as source, archive.open(_info(path), "w", force_zip64=big) as target:
                while chunk := source.read(1024 * 1024):
                    target.write(chunk)
    os.replace(tmp, out)


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    archive.writestr(_info(name), data)


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = (zipfile.ZIP_STORED if Path(name).suffix.lower() in STORED_SUFFIXES
                          else zipfile.ZIP_DEFLATED)
    info.external_attr = 0o644 << 16
    return info

"""`lantern pack build`: a source folder (pack.yaml or a Carpentries lesson) → one pack file.

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

import yaml

from server.errors import PackError, QuizFormatError
from server.content.packs.manifest import MANIFEST_NAME, Manifest, parse_manifest
from server.content.packs.paths import resolve_href
from server.content.packs.render import AssetRef, render_lesson, split_front_matter
from server.content.packs.source import PracticeSource, read_source
from server.content.quiz.aiken import parse_aiken
from server.content.quiz.gift import parse_gift
from server.content.quiz.items import validate_items

STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ogg", ".oga", ".opus", ".mp3",
                   ".m4a", ".mp4", ".webm", ".ogv", ".zip", ".gz"}
IMAGE_LINK = re.compile(r"(!\[[^\]]*\]\()(<[^>]*>|[^)\s]+)")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BuildResult:
    path: Path
    manifest: Manifest
    warnings: list[str]


def build_pack(src: Path, out: Path, **overrides) -> BuildResult:
    """Build a pack file from a source folder; overrides: id, version, language, title."""
    src = Path(src).resolve()
    spec = read_source(src, overrides)
    collector = _Collector(src)
    units = []
    for unit in spec.units:
        lessons = [_lesson_entry(collector, path) for path in unit.lessons]
        items = [item for practice in unit.practice for item in _practice_items(collector, practice)]
        units.append({"id": unit.id, "title": unit.title, "lessons": lessons, "items": items})
    manifest = {**spec.meta, "skills": spec.skills, "units": units,
                "files": [collector.file_entry(p) for p in sorted(collector.files)], "signature": None}
    parsed = parse_manifest(manifest)
    write_pack_archive(src, Path(out), manifest, sorted(collector.files))
    return BuildResult(Path(out), parsed, spec.warnings + collector.warnings)


class _Collector:
    """Finds the files a pack uses, inside the source folder only, and notes warnings."""

    def __init__(self, src: Path):
        self.src = src
        self.files: set[str] = set()
        self.warnings: list[str] = []

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

    def file_entry(self, pack_path: str) -> dict:
        digest, size = hashlib.sha256(), 0
        with open(self.src / pack_path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1024 * 1024), b""):
                digest.update(chunk)
                size += len(chunk)
        return {"path": pack_path, "size": size, "sha256": digest.hexdigest()}


def _lesson_entry(collector: _Collector, path: str) -> dict:
    front, body = split_front_matter(collector.read_text(path))
    collector.files.add(path)

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


PRACTICE_FORMATS = {".gift": "gift", ".aiken": "aiken", ".yaml": "yaml", ".yml": "yaml"}


def _practice_items(collector: _Collector, practice: PracticeSource) -> list[dict]:
    text = collector.read_text(practice.file)
    fmt = practice.format or PRACTICE_FORMATS.get(Path(practice.file).suffix.lower())
    if fmt not in ("gift", "aiken", "yaml"):
        raise PackError("say which quiz format this file is in: format: gift, aiken or yaml", practice.file)
    try:
        if fmt == "gift":
            items = parse_gift(text, path=practice.file)
        elif fmt == "aiken":
            items = parse_aiken(text, path=practice.file)
        else:
            items = validate_items(_yaml_items(text, practice.file), practice.file)
    except QuizFormatError as err:
        raise PackError(err.message) from None
    for item in items:
        if item.get("skill") is None:
            item["skill"] = practice.skill
        _rewrite_images(collector, practice.file, item)
    return items


def _yaml_items(text: str, path: str) -> list:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PackError(f"cannot read YAML ({err})", path) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise PackError("a practice file must have a top-level 'items:' list", path)
    return raw["items"]


def _rewrite_images(collector: _Collector, base: str, item: dict) -> None:
    """Make image links in an item's texts relative to the pack root, and include the files."""
    def fix(text):
        if not isinstance(text, str):
            return text
        def swap(match):
            href = match.group(2).strip("<>")
            found = collector.use(base, href, "image")
            return match.group(1) + (found or href)
        return IMAGE_LINK.sub(swap, text)

    for key in ("prompt", "solution", "feedback"):
        item[key] = fix(item.get(key))
    item["hints"] = [fix(h) for h in item.get("hints") or []]


def write_pack_archive(src: Path, out: Path, manifest: dict, files: list[str]) -> None:
    """Write a reproducible pack zip: the manifest, then each listed file of `src` (streamed)."""
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(tmp, "w") as archive:
        _add(archive, MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        for path in files:
            info = _info(path)
            big = (src / path).stat().st_size >= 2**31
            with open(src / path, "rb") as source, archive.open(info, "w", force_zip64=big) as target:
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

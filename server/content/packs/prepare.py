"""Preparing a verified pack for serving: blobs stored, images resized, lessons and items rendered.

Nothing here touches the database; `server.content.packs.install` writes the result in one transaction.
"""
import copy
import logging
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from server.content.blobs import BlobStore, media_type_for
from server.errors import CaptionError, PackError
from server.content.packs.captions import read_webvtt, transcript_from_cues
from server.content.packs.images import is_raster, prepare_image
from server.content.packs.paths import fragment_of, resolve_href
from markupsafe import escape

from server.content.packs.render import (AssetRef, render_inline_markdown, render_lesson, sanitize_html,
                                         sanitize_item_html, split_front_matter, visible_text)
from server.content.packs.verify import OpenedPack

log = logging.getLogger(__name__)


@dataclass
class PreparedLesson:
    unit_id: str
    lesson_id: str
    title: str
    summary: str
    minutes: int | None
    skills: list[str]
    media: list[dict]
    html: str
    text: str
    headings: list


@dataclass
class PreparedPack:
    lessons: list[PreparedLesson]
    items: list[tuple[str, dict]]  # (unit id, item with rendered html)
    blobs: dict[str, tuple[int, str]]  # sha256 -> (size, media type)
    warnings: list[str] = field(default_factory=list)


def media_url(sha256: str, name: str) -> str:
    """The immutable URL of a blob, with a readable file name."""
    return f"/media/{sha256}/{PurePosixPath(name).name}"


def lesson_url(pack_id: str, lesson_id: str) -> str:
    """The URL of a lesson page."""
    return f"/packs/{pack_id}/lessons/{lesson_id}"


def prepare_pack(opened: OpenedPack, store: BlobStore) -> PreparedPack:
    """Store a pack's files as blobs and render everything a page will need."""
    prepared = PreparedPack([], [], {})
    assets = _store_files(opened, store, prepared)
    manifest = opened.manifest
    by_file = {lesson.file: lesson.id for lesson in manifest.lessons}
    for unit in manifest.units:
        for lesson in unit.lessons:
            prepared.lessons.append(_prepare_lesson(opened, unit.id, lesson, assets, by_file, prepared))
        for item in unit.items:
            prepared.items.append((unit.id, _prepare_item(item, assets)))
    return prepared


def _store_files(opened: OpenedPack, store: BlobStore, prepared: PreparedPack) -> dict[str, AssetRef]:
    assets = {}
    for path, file in opened.files.items():
        store.put_file(file.location, file.sha256)
        prepared.blobs[file.sha256] = (file.size, media_type_for(path))
        ref = AssetRef(url=media_url(file.sha256, path), media_type=media_type_for(path))
        if is_raster(path):
            ref = _image_ref(path, file, store, prepared, ref)
        assets[path] = ref
    return assets


def _image_ref(path, file, store, prepared, ref: AssetRef) -> AssetRef:
    image = prepare_image(file.location, path)
    srcset, src = [], ref.url
    for variant in image.variants:
        digest = store.put_bytes(variant.data)
        name = f"{PurePosixPath(path).stem}-{variant.width}{variant.suffix}"
        prepared.blobs[digest] = (len(variant.data), media_type_for(name))
        srcset.append(f"{media_url(digest, name)} {variant.width}w")
        src = media_url(digest, name)  # the widest phone-sized copy is the default
    if srcset:
        srcset.append(f"{ref.url} {image.width}w")
    return AssetRef(url=src, width=image.width, height=image.height,
                    srcset=", ".join(srcset) or None, media_type=ref.media_type)


def _prepare_lesson(opened, unit_id, lesson, assets, by_file, prepared) -> PreparedLesson:
    pack_id = opened.manifest.id
    text = opened.files[lesson.file].location.read_text(encoding="utf-8-sig", errors="replace")
    try:
        _, body = split_front_matter(text)
    except PackError as err:
        raise PackError(err.reason, lesson.file) from None

    def resolve_link(href: str) -> str | None:
        target = by_file.get(resolve_href(lesson.file, href) or "")
        return lesson_url(pack_id, target) + fragment_of(href) if target else None

    rendered = render_lesson(body, resolve_asset=lambda href: assets.get(resolve_href(lesson.file, href) or ""),
                             resolve_link=resolve_link, lang=opened.manifest.language)
    prepared.warnings.extend(f"{lesson.file}: {w}" for w in rendered.warnings)
    media = [_prepare_media(opened, m, assets, prepared) for m in lesson.media]
    return PreparedLesson(unit_id, lesson.id, lesson.title, lesson.summary, lesson.minutes,
                          list(lesson.skills), media, rendered.html, rendered.text,
                          [list(h) for h in rendered.headings])


def app_url(pack_id: str, path: str) -> str:
    """The URL of a file of an HTML5 app (served only by the sandboxed app route)."""
    return f"/apps/{pack_id}/{path.removeprefix('apps/')}"


def _prepare_media(opened, media, assets, prepared) -> dict:
    if media.kind in ("document", "app"):
        url = app_url(opened.manifest.id, media.file) if media.kind == "app" else assets[media.file].url
        return {"kind": media.kind, "title": media.title, "url": url, "type": media_type_for(media.file),
                "size": opened.files[media.file].size, "poster": None, "captions": [], "transcript": []}
    tracks, transcript = [], []
    for track in media.captions:
        try:
            parsed = read_webvtt(opened.files[track["file"]].location.read_text("utf-8-sig"))
        except (CaptionError, UnicodeDecodeError) as err:
            prepared.warnings.append(f"{track['file']}: caption track left out ({err})")
            continue
        prepared.warnings.extend(f"{track['file']}: {w}" for w in parsed.warnings)
        cues = parsed.cues
        if not cues:  # a WebVTT file with no cues: nothing a player could show
            prepared.warnings.append(f"{track['file']}: caption track left out (it has no cues)")
            continue
        tracks.append({**track, "url": assets[track["file"]].url})
        if not transcript:
            transcript = [[speaker, text] for speaker, text in transcript_from_cues(cues)]
    poster = assets[media.poster].url if media.poster else None
    return {"kind": media.kind, "title": media.title, "url": assets[media.file].url,
            "type": media_type_for(media.file), "poster": poster, "captions": tracks,
            "transcript": transcript}


def format_item_text(text: str | None, fmt: str, resolve_asset=lambda href: None) -> str | None:
    """An item's text as safe HTML, by its format (markdown, html, moodle or plain)."""
    if not text:
        return None
    if fmt == "markdown":
        return render_lesson(text, resolve_asset=resolve_asset).html
    if fmt in ("html", "moodle"):
        return sanitize_item_html(text.replace("\n", "<br>\n") if fmt == "moodle" else text, resolve_asset)
    return str(escape(text)).replace("\n", "<br>\n")


def _prepare_item(item: dict, assets: dict[str, AssetRef]) -> dict:
    """Render an item's texts once, so a practice page only formats."""
    fmt = item.get("format", "markdown")

    def html(text: str | None) -> str | None:
        return format_item_text(text, fmt, lambda href: assets.get(resolve_href("", href) or ""))

    def inline(text: str) -> str:
        return render_inline_markdown(text) if fmt == "markdown" else html(text) or ""

    data = copy.deepcopy(item)
    data["prompt_html"] = html(item["prompt"].replace("[[blank]]", "\u2002_____\u2002"))
    data["hints_html"] = [html(h) for h in item.get("hints", [])]
    data["solution_html"] = html(item.get("solution"))
    data["feedback_html"] = html(item.get("feedback"))
    for n, answer in enumerate(data.get("answers", []), start=1):
        if "text" in answer:
            answer["text_html"] = _shown_option(inline(str(answer["text"])), item["id"], n)
        if answer.get("feedback"):
            answer["feedback_html"] = inline(answer["feedback"])
    return data


def _shown_option(html: str, item_id: str, n: int) -> str:
    """An answer option's sanitized HTML; one that sanitizes to nothing cannot be shown, so it is refused.

    Decisions: the page shows only this sanitized HTML, never the pack's text; an option whose text was all
    markup (`<meta …>`, `<textarea>`) would be an empty choice, so the import stops and names the item."""
    if visible_text(html) or "<img" in html:
        return html
    raise PackError(f"item '{item_id}': answer {n} shows nothing once unsafe markup is removed")

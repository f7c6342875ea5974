"""One Kolibri content node → a lesson entry (page, media, document, app) for the pack manifest.

    video, audio  the lightest main file (low_res_video before high_res_video), VTT subtitle tracks as
                  captions (the importer makes the transcript), the thumbnail as poster (resized by the importer)
    document      PDF or EPUB: a page with title, description, size and a download link (an EPUB's opening
                  text too, see document_text)
    html5         the zip unpacked under apps/<node id>/, shown only in a sandboxed iframe (see web/apps.py)
    exercise      a page that leads to practice; the items come from `perseus` (see convert.py)

A node whose main file is not on the drive raises Missing: the conversion lists it and goes on.
"""
import io
import re
import zipfile
from pathlib import Path

from server.content.packs.images import ImageRejected, load_image

from server.content.kolibri.channel_db import Node, NodeFile
from server.content.kolibri.document_text import epub_text
from server.content.kolibri.pack_folder import PackFolder

VIDEO_PRESETS = ("low_res_video", "high_res_video", "video_dependency")
MEDIA_EXTENSIONS = {"video": {"mp4", "webm", "ogv"}, "audio": {"mp3", "ogg", "oga", "opus", "m4a", "wav"}}
DOCUMENT_EXTENSIONS = {"pdf", "epub"}
THUMBNAIL_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp"}
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*\Z")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#!|~&])")
SUMMARY_CHARS = 500
THUMB_WIDTH = 320


class Missing(Exception):
    """The node's main file is not on the drive (or cannot be used); the message says which."""


def markdown_text(text: str) -> str:
    """Plain text as Markdown that renders as the same text (paragraphs kept)."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "")]
    return "\n\n".join(MARKDOWN_SPECIAL.sub(r"\\\1", p) for p in paragraphs if p)


def lesson_page(node: Node, folder: PackFolder, extra: str = "", thumbnail: str | None = None) -> str:
    """Write the node's page (description, licence, author) as Markdown; return its pack path."""
    parts = []
    if thumbnail:
        parts.append(f"![](../{thumbnail})")
    parts.append(markdown_text(node.description))
    if extra:
        parts.append(extra)
    credits = [f"Licence: {node.licence}" if node.licence else "",
               f"Author: {node.author}" if node.author else "",
               f"© {node.licence_owner}" if node.licence_owner else ""]
    if any(credits):
        parts.append("*" + markdown_text(" · ".join(c for c in credits if c)) + "*")
    return folder.add_bytes(f"lessons/{node.id}.md", ("\n\n".join(p for p in parts if p) + "\n").encode())


def lesson_entry(node: Node, page: str, media: list[dict], skills: list[str] = ()) -> dict:
    """The manifest's lesson entry for a node (its id stays the progress key)."""
    return {"id": node.id, "title": node.title[:200], "file": page, "skills": list(skills),
            "summary": " ".join(node.description.split())[:SUMMARY_CHARS], "media": media}


def _first(files: list[NodeFile], folder: PackFolder, test) -> NodeFile | None:
    return next((f for f in files if test(f) and folder.has_storage(f.md5, f.extension)), None)


def thumbnail_of(node: Node, folder: PackFolder, warnings: list[str]) -> str | None:
    """The node's thumbnail, made phone-sized (320 px wide JPEG), or None (a warning when unreadable).

    Decisions: Kolibri thumbnails are 16:9 pictures of 400-1,280 px, often PNG; a poster on a phone needs
    no more than 320 px, so one small JPEG replaces them (a few KB instead of tens)."""
    thumb = _first(node.files, folder, lambda f: f.is_thumbnail and f.extension in THUMBNAIL_EXTENSIONS)
    if thumb is None:
        return None
    target = f"files/{thumb.md5}-{THUMB_WIDTH}.jpg"
    if target in folder.files:
        return target
    try:
        with load_image(folder.drive_file(thumb.md5, thumb.extension)) as image:
            image.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=70, optimize=True, progressive=True)
    except ImageRejected:
        warnings.append(f"{node.title}: the thumbnail is not a readable image; left out")
        return None
    return folder.add_bytes(target, buffer.getvalue())


def media_lesson(node: Node, folder: PackFolder, language: str, warnings: list[str]) -> dict:
    """A video or audio node: the main file, captions and poster."""
    kind = node.kind
    lightest_first = sorted(node.files, key=lambda f: VIDEO_PRESETS.index(f.preset)
                            if f.preset in VIDEO_PRESETS else len(VIDEO_PRESETS))
    main = _first(lightest_first, folder, lambda f: not f.is_supplementary and not f.is_thumbnail
                  and f.extension in MEDIA_EXTENSIONS[kind])
    if main is None:
        raise Missing(f"its {kind} file is not on the drive")
    entry = {"kind": kind, "file": folder.add_storage(main.md5, main.extension), "title": node.title[:200],
             "captions": []}
    poster = thumbnail_of(node, folder, warnings)
    if poster:
        entry["poster"] = poster
    for track in node.files:
        if track.extension != "vtt":
            continue
        if not folder.has_storage(track.md5, track.extension):
            warnings.append(f"{node.title}: a caption track ({track.lang or language}) is not on the drive")
            continue
        code = (track.lang or language).lower()
        code = code if LANGUAGE.match(code) else language
        entry["captions"].append({"file": folder.add_storage(track.md5, "vtt"), "language": code, "label": code})
    return lesson_entry(node, lesson_page(node, folder), [entry])


def document_lesson(node: Node, folder: PackFolder, warnings: list[str]) -> dict:
    """A PDF or EPUB node: a page with a download link (the size is shown by the page)."""
    main = _first(node.files, folder, lambda f: not f.is_thumbnail and f.extension in DOCUMENT_EXTENSIONS)
    if main is None:
        raise Missing("its document is not on the drive")
    path = folder.add_storage(main.md5, main.extension)
    thumbnail = thumbnail_of(node, folder, warnings)
    media = [{"kind": "document", "file": path, "title": node.title[:200], "captions": []}]
    opening = epub_text(folder.root / path) if main.extension == "epub" else ""
    extra = f"**Beginning of the book**\n\n{markdown_text(opening)} …" if opening else ""
    return lesson_entry(node, lesson_page(node, folder, extra, thumbnail=thumbnail), media)


def app_lesson(node: Node, folder: PackFolder, warnings: list[str]) -> dict:
    """An HTML5 app node: its zip unpacked under apps/<id>/ for the sandboxed player."""
    main = _first(node.files, folder, lambda f: f.extension == "zip" and not f.is_thumbnail)
    if main is None:
        raise Missing("its HTML5 app is not on the drive")
    zip_path = folder.drive_file(main.md5, main.extension)
    if not zipfile.is_zipfile(zip_path):
        raise Missing("its HTML5 app is not a zip file")
    paths = folder.add_app(f"apps/{node.id}", zip_path)
    entry = next((p for p in paths if p == f"apps/{node.id}/index.html"), None)
    if entry is None:
        for path in paths:
            folder.forget(path)
        raise Missing("its HTML5 app has no index.html at the top")
    media = [{"kind": "app", "file": entry, "title": node.title[:200], "captions": []}]
    return lesson_entry(node, lesson_page(node, folder), media)


def storage_zip(node: Node, folder: PackFolder, preset_extension: str) -> Path | None:
    """The checked drive path of a node's zip-like main file (e.g. .perseus), or None when absent."""
    main = _first(node.files, folder, lambda f: f.extension == preset_extension)
    return folder.drive_file(main.md5, main.extension) if main else None

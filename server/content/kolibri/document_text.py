"""The opening text of an EPUB document, for its lesson page and for search: cheap, bounded, never fatal.

Decisions:
- EPUB is a zip of XHTML: `META-INF/container.xml` names the package file, whose spine gives the reading
  order. Both are read with defusedxml (no entities, nothing fetched); chapters are read in that order, at
  most `MAX_MEMBER_BYTES` of each and `MAX_CHAPTERS` of them, until `MAX_CHARS` characters are found, so a
  book of any size (or a zip bomb) costs a few reads. Scripts, styles and the head are dropped, markup
  becomes paragraphs of plain text; the page shows it as text, never as HTML.
- Only the beginning is kept: it tells a learner what the book is before downloading it, and gives search
  its words, without making a 300-page book one page (or the import's memory the size of a library).
- A book that cannot be read this way gets no text and stays a download, as before: nothing is refused.
- PDF text is not extracted: the one well-kept library for it (pypdf, pure Python) costs 6-26 MB of
  memory once imported, which an import of a large channel has no room for under its 150 MB ceiling.
"""
import html
import posixpath
import re
import urllib.parse
import zipfile
from pathlib import Path

import nh3
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from server.content.packs.xml_safe import local

MAX_CHARS = 3000
MAX_CHAPTERS = 8
MAX_MEMBER_BYTES = 2 * 1024**2
XHTML_TYPES = {"application/xhtml+xml", "text/html"}
HEAD = re.compile(r"<head\b.*?</head\s*>", re.I | re.S)
BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|li|blockquote|section|tr|pre)\s*>|<br\s*/?>", re.I)


def epub_text(path: Path) -> str:
    """The first MAX_CHARS or so characters of an EPUB's text, paragraphs separated by blank lines; ""
    when the book cannot be read."""
    try:
        with zipfile.ZipFile(path) as book:
            package = _package_path(book)
            paragraphs, count = [], 0
            for name in _spine(book, package)[:MAX_CHAPTERS]:
                for paragraph in _paragraphs(_read(book, name).decode("utf-8", "replace")):
                    paragraphs.append(paragraph)
                    count += len(paragraph)
                    if count >= MAX_CHARS:
                        return "\n\n".join(paragraphs)[:MAX_CHARS]
            return "\n\n".join(paragraphs)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ParseError, DefusedXmlException, EOFError):
        return ""


def _read(book: zipfile.ZipFile, name: str) -> bytes:
    with book.open(name) as member:  # decompressed as read: never more than the cap
        return member.read(MAX_MEMBER_BYTES)


def _xml(data: bytes):
    return fromstring(data.removeprefix(b"\xef\xbb\xbf"), forbid_dtd=False, forbid_entities=True,
                      forbid_external=True)


def _package_path(book: zipfile.ZipFile) -> str:
    container = _xml(_read(book, "META-INF/container.xml"))
    for element in container.iter():
        if local(element.tag) == "rootfile" and element.get("full-path"):
            return element.get("full-path")
    raise KeyError("no rootfile")


def _spine(book: zipfile.ZipFile, package: str) -> list[str]:
    """The chapters' member names in reading order."""
    root, folder = _xml(_read(book, package)), posixpath.dirname(package)
    hrefs = {}
    for element in root.iter():
        if local(element.tag) == "item" and element.get("media-type") in XHTML_TYPES and element.get("href"):
            target = posixpath.normpath(posixpath.join(folder, urllib.parse.unquote(element.get("href"))))
            if not target.startswith(("../", "/")):
                hrefs[element.get("id")] = target
    return [hrefs[ref.get("idref")] for ref in root.iter()
            if local(ref.tag) == "itemref" and ref.get("idref") in hrefs]


def _paragraphs(chapter: str) -> list[str]:
    marked = BLOCK_END.sub("\n\n", HEAD.sub(" ", chapter))
    text = html.unescape(nh3.clean(marked, tags=set()))
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]

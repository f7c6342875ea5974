"""Kolibri documents: an EPUB's opening text on its page and in search; what cannot be read stays a download."""
import io
import zipfile

import pytest

from bench.kolibri_channel import ChannelBuilder
from server.content.kolibri.document_text import MAX_CHARS, epub_text
from server.content.kolibri.importing import import_channel
from server.content.packs.install import active_version
from server.models import Lesson

BOOK, PDF = "b" * 32, "c" * 32
CONTAINER = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
             '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
             '</rootfiles></container>')


def _chapter(title: str, body: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>{title} (head)</title><style>p {{color: red}}</style></head><body><h1>{title}</h1>"
            f"{body}<script>document.write('scripted words')</script></body></html>")


def epub(chapters: dict[str, str], spine: list[str], container: str = CONTAINER) -> bytes:
    """A small EPUB: chapters by file name, read in `spine` order."""
    items = "".join(f'<item id="{n}" href="{n}" media-type="application/xhtml+xml"/>' for n in chapters)
    refs = "".join(f'<itemref idref="{n}"/>' for n in spine)
    opf = (f'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
           f"<manifest>{items}</manifest><spine>{refs}</spine></package>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("META-INF/container.xml", container)
        book.writestr("OEBPS/content.opf", opf)
        for name, text in chapters.items():
            book.writestr(f"OEBPS/{name}", text)
    return buffer.getvalue()


GOOD = epub({"two.xhtml": _chapter("The river", "<p>Kamau walked to the river &amp; back.</p>"),
             "one.xhtml": _chapter("The morning", "<p>The rooster crowed<br/>before dawn.</p><p>Amina woke.</p>")},
            spine=["one.xhtml", "two.xhtml"])


def test_an_epub_gives_its_opening_text_in_reading_order_without_scripts_styles_or_head(tmp_path):
    path = tmp_path / "book.epub"
    path.write_bytes(GOOD)
    text = epub_text(path)
    assert text.split("\n\n") == ["The morning", "The rooster crowed", "before dawn.", "Amina woke.", "The river",
                                  "Kamau walked to the river & back."]
    assert "scripted" not in text and "color" not in text and "(head)" not in text


@pytest.mark.parametrize("body", [
    b"not a zip at all",
    epub({"a.xhtml": _chapter("A", "<p>x</p>")}, ["a.xhtml"], container="<container><rootfiles/></container>"),
    epub({"a.xhtml": _chapter("A", "<p>x</p>")}, ["a.xhtml"],
         container='<!DOCTYPE c [<!ENTITY e "boom">]><container>&e;</container>'),
])
def test_a_book_that_cannot_be_read_gives_no_text(tmp_path, body):
    path = tmp_path / "bad.epub"
    path.write_bytes(body)
    assert epub_text(path) == ""


def test_a_long_book_is_cut_after_its_opening(tmp_path):
    chapters = {f"c{n}.xhtml": _chapter(f"Chapter {n}", "<p>" + "word " * 400 + "</p>") for n in range(20)}
    path = tmp_path / "long.epub"
    path.write_bytes(epub(chapters, list(chapters)))
    text = epub_text(path)
    assert len(text) <= MAX_CHARS and text.startswith("Chapter 0") and "Chapter 3" not in text


def test_the_epub_page_shows_the_opening_and_search_finds_it_while_a_pdf_stays_a_download(tmp_path, library):
    builder = ChannelBuilder("Stories")
    topic = builder.node("a" * 32, builder.id, "topic", "Stories")
    builder.node(BOOK, topic, "document", "Morning story", "A story for early readers.")
    builder.file(BOOK, GOOD, "epub", "epub")
    builder.node(PDF, topic, "document", "Leaflet", "A leaflet.")
    builder.file(PDF, b"%PDF-1.4 not really", "pdf", "document")
    result, _ = import_channel(builder.write(tmp_path), library, progress=lambda _: None)
    version = active_version(result.pack_id)
    book = Lesson.get((Lesson.pack_version == version) & (Lesson.lesson_id == BOOK))
    assert "Beginning of the book" in book.html and "Kamau walked to the river &amp; back." in book.html
    assert "<script" not in book.html and "scripted" not in book.html
    assert book.media[0]["url"].endswith(".epub")
    leaflet = Lesson.get((Lesson.pack_version == version) & (Lesson.lesson_id == PDF))
    assert "Beginning of the book" not in leaflet.html and leaflet.media[0]["url"].endswith(".pdf")
    hits = library.index.search("rooster")
    assert [h.lesson_id for h in hits] == [BOOK]

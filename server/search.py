"""Full-text search over lessons (the only module that imports Whoosh).

The index is derived from the database and can be rebuilt at any time (`lantern rebuild`).
Each language with a Whoosh stemmer gets its own field and analyzer; other languages get
accent folding without stemming; Chinese, Japanese and Korean are indexed as character
bigrams, since they are written without spaces.
"""
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from whoosh import highlight
from whoosh.analysis import (CharsetFilter, Filter, LanguageAnalyzer, LowercaseFilter,
                             RegexTokenizer, StandardAnalyzer)
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.index import EmptyIndexError, create_in, exists_in, open_dir
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.support.charset import accent_map

log = logging.getLogger(__name__)

STEMMED = ("en", "es", "fr", "pt", "de", "it", "nl", "ru", "sv", "fi", "hu", "no", "da", "ro", "tr")
CJK = ("ja", "zh", "ko")
MAX_QUERY = 200


@dataclass(frozen=True)
class SearchHit:
    pack_id: str
    lesson_id: str
    title: str
    pack_title: str
    snippet: str  # HTML: escaped text with <mark> around matches


@dataclass(frozen=True)
class LessonDoc:
    pack_id: str
    lesson_id: str
    title: str
    pack_title: str
    language: str
    text: str


CJK_RUN = re.compile(r"^[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+$")


class CJKBigramFilter(Filter):
    """Splits runs of CJK characters into overlapping bigrams; other tokens pass unchanged."""

    def __call__(self, tokens):
        for token in tokens:
            text = token.text
            if len(text) < 2 or not CJK_RUN.match(text):
                yield token
                continue
            for start in range(len(text) - 1):
                token.text = text[start:start + 2]
                yield token


def _field_for(language: str) -> str:
    primary = language.split("-")[0].lower()
    if primary in STEMMED:
        return f"body_{primary}"
    return "body_cjk" if primary in CJK else "body_other"


def _schema() -> Schema:
    folded = StandardAnalyzer(stoplist=None) | CharsetFilter(accent_map)
    cjk = (RegexTokenizer(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+|\w+") | LowercaseFilter()
           | CJKBigramFilter())
    fields = {
        "doc_id": ID(unique=True, stored=True),
        "pack_id": ID(stored=True),
        "lesson_id": STORED(),
        "pack_title": STORED(),
        "title": TEXT(analyzer=folded, stored=True, field_boost=3.0),
        "body_other": TEXT(analyzer=folded, stored=True),
        "body_cjk": TEXT(analyzer=cjk, stored=True),
    }
    for lang in STEMMED:
        fields[f"body_{lang}"] = TEXT(analyzer=LanguageAnalyzer(lang) | CharsetFilter(accent_map), stored=True)
    return Schema(**fields)


class SearchIndex:
    """The Whoosh index in one folder; writers are serialized within the process."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._index = None

    def _open(self):
        if self._index is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                self._index = open_dir(str(self.folder)) if exists_in(str(self.folder)) else None
            except EmptyIndexError:
                self._index = None
            if self._index is None:
                self._index = create_in(str(self.folder), _schema())
        return self._index

    def replace_pack(self, pack_id: str, docs: list[LessonDoc]) -> None:
        """Replace every document of one pack with `docs`, in one commit."""
        with self._lock:
            writer = self._open().writer()
            try:
                writer.delete_by_term("pack_id", pack_id)
                for doc in docs:
                    writer.add_document(**{
                        "doc_id": f"{doc.pack_id}/{doc.lesson_id}", "pack_id": doc.pack_id,
                        "lesson_id": doc.lesson_id, "pack_title": doc.pack_title, "title": doc.title,
                        _field_for(doc.language): doc.text})
                writer.commit()
            except BaseException:
                writer.cancel()
                raise

    def remove_pack(self, pack_id: str) -> None:
        """Drop one pack's documents."""
        self.replace_pack(pack_id, [])

    def rebuild(self, docs_by_pack: dict[str, list[LessonDoc]]) -> int:
        """Recreate the whole index from scratch; return the number of documents."""
        with self._lock:
            self._index = create_in(str(self.folder), _schema())
        for pack_id, docs in docs_by_pack.items():
            self.replace_pack(pack_id, docs)
        return sum(len(d) for d in docs_by_pack.values())

    def doc_count(self) -> int:
        """How many lessons are indexed."""
        return self._open().doc_count()

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Lessons matching `query`, best first, with highlighted snippets."""
        query = " ".join(query.split())[:MAX_QUERY]
        if not query:
            return []
        index = self._open()
        fields = ["title"] + [name for name in index.schema.names() if name.startswith("body_")]
        parser = MultifieldParser(fields, schema=index.schema, group=OrGroup.factory(0.9))
        parsed = parser.parse(query)
        with index.searcher() as searcher:
            results = searcher.search(parsed, limit=limit, terms=True)
            results.fragmenter = highlight.ContextFragmenter(maxchars=160, surround=60)
            results.formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
            return [self._hit(hit) for hit in results]

    @staticmethod
    def _hit(hit) -> SearchHit:
        snippet = ""
        for name in hit.fields():
            if name.startswith("body_"):
                snippet = hit.highlights(name, top=2) or snippet
        return SearchHit(hit["pack_id"], hit["lesson_id"], hit["title"], hit["pack_title"], snippet)


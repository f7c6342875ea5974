"""Full-text search over lessons (the only module that imports Whoosh).

The index is derived from the database and can be rebuilt at any time (`lantern rebuild`).
Each language with a Whoosh stemmer gets its own field and analyzer; other languages get
accent folding without stemming; Chinese, Japanese and Korean are indexed as character
bigrams, since they are written without spaces.

Whoosh is imported on first use (it is ~6 MiB a server does not need until someone searches).
`SearchIndex.shared(folder)` is the one instance per folder the server keeps: each thread keeps
a searcher open and reopens it only when the index has changed. Another worker process's writes are noticed
by the content generation (server/content/generation.py), which every write bumps: Whoosh's own check
compares generation numbers, which a rebuild elsewhere starts again from zero. A writer waits up to a minute
for another process's write lock instead of failing at once.
"""
import html
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from server.content import generation

log = logging.getLogger(__name__)

STEMMED = ("en", "es", "fr", "pt", "de", "it", "nl", "ru", "sv", "fi", "hu", "no", "da", "ro", "tr")
CJK = ("ja", "zh", "ko")
MAX_QUERY = 200
WRITE_LOCK_WAIT_SECONDS = 60.0
WRITER_LIMIT_MB = 8


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


CJK_RUN = re.compile(r"^[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+\Z")
# Snippets: Whoosh's highlighter re-analysed (tokenised, stemmed) the stored text of every hit, ~75 % of a
# query (docs/performance.md). Instead the words of a lesson are matched against the terms the query
# matched in the index (stems, accent-folded), and one window of text around the first match is shown.
SNIPPET_CHARS = 160
SNIPPET_BEFORE = 60
WORD = re.compile(r"\w+")


def _make_cjk_filter():
    from whoosh.analysis import Filter

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

    # Indexes store their schema pickled, naming this class as server.content.search.CJKBigramFilter.
    CJKBigramFilter.__qualname__ = "CJKBigramFilter"
    CJKBigramFilter.__module__ = __name__
    return CJKBigramFilter


def __getattr__(name):  # PEP 562: the filter class is made (and Whoosh imported) on first use
    if name == "CJKBigramFilter":
        cls = globals()["CJKBigramFilter"] = _make_cjk_filter()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _field_for(language: str) -> str:
    primary = language.split("-")[0].lower()
    if primary in STEMMED:
        return f"body_{primary}"
    return "body_cjk" if primary in CJK else "body_other"


def _schema():
    from whoosh.analysis import CharsetFilter, LanguageAnalyzer, LowercaseFilter, RegexTokenizer, StandardAnalyzer
    from whoosh.fields import ID, STORED, TEXT, Schema
    from whoosh.support.charset import accent_map

    cjk_filter = globals().get("CJKBigramFilter") or __getattr__("CJKBigramFilter")
    folded = StandardAnalyzer(stoplist=None) | CharsetFilter(accent_map)
    cjk = (RegexTokenizer(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+|\w+") | LowercaseFilter()
           | cjk_filter())
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

    _shared: dict[Path, "SearchIndex"] = {}
    _shared_lock = threading.Lock()

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._index = None
        self._changes = 0  # bumped by every write through this object: threads' searchers reopen
        self._local = threading.local()

    @classmethod
    def shared(cls, folder: Path) -> "SearchIndex":
        """The one SearchIndex of this process for a folder (so searchers and the writer lock are shared)."""
        key = Path(folder).resolve()
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(key)
            return cls._shared[key]

    def _open(self):
        from whoosh.index import EmptyIndexError, create_in, exists_in, open_dir

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
            self._changes += 1
            # Whoosh buffers up to 128 MB of postings by default, and its process holds about twice what it
            # buffers: 8 MB keeps a 10,000-lesson import (a converted Kolibri channel) under 150 MB (32 MB
            # made the index the import's peak, +43 MB), at the cost of a few more merge passes (one process).
            writer = self._open().writer(timeout=WRITE_LOCK_WAIT_SECONDS, limitmb=WRITER_LIMIT_MB, procs=1)
            try:
                writer.delete_by_term("pack_id", pack_id)
                for doc in docs:
                    writer.add_document(**{
                        "doc_id": f"{doc.pack_id}/{doc.lesson_id}", "pack_id": doc.pack_id,
                        "lesson_id": doc.lesson_id, "pack_title": doc.pack_title, "title": doc.title,
                        _field_for(doc.language): doc.text})
                writer.commit()
                self._changes += 1  # again: a searcher opened while this commit was being written reopens
            except BaseException:
                writer.cancel()
                raise
        generation.bump()  # searchers of the other workers reopen too

    def remove_pack(self, pack_id: str) -> None:
        """Drop one pack's documents."""
        self.replace_pack(pack_id, [])

    def rebuild(self, docs_by_pack: dict[str, list[LessonDoc]]) -> int:
        """Recreate the whole index from scratch; return the number of documents."""
        from whoosh.index import create_in

        with self._lock:
            self._changes += 1
            self._index = create_in(str(self.folder), _schema())
        generation.bump()
        for pack_id, docs in docs_by_pack.items():
            self.replace_pack(pack_id, docs)
        return sum(len(d) for d in docs_by_pack.values())

    def doc_count(self) -> int:
        """How many lessons are indexed."""
        return self._open().doc_count()

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Lessons matching `query`, best first, with highlighted snippets."""
        from whoosh.qparser import MultifieldParser, OrGroup

        query = " ".join(query.split())[:MAX_QUERY]
        if not query:
            return []
        searcher, fields = self._searcher()
        parser = MultifieldParser(fields, schema=searcher.schema, group=OrGroup.factory(0.9))
        parsed = parser.parse(query)
        results = searcher.search(parsed, limit=limit, terms=True)
        return [self._hit(hit) for hit in results]

    def _searcher(self):
        """This thread's open searcher, reopened when the index changed (here or in another process), and
        the fields worth parsing the query over: the title and the body fields that hold any text (a query
        over all 18 language fields cost several times more than over the two or three in use)."""
        local = self._local
        searcher = getattr(local, "searcher", None)
        seen = (self._changes, generation.current())
        if searcher is None or local.changes != seen:
            if searcher is not None:
                searcher.close()
            searcher = self._open().searcher()
            local.changes = seen
        else:
            fresh = searcher.refresh()
            if fresh is searcher:
                return searcher, local.fields
            searcher = fresh
        reader = searcher.reader()
        local.searcher = searcher
        local.fields = ["title"] + [name for name in searcher.schema.names()
                                    if name.startswith("body_") and reader.field_length(name)]
        return searcher, local.fields

    @staticmethod
    def _hit(hit) -> SearchHit:
        text = next((hit[name] for name in hit.fields() if name.startswith("body_")), "")
        terms = {t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t) for _, t in hit.matched_terms()}
        return SearchHit(hit["pack_id"], hit["lesson_id"], hit["title"], hit["pack_title"], snippet(text, terms))


def _fold_table() -> dict[int, str]:
    """One character to one character: Latin letters with accents to their base letter."""
    table = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(code))[0]
        if base != chr(code) and len(base.encode("utf-8")) == 1:
            table[code] = base
    return table


FOLD = _fold_table()


def _fold(text: str) -> str:
    """Lower case without accents, as the index's analyzers fold words (same length as `text`, or not at
    all for the rare letters whose lower case is longer)."""
    folded = text.lower().translate(FOLD)
    return folded if len(folded) == len(text) else ""


def _pattern(terms: set[str]) -> re.Pattern | None:
    """Words starting with a matched term (Snowball stems may end differently: happy -> happi); CJK
    bigrams anywhere."""
    alternatives = set()
    for term in filter(None, (_fold(t) for t in terms)):
        if CJK_RUN.match(term):
            alternatives.add(re.escape(term))
            continue
        stem = term[:-1] if len(term) > 3 and term[-1] in "ie" else term
        alternatives.add(r"\b" + re.escape(stem) + r"\w*")
    return re.compile("|".join(sorted(alternatives, key=len, reverse=True))) if alternatives else None


def snippet(text: str, terms: set[str]) -> str:
    """HTML: a window of `text` around its first word matching one of the query's index terms, the matching
    words in <mark>, the rest escaped; the opening of the text when no word matches (a title match)."""
    folded, pattern = _fold(text), _pattern(terms)
    first = pattern.search(folded) if pattern and folded else None
    start = max(0, first.start() - SNIPPET_BEFORE) if first else 0
    if start:
        space = text.find(" ", start, first.start())
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    out, at = [], start
    for m in (pattern.finditer(folded, start, end) if first else ()):
        out += [html.escape(text[at:m.start()]), "<mark>", html.escape(text[m.start():m.end()]), "</mark>"]
        at = m.end()
    out.append(html.escape(text[at:end]))
    return ("… " if start else "") + " ".join("".join(out).split()) + (" …" if end < len(text) else "")

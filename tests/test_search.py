"""Search: real Whoosh index in a temp dir, stemming, accents, non-Latin text, hostile queries."""
import pytest

from server.content.search import LessonDoc, SearchIndex


@pytest.fixture
def index(tmp_path):
    idx = SearchIndex(tmp_path / "index")
    idx.replace_pack("sante", [LessonDoc("sante", "eau", "L'eau potable", "Santé", "fr",
                                         "Il faut faire bouillir l'eau pour la rendre sûre à boire.")])
    idx.replace_pack("shell-ja", [LessonDoc("shell-ja", "intro", "シェルの紹介", "シェル", "ja",
                                            "シェルはコンピュータと対話するためのプログラムです。")])
    idx.replace_pack("frac", [LessonDoc("frac", "compare", "Comparing fractions", "Fractions", "en",
                                        "When we compare fractions with the same numerator, the smaller denominator wins.")])
    return idx


@pytest.mark.parametrize("query, lesson", [
    ("comparing", "compare"),        # stemmed: compare/comparing
    ("denominators", "compare"),
    ("sure", "eau"),                 # accent-insensitive: sûre
    ("sûre", "eau"),
    ("bouillir", "eau"),
    ("シェル", "intro"),              # Japanese, no spaces
    ("プログラム", "intro"),
])
def test_search_finds_the_right_lesson(index, query, lesson):
    hits = index.search(query)
    assert hits and hits[0].lesson_id == lesson


def test_snippets_highlight_matches_and_escape_text(index):
    index.replace_pack("x", [LessonDoc("x", "l", "T", "P", "en", "<script>alert(1)</script> fractions are parts")])
    hit = [h for h in index.search("fractions") if h.pack_id == "x"][0]
    assert "<mark" in hit.snippet and "<script>" not in hit.snippet


@pytest.mark.parametrize("query", ["", "   ", "AND", "title:(", '"unbalanced', "*", "a" * 5000, "OR OR NOT"])
def test_odd_queries_never_crash(index, query):
    assert isinstance(index.search(query), list)


def test_search_page_shows_results(demo_app):
    html = demo_app.test_client().get("/search?q=fraction").get_data(as_text=True)
    assert "results for" in html and "<mark" in html


def test_replace_pack_is_idempotent(index):
    before = index.doc_count()
    index.replace_pack("sante", [LessonDoc("sante", "eau", "L'eau", "Santé", "fr", "eau")])
    assert index.doc_count() == before

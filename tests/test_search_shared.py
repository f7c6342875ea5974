"""The search index the server keeps open: one per folder, searchers reopened when the index changes,
cheap snippets that still mark the matched words (stems, accents) and escape everything else."""
from server.content.search import LessonDoc, SearchIndex, snippet


def test_the_shared_index_sees_packs_written_through_it_and_by_another_writer(tmp_path):
    shared = SearchIndex.shared(tmp_path / "index")
    assert SearchIndex.shared(tmp_path / "index") is shared
    shared.replace_pack("a", [LessonDoc("a", "one", "Water", "A", "en", "Boil the water before drinking.")])
    assert [h.lesson_id for h in shared.search("water")] == ["one"]
    other = SearchIndex(tmp_path / "index")  # e.g. `lantern pack import` in another process
    other.replace_pack("b", [LessonDoc("b", "two", "Rivers", "B", "en", "Rivers carry water to the sea.")])
    assert sorted(h.lesson_id for h in shared.search("water")) == ["one", "two"]
    shared.remove_pack("a")
    assert [h.lesson_id for h in shared.search("water")] == ["two"]
    assert shared.rebuild({}) == 0 and shared.search("water") == []


def test_snippets_mark_stemmed_and_accented_words_around_the_first_match():
    text = ("An opening sentence about nothing in particular that goes on for a while. " * 3
            + "Then we compare fractions: comparing <b>two</b> fractions is easy. L'eau est sûre.")
    html = snippet(text, {"compar", "fraction"})
    assert html.startswith("… ") and "<mark>compare</mark>" in html and "<mark>fractions</mark>" in html
    assert "<mark>comparing</mark>" in html and "&lt;b&gt;two&lt;/b&gt;" in html and "<b>" not in html
    assert "<mark>sûre</mark>" in snippet("L'eau est sûre à boire.", {"sur"})
    assert "<mark>happy</mark>" in snippet("A happy child.", {"happi"})


def test_a_title_only_match_shows_the_opening_of_the_lesson_unmarked():
    html = snippet("First words of the lesson <here>. " + "More text. " * 40, {"zebra"})
    assert html.startswith("First words of the lesson &lt;here&gt;.") and "<mark>" not in html
    assert html.endswith(" …") and len(html) < 220
    assert snippet("", {"x"}) == ""


def test_only_fields_with_text_are_searched_but_every_language_is_found(tmp_path):
    index = SearchIndex(tmp_path / "index")
    index.replace_pack("fr", [LessonDoc("fr", "eau", "L'eau", "Santé", "fr", "Il faut faire bouillir l'eau.")])
    assert [h.lesson_id for h in index.search("bouillir")] == ["eau"]
    index.replace_pack("sw", [LessonDoc("sw", "maji", "Maji", "Afya", "sw", "Chemsha maji kabla ya kunywa.")])
    assert [h.lesson_id for h in index.search("chemsha")] == ["maji"]
    assert "<mark>Chemsha</mark>" in index.search("chemsha")[0].snippet

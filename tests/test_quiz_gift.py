"""GIFT import: the third-party fixture corpus, Moodle's own fixtures, error lines, and fuzzing."""
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import QuizFormatError
from server.content.quiz.gift import parse_gift
from server.content.quiz.items import validate_items
from tests.conftest import CORPUS as CORPUS_ROOT

from tests.conftest import examples

CORPUS = CORPUS_ROOT / "quizzes"
PEGJS = CORPUS / "gift-grammar-pegjs" / "tests" / "questions"
IDE = CORPUS / "gift-parser-ide" / "tests" / "mocks" / "main"
MOODLE = CORPUS / "moodle-qformat-fixtures" / "gift"


def _names(folder: Path, pattern: str = "*.gift") -> list[str]:
    return sorted(p.name for p in folder.glob(pattern)) if folder.is_dir() else []


def _read(path: Path) -> str:
    # newline="" keeps CRLF files as they are: parse_gift must cope with them itself.
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def _norm(text, text_format):
    """Their "moodle" texts collapse whitespace runs; we keep Moodle's line breaks, so compare words."""
    if text is None:
        return None
    text = text.replace("[[blank]]", "_____")
    return " ".join(text.split()) if text_format in ("moodle", "plain") else text


def _their_text(rich):
    return _norm(rich["text"], rich["format"]) or None if rich else None


def _their_weight(choice, default_right):
    if choice["weight"] is not None:
        return round(choice["weight"] / 100, 7)
    return 1.0 if choice["isCorrect"] else default_right


def _their_numeric(choice, weight, feedback):
    spec = choice if "type" in choice else None
    if spec is None or spec.get("text") == "*":
        return ("any", weight, feedback)
    if spec["type"] == "high-low":
        return ("range", spec["numberLow"], spec["numberHigh"], weight, feedback)
    return ("value", spec["number"], spec.get("range", 0), weight, feedback)


def expected_from_pegjs(question: dict) -> dict:
    """Their expected parse (GIFT-grammar-PEG.js schema) mapped to the shape `seen_in_ours` returns."""
    kind = {"MC": "single", "Short": "short", "TF": "truefalse", "Numerical": "numeric",
            "Matching": "matching", "Essay": "essay", "Description": "description"}[question["type"]]
    choices = question.get("choices") or []
    if kind == "single" and not any(c["isCorrect"] for c in choices):
        kind = "multiple"
    if kind in ("single", "short") and question["hasEmbeddedAnswers"]:
        kind = "fill"
    stem = question["stem"]
    seen = {"kind": kind, "title": question["title"], "format": stem["format"],
            "prompt": _norm(stem["text"], stem["format"]), "feedback": _their_text(question.get("globalFeedback"))}
    if question["type"] in ("MC", "Short"):
        default = 0.0 if question["type"] == "MC" else 1.0
        seen["answers"] = [(_norm(c["text"]["text"], c["text"]["format"]), _their_weight(c, default),
                            _their_text(c["feedback"])) for c in choices]
    elif kind == "truefalse":
        # GIFT-grammar-PEG.js files the first '#' text as "trueFeedback" and the second as "falseFeedback"
        # whatever the answer; Moodle's importer, gift-parser-ide ("incorrectFeedback", "correctFeedback")
        # and we read them as feedback for a wrong answer, then for a right one.
        first, second = ("incorrectFeedback", "correctFeedback") if "correctFeedback" in question else (
            "trueFeedback", "falseFeedback")
        seen["answers"] = (question["isTrue"], _their_text(question[first]), _their_text(question[second]))
    elif kind == "numeric":
        if isinstance(choices, dict):
            seen["answers"] = [_their_numeric(choices, 1.0, None)]
        else:
            seen["answers"] = [_their_numeric(c["text"], _their_weight(c, 0.0), _their_text(c["feedback"]))
                               for c in choices]
    elif kind == "matching":
        seen["answers"] = [(_norm(p["subquestion"]["text"], p["subquestion"]["format"]), p["subanswer"])
                           for p in question["matchPairs"]]
    return seen


def seen_in_ours(item: dict) -> dict:
    """The parts of one of our items that their expected parse also states."""
    norm = lambda text: _norm(text, item["format"])  # noqa: E731
    seen = {"kind": item["kind"], "title": item["title"], "format": item["format"],
            "prompt": norm(item["prompt"]), "feedback": norm(item["feedback"])}
    answers = item["answers"]
    if item["kind"] in ("single", "multiple", "short", "fill"):
        seen["answers"] = [(norm(a["text"]), a["weight"], norm(a["feedback"])) for a in answers]
    elif item["kind"] == "truefalse":
        right = next(a for a in answers if a["weight"] == 1.0)
        wrong = next(a for a in answers if a["weight"] == 0.0)
        seen["answers"] = (right["value"], norm(wrong["feedback"]), norm(right["feedback"]))
    elif item["kind"] == "numeric":
        seen["answers"] = [("any", a["weight"], norm(a["feedback"])) if "any" in a
                           else ("range", a["min"], a["max"], a["weight"], norm(a["feedback"])) if "min" in a
                           else ("value", a["value"], a["tolerance"], a["weight"], norm(a["feedback"]))
                           for a in answers]
    elif item["kind"] == "matching":
        seen["answers"] = [(norm(p["left"]), p["right"]) for p in item["pairs"]]
    return seen


def _compare_with_expected_json(gift_path: Path, *, with_ids_and_tags: bool = True):
    expected = json.loads(gift_path.with_suffix(".json").read_text(encoding="utf-8"))
    items = parse_gift(_read(gift_path), path=gift_path.name)
    questions = [q for q in expected if q["type"] != "Category"]
    assert len(items) == len(questions)
    for item, question in zip(items, questions):
        assert seen_in_ours(item) == expected_from_pegjs(question), item["id"]
        if with_ids_and_tags:
            assert item["id"] == (question.get("id") or item["id"])
            assert [t for t in item["tags"] if not t.startswith("category:")] == (question.get("tags") or [])
    return items


@pytest.mark.parametrize("name", _names(PEGJS))
def test_pegjs_fixture_parses_as_its_expected_json(corpus, name):
    _compare_with_expected_json(PEGJS / name)


@pytest.mark.parametrize("name", _names(IDE / "pass"))
def test_gift_parser_ide_pass_fixture_parses_as_its_expected_json(corpus, name):
    # gift-parser-ide forked before `[id:…]`/`[tag:…]` support: its JSON says null for both even for
    # tag_id_and_two_tags.gift. The pegjs fixtures of the same names check ids and tags.
    _compare_with_expected_json(IDE / "pass" / name, with_ids_and_tags=False)


# gift-parser-ide's negative fixtures. Their JSON lists the SyntaxErrors of an editor's linter; we raise
# one QuizFormatError at the first bad line. name → (our line, why it differs from their first line).
IDE_ERRORS = {
    "addedLineBreak.gift": (2, None),
    "missingCurly.gift": (1, None),
    "missingTitleColon.gift": (1, None),
    "unescapedCharacters.gift": (5, None),
    "unescapedCharacters1.gift": (3, None),
    # They stop at the '~' on line 3 ("expected '}'"); we name the real problem, the answer
    # "Correct Answer" on line 2 that has no '=' or '~' in front.
    "missingAnswer.gift": (2, "needs '=' (right) or '~' (wrong) in front"),
    # They reject the ':' of "https://" inside an answer (line 2). Moodle does not: ':' only matters in
    # ::titles:: and numeric answers. But the question has a title and no text at all, which we refuse
    # on its first line.
    "unescapedLink.gift": (1, "question has no text"),
}


@pytest.mark.parametrize("name", sorted(IDE_ERRORS))
def test_gift_parser_ide_error_fixture_is_refused_at_its_line(corpus, name):
    our_line, differs = IDE_ERRORS[name]
    their_line = json.loads((IDE / "error" / name).with_suffix(".json").read_text())[0]["location"]["start"]["line"]
    with pytest.raises(QuizFormatError) as caught:
        parse_gift(_read(IDE / "error" / name), path=name)
    assert caught.value.line == our_line
    assert caught.value.path == name and f"{name} line {our_line}: " in str(caught.value)
    if differs is None:
        assert our_line == their_line
    else:
        assert differs in caught.value.reason


def test_gift_parser_ide_error_fixtures_are_all_covered(corpus):
    assert set(_names(IDE / "error")) == set(IDE_ERRORS) | {"emptyLines.gift", "escapeBracket.gift",
                                                            "unescapedCharacters2.gift"}


def test_error_fixtures_that_their_linter_passes_too_import(corpus):
    # Their expected JSON for these two is [] (no errors): runs of blank lines, and \{ \} escapes.
    blank_lines = parse_gift(_read(IDE / "error" / "emptyLines.gift"))
    assert [i["kind"] for i in blank_lines] == ["single", "matching"]
    assert [p["left"] for p in blank_lines[1]["pairs"]] == ["Item 1", "Item 2", "Item 3", "Item 4"]
    braces = parse_gift(_read(IDE / "error" / "escapeBracket.gift"))
    assert braces[0]["answers"] == [{"text": "b{2,}", "weight": 0.0, "feedback": None},
                                    {"text": "bb*", "weight": 1.0, "feedback": None}]
    assert braces[1]["kind"] == "short" and braces[1]["answers"][0]["text"] == "new question"


def test_moodle_docs_examples_with_equals_in_question_text_import(corpus):
    # unescapedCharacters2.gift is the example set from Moodle's GIFT documentation. Their linter rejects
    # "1+1=2" in question text (lines 2 and 18); Moodle imports it, and so do we: outside the braces
    # '=' cannot start an answer, so it is unambiguous.
    items = parse_gift(_read(IDE / "error" / "unescapedCharacters2.gift"))
    assert [i["id"] for i in items] == ["q1", "q2", "q3", "q4", "q5", "q1-2", "q6", "q7", "q8"]
    assert items[0]["prompt"] == "1+1=2" and items[0]["kind"] == "truefalse"
    assert items[2]["kind"] == "fill" and items[2]["prompt"] == "Two plus [[blank]] equals four."
    assert items[5]["prompt"] == "32+32=64"
    assert items[7]["answers"][1] == {"value": 1822.0, "tolerance": 2.0, "weight": 0.5,
                                      "feedback": "He was born in 1822. Half credit for being close."}


def test_moodle_gift_fixture_imports_every_question(corpus):
    items = parse_gift(_read(MOODLE / "questions.gift.txt"), path="questions.gift.txt")
    assert [(i["id"], i["kind"]) for i in items] == [
        ("q8", "essay"), ("moodle-activities", "matching"), ("q2", "single"), ("colours", "multiple"),
        ("q5", "numeric"), ("shortanswer", "short"), ("q1", "truefalse"), ("2-08-tsl", "truefalse"),
        ("2-08-tsl-2", "truefalse")]
    matching = items[1]
    assert matching["format"] == "html" and matching["pairs"][-1] == {"left": "", "right": "Chat"}
    assert [a["weight"] for a in items[3]["answers"]] == [0.5, -1.0, 0.5, -1.0]
    # {#3:2~#Completely wrong}: a range and Moodle's "any other answer" with its feedback.
    assert items[4]["answers"] == [{"value": 3.0, "tolerance": 2.0, "weight": 1.0, "feedback": None},
                                   {"any": True, "weight": 0.0, "feedback": "Completely wrong"}]
    # The stray '";' after '}' is text after the answers: Moodle shows it after a "_____", and so do we.
    assert items[4]["prompt"] == 'What is a number from 1 to 5? _____ ";'
    assert items[5]["answers"][2] == {"text": "*", "weight": 0.0, "feedback": "Completely wrong"}
    truefalse = items[6]
    assert truefalse["feedback"] == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert truefalse["answers"] == [{"value": True, "weight": 0.0, "feedback": "42 is the Ultimate Answer."},
                                    {"value": False, "weight": 1.0, "feedback": "You gave the right answer."}]


def test_moodle_category_fixture_tags_every_question(corpus):
    items = parse_gift(_read(MOODLE / "questions_in_category.gift.txt"))
    assert [i["id"] for i in items] == ["moodle-activities", "greeting", "moodle-user", "moodle-acronym"]
    assert all(i["tags"] == ["category:Default for New Features"] for i in items)
    assert items[1]["prompt"].startswith('<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3">Listen')
    assert items[2]["answers"] == [{"text": "Moodler", "weight": 1.0, "feedback": None}]
    assert items[3]["prompt"].endswith('<span style="font-style: italic;">Modular Object-Oriented Dynamic '
                                       'Learning Environment</span>.')


def test_pegjs_category_fixture_becomes_a_tag_on_later_questions(corpus):
    text = _read(PEGJS / "categorySpecialCharacter.gift") + "\n\nWhat is 2+2? {#4}\n"
    (item,) = parse_gift(text)
    assert item["tags"] == ["category:Default for Unit 1: Topic"]


def test_crlf_bom_and_missing_final_newline_parse_the_same():
    text = "// comment\n::T1:: Capital of France? {=Paris ~Lyon}\n\n::T2:: 2+2 = {#4}\n"
    expected = parse_gift(text)
    assert parse_gift("\ufeff" + text.replace("\n", "\r\n")) == expected
    assert parse_gift(text.rstrip("\n")) == expected
    assert parse_gift(text.replace("\n", "\r")) == expected


@pytest.mark.parametrize(("gift", "ids"), [
    ("::Capital of Peru?:: Capital? {=Lima ~Cusco}", ["capital-of-peru"]),
    ("// [id:My ID 7]\n::Title:: Q? {T}", ["my-id-7"]),
    ("Q? {T}\n\nQ? {F}", ["q1", "q2"]),
    ("::Same:: A? {T}\n\n::Same:: B? {T}\n\n::Same:: C? {T}", ["same", "same-2", "same-3"]),
    # A repeated title never takes an id that a later question asks for.
    ("::A:: x {T}\n\n::A:: y {T}\n\n// [id:a-2]\nz {T}", ["a", "a-3", "a-2"]),
    ("::Ωμέγα:: x {T}\n\n::Éléphant:: y {T}", ["q1", "elephant"]),
    ("// [id:7]\nQ? {T}\n\nQ? {T}\n\n// [id:q2]\nQ? {T}", ["7", "q2-2", "q2"]),
])
def test_item_ids_come_from_id_then_title_then_position(gift, ids):
    assert [item["id"] for item in parse_gift(gift)] == ids


@pytest.mark.parametrize(("gift", "prompt", "answer_texts"), [
    (r"Escapes \: \= \~ \# \{ \} \\ here {=a\=b ~c\~d ~e\#f}", r"Escapes : = ~ # { } \ here",
     ["a=b", "c~d", "e#f"]),
    (r"Line one\nline two {T}", "Line one\nline two", []),
    (r"A lone \ backslash and \q stay {T}", r"A lone \ backslash and \q stay", []),
    ("[html]<p>Is <b>this</b> bold?</p>{=[plain]a < b ~[html]<i>c</i>}", "<p>Is <b>this</b> bold?</p>",
     ["a &lt; b", "<i>c</i>"]),
    ("[markdown]Pick *one*{=[plain]2*3 ~5}", "Pick *one*", [r"2\*3", "5"]),
    ("Moodle text\n  keeps its line breaks {T}", "Moodle text\nkeeps its line breaks", []),
])
def test_escapes_and_formats(gift, prompt, answer_texts):
    (item,) = parse_gift(gift)
    assert item["prompt"] == prompt
    assert [a["text"] for a in item["answers"] if "text" in a] == answer_texts


@pytest.mark.parametrize(("gift", "kind", "answers"), [
    ("Q {=right ~wrong#no}", "single", [("right", 1.0, None), ("wrong", 0.0, "no")]),
    ("Q {~%50%a ~%50%b ~%-100%c}", "multiple", [("a", 0.5, None), ("b", 0.5, None), ("c", -1.0, None)]),
    ("Q {~%33.333%a ~%33.333%b ~%33.334%c ~d}", "multiple",
     [("a", 0.33333, None), ("b", 0.33333, None), ("c", 0.33334, None), ("d", 0.0, None)]),
    ("Q {=a =%50%b#close}", "short", [("a", 1.0, None), ("b", 0.5, "close")]),
    ("Q {Paris}", "short", [("Paris", 1.0, None)]),
])
def test_choice_and_short_answer_weights(gift, kind, answers):
    (item,) = parse_gift(gift)
    assert item["kind"] == kind
    assert [(a["text"], a["weight"], a["feedback"]) for a in item["answers"]] == answers


@pytest.mark.parametrize(("gift", "answers"), [
    ("N {#3:2}", [{"value": 3.0, "tolerance": 2.0, "weight": 1.0, "feedback": None}]),
    ("N {#1..5}", [{"min": 1.0, "max": 5.0, "weight": 1.0, "feedback": None}]),
    ("N {#-3.142..-3.141}", [{"min": -3.142, "max": -3.141, "weight": 1.0, "feedback": None}]),
    ("N {#6.02e23}", [{"value": 6.02e23, "tolerance": 0.0, "weight": 1.0, "feedback": None}]),
    ("N {#=%50%3:1 =4#yes}", [{"value": 3.0, "tolerance": 1.0, "weight": 0.5, "feedback": None},
                             {"value": 4.0, "tolerance": 0.0, "weight": 1.0, "feedback": "yes"}]),
    ("N {#=4 =%0%*#not that}", [{"value": 4.0, "tolerance": 0.0, "weight": 1.0, "feedback": None},
                               {"any": True, "weight": 0.0, "feedback": "not that"}]),
])
def test_numeric_answers(gift, answers):
    (item,) = parse_gift(gift)
    assert item["kind"] == "numeric" and item["answers"] == answers


def test_missing_word_becomes_fill_with_one_blank():
    choice, text, numeric = parse_gift("Grant is {~buried =entombed} in the tomb.\n\n"
                                       "{=Asia} is the largest continent.\n\nPi is {#3.14:0.01} roughly.")
    assert (choice["kind"], choice["input"], choice["prompt"]) == ("fill", "choice", "Grant is [[blank]] in the tomb.")
    assert (text["kind"], text["input"], text["prompt"]) == ("fill", "text", "[[blank]] is the largest continent.")
    assert (numeric["kind"], numeric["prompt"]) == ("numeric", "Pi is _____ roughly.")


def test_general_feedback_matching_truefalse_essay_and_description():
    essay, matching, truefalse, description = parse_gift(
        "Write {####[html]<b>Model</b> answer}\n\n"
        "Match {=a -> 1 =b -> 2 = -> 3 ####well done}\n\n"
        "Sky is blue {TRUE#Look up!#Yes}\n\n"
        "::Intro:: Read the text first.")
    assert (essay["kind"], essay["feedback"]) == ("essay", "<b>Model</b> answer")
    assert matching["pairs"] == [{"left": "a", "right": "1"}, {"left": "b", "right": "2"}, {"left": "", "right": "3"}]
    assert matching["feedback"] == "well done"
    assert truefalse["answers"] == [{"value": True, "weight": 1.0, "feedback": "Yes"},
                                    {"value": False, "weight": 0.0, "feedback": "Look up!"}]
    assert (description["kind"], description["title"], description["answers"]) == ("description", "Intro", [])


def test_comment_ids_and_tags_and_category():
    (item,) = parse_gift("$CATEGORY: $course$/top/Fractions/Halves\n\n"
                         "// [id:half-1] [tag:easy] [tag:fractions] [tag:easy]\nHalf of 4? {#2}")
    assert item["id"] == "half-1"
    assert item["tags"] == ["easy", "fractions", "category:Fractions/Halves"]


@pytest.mark.parametrize(("gift", "line", "reason"), [
    ("Q {=a ~b", 1, "missing closing '}'"),
    ("::T:: one\ntwo {=a\n~b\n\n}", 3, "missing closing '}' for the answers opened on line 2"),
    ("Q {~a ~b}", 1, "no answer is marked correct"),
    ("Q? {\n=1+1=2\n~3}", 2, "unescaped '=' in answer '1+1=2'"),
    ("// [id:x]\nQ {T}\n\n// [id:x]\nQ {F}", 5, "id 'x' is given to two questions"),
    ("Q {#}", 1, "question has no answers"),
    ("Q {#abc}", 1, "'abc' is not a number"),
    ("Q {#5..1}", 1, "the minimum is greater than the maximum"),
    ("Q {#3:-1}", 1, "tolerance after ':' cannot be negative"),
    ("::Title Q {T}", 1, "title has no closing '::'"),
    ("Q {\n=a -> 1\n=b -> 2\n=c\n}", 4, "matching pair 'c' has no '->'"),
    ("Q {~%150%a =b}", 1, "answer weight %150% must be between -100% and 100%"),
    ("Q {~%5O%a =b}", 1, "an answer weight is a number between percent signs"),
    ("Q {TRUE#a#b#c}", 1, "at most two feedbacks"),
    ("Q {\n=a#fb#more\n~b}", 2, "unescaped '#' in feedback"),
    ("Q } {T}", 1, "'}' without an opening '{'"),
    ("Q {T} and {F}", 1, "unescaped '{' after the answers"),
    ("Q {=a ~b}\nQ2 {T}", 2, "leave a blank line between two questions"),
    ("Q {=a {~b}", 1, "unescaped '{' inside the answers"),
    ("{=Asia}", 1, "question has no text"),
    ("::Title::", 1, "question has no text"),
    ("Use std::cout {T}", 1, "unescaped '::' in the question text"),
    ("Q {=only}\n\nQ {~only}", 3, "needs at least 2 answers"),
    ("Q {=a ~ ~b}", 1, "empty answer after '~'"),
    ("Q {#1 ~x#y}", 1, "write feedback for any other answer as ~#feedback"),
    ("Q {\n" + "".join(f"~{n}\n" for n in range(20)) + "=right\n}", 1, "needs 2 to 20 answers (found 21)"),
    ("x" * 20_001 + " {T}", 1, "prompt is too long"),
    ("Q\x07 {T}", 1, "control character"),
])
def test_malformed_question_names_its_line_and_problem(gift, line, reason):
    with pytest.raises(QuizFormatError) as caught:
        parse_gift(gift, path="unit.gift")
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"unit.gift line {line}: ")


def test_every_problem_in_a_file_is_listed_and_nothing_is_returned():
    text = "Good {T}\n\nBad one {=a\n\nGood too {F}\n\nBad two {#x}\n"
    with pytest.raises(QuizFormatError) as caught:
        parse_gift(text)
    assert caught.value.line == 3
    assert "also: line 7: 'x' is not a number" in caught.value.reason


def test_parsed_items_are_valid_json_ready_and_stable(corpus):
    items = parse_gift(_read(PEGJS / "giftFormatPhpExamples.gift"))
    assert validate_items(json.loads(json.dumps(items)), "again") == items


GIFT_PIECES = st.sampled_from(["{", "}", "=", "~", "#", "####", "::", ":", "->", "%50%", "%-100%", "\\", "\n",
                               "\n\n", " ", "T", "FALSE", "[html]", "[markdown]", "//", "[id:x]", "$CATEGORY: c",
                               "1", "..", "3.5", "*", "a", "Q?", "\r\n", "\ufeff", "[[blank]]"])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.one_of(GIFT_PIECES, st.text(max_size=5)), max_size=40).map("".join))
def test_any_text_parses_or_raises_quiz_format_error(text):
    try:
        items = parse_gift(text)
    except QuizFormatError as err:
        assert err.line is None or err.line >= 1
        return
    assert validate_items(items, "fuzz") == items
    json.dumps(items)

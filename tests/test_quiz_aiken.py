"""Aiken import: Moodle's own fixtures, every kind of mistake with its line, and fuzzing."""
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import QuizFormatError
from server.content.quiz.aiken import parse_aiken
from server.content.quiz.items import validate_items
from tests.conftest import CORPUS as CORPUS_ROOT

from tests.conftest import examples

AIKEN = CORPUS_ROOT / "quizzes" / "moodle-qformat-fixtures" / "aiken"


def _answers(item):
    return [(a["text"], a["weight"]) for a in item["answers"]]


def test_moodle_valid_file_imports_with_right_answers(corpus):
    first, second = parse_aiken((AIKEN / "questions.aiken.txt").read_text(encoding="utf-8"))
    assert (first["id"], first["kind"], first["format"]) == ("q1", "single", "plain")
    assert first["prompt"] == "The Moodle project was started by:"
    assert _answers(first) == [("Petr Skoda", 0.0), ("Martin Dougiamas", 1.0), ("Eloy Lafuente", 0.0),
                               ("Tim Hunt", 0.0)]
    # HTML-looking text stays text: the item is plain, so it is escaped when shown.
    assert second["prompt"] == 'Moodle\'s abilities include handling user input that includes <html class="cool"> & images:'
    assert _answers(second) == [("True", 1.0), ("False", 0.0)]


def test_moodle_error_file_is_refused_whole_with_every_bad_question(corpus):
    # Two good questions sit among the bad ones; none is imported ("bad input changes nothing").
    with pytest.raises(QuizFormatError) as caught:
        parse_aiken((AIKEN / "aiken_errors.txt").read_text(encoding="utf-8"), path="aiken_errors.txt")
    error = caught.value
    assert (error.line, error.path) == (1, "aiken_errors.txt")
    assert error.reason.startswith("question has 1 option; it needs at least 2")
    assert "line 5: option 'A)' comes before any question text" in error.reason
    assert "line 7: 'ANSWER:' line without a question before it" in error.reason
    assert "line 14: question has no 'ANSWER:' line" in error.reason
    assert "line 19: option 'A)' needs a space and then its text" in error.reason


@pytest.mark.parametrize(("text", "prompt", "answers"), [
    ("What is 2+2?\nA. 3\nB. 4\nANSWER: B", "What is 2+2?", [("3", 0.0), ("4", 1.0)]),
    ("Two lines\nof question\nA) x\nB) y\nC) z\nANSWER: c\n", "Two lines\nof question",
     [("x", 0.0), ("y", 0.0), ("z", 1.0)]),
    ("\ufeffQ?\r\nA)\tyes\r\nB)  no\r\nANSWER:A\r\n", "Q?", [("yes", 1.0), ("no", 0.0)]),
    ("Q? <b>&amp;</b>\nA) <i>a</i>\nB) b\nANSWER: A", "Q? <b>&amp;</b>", [("<i>a</i>", 1.0), ("b", 0.0)]),
])
def test_aiken_variants(text, prompt, answers):
    (item,) = parse_aiken(text)
    assert item["prompt"] == prompt and _answers(item) == answers


def test_questions_need_no_blank_line_between_them():
    items = parse_aiken("Q1\nA) a\nB) b\nANSWER: A\nQ2\nA) c\nB) d\nANSWER: B")
    assert [(i["id"], i["prompt"]) for i in items] == [("q1", "Q1"), ("q2", "Q2")]


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("Q\nA) only\nANSWER: A", 1, "question has 1 option; it needs at least 2"),
    ("Q\nANSWER: A", 1, "question has 0 options"),
    ("Q\nA) a\nB) b", 1, "question has no 'ANSWER:' line (the file ends first)"),
    ("Q\nA) a\nB) b\n\nNext question\nA) c\nB) d\nANSWER: A", 1, "found more text on line 5"),
    ("Q\nA) a\nB) b\nANSWER: C", 4, "ANSWER 'C' is not one of the option letters A, B"),
    ("Q\nA) a\nB) b\nANSWER: A or B", 4, "ANSWER 'A or B' is not one of the option letters"),
    ("Q\nA)a\nB)b\nANSWER: A", 2, "option 'A)' needs a space and then its text"),
    ("Q\nA) a\nB.\nANSWER: A", 3, "option 'B.' needs a space and then its text"),
    ("Q\nA) a\nC) c\nANSWER: A", 3, "expected option 'B' but found 'C'"),
    ("A) a\nB) b\nANSWER: A", 1, "option 'A)' comes before any question text"),
    ("ANSWER: A", 1, "'ANSWER:' line without a question before it"),
    ("Q\x00?\nA) a\nB) b\nANSWER: A", 1, "control character"),
])
def test_mistakes_name_their_line(text, line, reason):
    with pytest.raises(QuizFormatError) as caught:
        parse_aiken(text, path="quiz.txt")
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"quiz.txt line {line}: ")


def test_reading_resumes_after_a_broken_question_to_report_later_ones():
    text = "A) stray\nB) stray\nANSWER: A\n\nGood\nA) x\nB) y\nANSWER: Z\n"
    with pytest.raises(QuizFormatError) as caught:
        parse_aiken(text)
    assert caught.value.line == 1 and "also: line 8: ANSWER 'Z'" in caught.value.reason


AIKEN_PIECES = st.sampled_from(["A) ", "B) ", "C. ", "A)", "ANSWER: ", "A", "B", "\n", "\n\n", "Q?", " ", "\r\n",
                                "\ufeff", "ANSWER:A", "x"])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.one_of(AIKEN_PIECES, st.text(max_size=4)), max_size=40).map("".join))
def test_any_text_parses_or_raises_quiz_format_error(text):
    try:
        items = parse_aiken(text)
    except QuizFormatError as err:
        assert err.line is None or err.line >= 1
        return
    assert validate_items(items, "fuzz") == items
    assert all(item["kind"] == "single" for item in items)

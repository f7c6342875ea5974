"""Grading: tables for every kind, garbage that scores 0, what cannot be graded, and fuzzing."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import InvalidInput
from server.content.quiz.gift import parse_gift
from server.content.quiz.grading import Grade, choices_for_display, grade, normalize_answer, parse_number
from server.content.quiz.items import validate_item

from tests.conftest import examples


def _item(data):
    return validate_item(data, "test")


SINGLE = _item({"id": "capital", "kind": "single", "prompt": "Capital of Peru?", "feedback": "Lima since 1535.",
                "answers": [{"text": "Lima", "weight": 1, "feedback": "Yes!"}, {"text": "Cusco", "weight": 0,
                            "feedback": "The Inca capital."}, {"text": "Lima (Callao)", "weight": 0.5},
                            {"text": "Quito", "weight": -0.5}]})
MULTIPLE = _item({"id": "primes", "kind": "multiple", "prompt": "Primes?", "answers": [
    {"text": "2", "weight": 0.5, "feedback": "2 is prime."}, {"text": "3", "weight": 0.5},
    {"text": "4", "weight": -1, "feedback": "4 = 2 × 2."}, {"text": "1", "weight": 0}]})
THIRDS = _item({"id": "thirds", "kind": "multiple", "prompt": "Continents?", "answers": [
    {"text": t, "weight": w} for t, w in [("Africa", 0.3333333), ("Asia", 0.3333333), ("China", -1),
                                          ("Antarctica", 0.3333333)]]})
TRUEFALSE = _item({"id": "tf", "kind": "truefalse", "prompt": "Grant is buried in Grant's tomb.", "answers": [
    {"value": True, "weight": 0, "feedback": "No one is."}, {"value": False, "weight": 1, "feedback": "Right."}]})
NUMERIC = _item({"id": "quarter", "kind": "numeric", "prompt": "3 ÷ 4?", "answers": [
    {"value": 0.75, "weight": 1, "feedback": "Exactly."}, {"value": 0.8, "tolerance": 0.06, "weight": 0.5,
     "feedback": "Close."}, {"any": True, "weight": 0, "feedback": "Divide 3 by 4."}]})
RANGE = _item({"id": "one-to-five", "kind": "numeric", "prompt": "A number from 1 to 5", "answers": [
    {"min": 1, "max": 5, "weight": 1}]})
BORN = _item({"id": "born", "kind": "numeric", "prompt": "Grant was born in?", "answers": [
    {"value": 1822, "weight": 1}, {"value": 1822, "tolerance": 2, "weight": 0.5, "feedback": "Close."}]})
SHORT = _item({"id": "city", "kind": "short", "prompt": "Biggest city of Brazil?", "answers": [
    {"text": "São Paulo", "weight": 1, "feedback": "Yes."}, {"text": "Sao Paolo", "weight": 0.5},
    {"text": "Rio*", "weight": 0, "feedback": "Rio is second."}]})
CASED = _item({"id": "ph", "kind": "short", "prompt": "Acidity scale?", "case_sensitive": True,
               "accent_sensitive": True, "answers": [{"text": "pH", "weight": 1}, {"text": "5\\*", "weight": 1}]})
WILD = _item({"id": "wild", "kind": "short", "prompt": "Name a New … city", "answers": [
    {"text": "New *", "weight": 1}, {"text": "*", "weight": 0, "feedback": "Think of New York."}]})
FILL_TEXT = _item({"id": "fill-t", "kind": "fill", "prompt": "[[blank]] is the largest continent.",
                   "answers": [{"text": "Asia", "weight": 1}]})
FILL_CHOICE = _item({"id": "fill-c", "kind": "fill", "input": "choice", "prompt": "Grant is [[blank]] there.",
                     "answers": [{"text": "buried", "weight": 0}, {"text": "entombed", "weight": 1}]})
MATCHING = _item({"id": "capitals", "kind": "matching", "prompt": "Match", "pairs": [
    {"left": "Peru", "right": "Lima"}, {"left": "Chile", "right": "Santiago"}, {"left": "Bolivia", "right": "Sucre"},
    {"left": "", "right": "Quito"}], "feedback": "Capitals of the Andes."})
SAME_RIGHT = _item({"id": "yes-no", "kind": "matching", "prompt": "Is it a mammal?", "pairs": [
    {"left": "Whale", "right": "yes"}, {"left": "Shark", "right": "no"}, {"left": "Bat", "right": "yes"}]})


def _match(item, rights):
    """The matching response that picks these right-hand texts, in the order of the asked pairs."""
    options = choices_for_display(item)
    return {f"match-{k}": str(options.index(right)) for k, right in enumerate(rights)}


@pytest.mark.parametrize(("item", "response", "score", "feedback"), [
    (SINGLE, {"answer": "0"}, 1.0, ["Yes!"]),
    (SINGLE, {"answer": "1"}, 0.0, ["The Inca capital."]),
    (SINGLE, {"answer": " 2 "}, 0.5, []),
    (SINGLE, {"answer": "3"}, 0.0, []),  # a negative weight scores 0, not less
    (SINGLE, {"answer": ["0"]}, 1.0, ["Yes!"]),
    (SINGLE, {"answer": "１"}, 0.0, []),  # an index is ASCII digits only
    (MULTIPLE, {"answer": ["0", "1"]}, 1.0, ["2 is prime."]),
    (MULTIPLE, {"answer": ["1", "0", "1"]}, 1.0, ["2 is prime."]),
    (MULTIPLE, {"answer": ["0"]}, 0.5, ["2 is prime."]),
    (MULTIPLE, {"answer": "0"}, 0.5, ["2 is prime."]),
    (MULTIPLE, {"answer": ["0", "1", "2"]}, 0.0, ["2 is prime.", "4 = 2 × 2."]),
    (MULTIPLE, {"answer": ["0", "1", "3"]}, 1.0, ["2 is prime."]),
    (MULTIPLE, {"answer": ["0", "2"]}, 0.0, ["2 is prime.", "4 = 2 × 2."]),
    (THIRDS, {"answer": ["0", "1", "3"]}, 0.9999999, []),
    (THIRDS, {"answer": ["0", "1", "2", "3"]}, 0.0, []),
    (TRUEFALSE, {"answer": "false"}, 1.0, ["Right."]),
    (TRUEFALSE, {"answer": " TRUE "}, 0.0, ["No one is."]),
    (NUMERIC, {"answer": "0.75"}, 1.0, ["Exactly."]),
    (NUMERIC, {"answer": "0,75"}, 1.0, ["Exactly."]),
    (NUMERIC, {"answer": "3/4"}, 1.0, ["Exactly."]),
    (NUMERIC, {"answer": " 3 / 4 "}, 1.0, ["Exactly."]),
    (NUMERIC, {"answer": ".75"}, 1.0, ["Exactly."]),
    (NUMERIC, {"answer": "7.5e-1"}, 1.0, ["Exactly."]),
    (NUMERIC, {"answer": "0.85"}, 0.5, ["Close."]),
    (NUMERIC, {"answer": "0.74"}, 0.5, ["Close."]),
    (NUMERIC, {"answer": "0.5"}, 0.0, ["Divide 3 by 4."]),
    (NUMERIC, {"answer": "three quarters"}, 0.0, []),
    (RANGE, {"answer": "1"}, 1.0, []),
    (RANGE, {"answer": "5"}, 1.0, []),
    (RANGE, {"answer": "4 1/2"}, 1.0, []),
    (RANGE, {"answer": "5.01"}, 0.0, []),
    (RANGE, {"answer": "−1"}, 0.0, []),
    (BORN, {"answer": "1822"}, 1.0, []),  # the best of the matching answers counts
    (BORN, {"answer": "1 822"}, 1.0, []),
    (BORN, {"answer": "1 824"}, 0.5, ["Close."]),
    (BORN, {"answer": "1825"}, 0.0, []),
    (SHORT, {"answer": "São Paulo"}, 1.0, ["Yes."]),
    (SHORT, {"answer": "sao   paulo"}, 1.0, ["Yes."]),
    (SHORT, {"answer": "SÃO PAULO\n"}, 1.0, ["Yes."]),
    (SHORT, {"answer": "Sao Paolo"}, 0.5, []),
    (SHORT, {"answer": "Rio de Janeiro"}, 0.0, ["Rio is second."]),
    (SHORT, {"answer": "Brasília"}, 0.0, []),
    (SHORT, {"answer": "   "}, 0.0, []),
    (CASED, {"answer": "pH"}, 1.0, []),
    (CASED, {"answer": "PH"}, 0.0, []),
    (CASED, {"answer": "5*"}, 1.0, []),  # \* is a literal star
    (CASED, {"answer": "55"}, 0.0, []),
    (WILD, {"answer": "new york"}, 1.0, []),
    (WILD, {"answer": "Newcastle"}, 0.0, ["Think of New York."]),
    (FILL_TEXT, {"answer": "asia"}, 1.0, []),
    (FILL_TEXT, {"answer": "Africa"}, 0.0, []),
    (FILL_CHOICE, {"answer": "1"}, 1.0, []),
    (FILL_CHOICE, {"answer": "0"}, 0.0, []),
    (MATCHING, _match(MATCHING, ["Lima", "Santiago", "Sucre"]), 1.0, []),
    (MATCHING, _match(MATCHING, ["Lima", "Quito", "Sucre"]), 2 / 3, []),
    (MATCHING, _match(MATCHING, ["Quito", "Quito", "Quito"]), 0.0, []),
    (MATCHING, {"match-0": _match(MATCHING, ["Lima"])["match-0"]}, 1 / 3, []),
    (SAME_RIGHT, _match(SAME_RIGHT, ["yes", "no", "yes"]), 1.0, []),
    (SAME_RIGHT, _match(SAME_RIGHT, ["yes", "yes", "yes"]), 2 / 3, []),
])
def test_grade(item, response, score, feedback):
    result = grade(item, response)
    assert result.score == pytest.approx(score)
    assert result.is_correct is (score >= 0.999)
    assert result.feedback == feedback


GARBAGE = [{}, {"answer": None}, {"answer": 5}, {"answer": 0.75}, {"answer": True}, {"answer": "x" * 10_000_000},
           {"answer": ["0"] * 1000}, {"answer": []}, {"answer": "99"}, {"answer": "-1"}, {"answer": "0x1"},
           {"answer": "0.0"}, {"answer": {"0": "0"}}, {"answer": "nan"}, {"answer": "inf"}, {"answer": "1e999"},
           {"answer": "1/0"}, {"answer": [["0"]]}, {"answer": ["0", "zero"]}, {"match-0": "99", "match-1": "x"},
           {"answer": "\x00"}, {"answer": "1" * 10_000}, {"ANSWER": "0"}]


@pytest.mark.parametrize("item", [SINGLE, MULTIPLE, TRUEFALSE, NUMERIC, RANGE, SHORT, FILL_TEXT, FILL_CHOICE, MATCHING])
@pytest.mark.parametrize("response", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_scores_zero(item, response):
    result = grade(item, response)
    assert (result.score, result.is_correct) == (0.0, False)


@pytest.mark.parametrize("kind", ["essay", "description"])
def test_essays_and_descriptions_cannot_be_graded(kind):
    with pytest.raises(InvalidInput, match="not checked automatically"):
        grade(_item({"id": "e", "kind": kind, "prompt": "Write."}), {"answer": "text"})


@pytest.mark.parametrize("response", [None, ["answer", "0"], "answer=0", 0])
def test_a_response_that_is_not_form_fields_is_refused(response):
    with pytest.raises(InvalidInput):
        grade(SINGLE, response)


@pytest.mark.parametrize(("item", "text"), [
    (SINGLE, "Lima"), (MULTIPLE, "2; 3"), (TRUEFALSE, "False"), (NUMERIC, "0.75"), (RANGE, "1 to 5"),
    (BORN, "1822"), (_item({"id": "t", "kind": "numeric", "prompt": "x", "answers": [{"value": 3, "tolerance": 2,
                                                                                          "weight": 1}]}), "3 ± 2"),
    (SHORT, "São Paulo"), (WILD, "New *"), (FILL_CHOICE, "entombed"),
    (MATCHING, "Peru → Lima; Chile → Santiago; Bolivia → Sucre"),
])
def test_correct_answer_text(item, text):
    assert grade(item, {}).correct_answer_text == text


def test_matching_options_are_each_right_side_once_in_a_stable_shuffled_order():
    options = choices_for_display(MATCHING)
    assert sorted(options) == ["Lima", "Quito", "Santiago", "Sucre"]
    assert options[:3] != ["Lima", "Santiago", "Sucre"]
    assert choices_for_display(dict(MATCHING)) == options
    assert len({tuple(choices_for_display({**MATCHING, "id": f"m{n}"})) for n in range(10)}) > 1  # seeded by id
    assert sorted(choices_for_display(SAME_RIGHT)) == ["no", "yes"]


def test_choices_for_display_of_choice_items_keep_the_posted_order():
    assert choices_for_display(SINGLE) == ["Lima", "Cusco", "Lima (Callao)", "Quito"]
    assert choices_for_display(FILL_CHOICE) == ["buried", "entombed"]
    assert choices_for_display(NUMERIC) == []


@pytest.mark.parametrize(("typed", "value"), [
    ("3.5", 3.5), ("3,5", 3.5), (" -2 ", -2.0), ("−2", -2.0), ("+4", 4.0), ("1 822", 1822.0), ("1\u00a0822,5", 1822.5),
    ("1.822,5", 1822.5), ("1,822.5", 1822.5), ("1,000,000", 1e6), ("3/4", 0.75), ("-3/4", -0.75), ("1 1/2", 1.5),
    ("11/2", 5.5), ("１２", 12.0), ("1e3", 1000.0), ("", None), ("abc", None), ("1/0", None), ("3/4/5", None),
    ("nan", None), ("inf", None), ("1e999", None), ("1.2.3", None), ("1" * 101, None), ("0x10", None),
])
def test_parse_number(typed, value):
    assert parse_number(typed) == value


@pytest.mark.parametrize(("typed", "case", "accent", "normal"), [
    ("  São   Paulo ", False, False, "sao paulo"), ("Straße", False, False, "strasse"), ("ÉCOLE", False, True, "école"),
    ("e\u0301cole", False, True, "école"), ("ÉCOLE", True, False, "ECOLE"), ("ﬁn", False, False, "fin"),
])
def test_normalize_answer(typed, case, accent, normal):
    assert normalize_answer(typed, case, accent) == normal


def test_imported_gift_items_grade_as_moodle_would():
    multiple, = parse_gift("Continents?{\n~%33.33333%Africa\n~%33.33333%Asia\n~%-100%China\n~%33.33333%Antarctica\n}")
    assert grade(multiple, {"answer": ["0", "1", "3"]}).is_correct
    numeric, = parse_gift("::Q5:: What is a number from 1 to 5? {#\n=3:2\n~#Completely wrong}")
    assert grade(numeric, {"answer": "4"}) == Grade(1.0, True, [], "3 ± 2")
    assert grade(numeric, {"answer": "6"}) == Grade(0.0, False, ["Completely wrong"], "3 ± 2")


GRADABLE = [SINGLE, MULTIPLE, THIRDS, TRUEFALSE, NUMERIC, RANGE, BORN, SHORT, CASED, WILD, FILL_TEXT, FILL_CHOICE,
            MATCHING, SAME_RIGHT]
VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
                      | st.sampled_from(["0", "1", "2", "3", "true", "3/4", "0,75", "São Paulo", "new *"]),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                      max_leaves=6)
RESPONSES = st.dictionaries(st.sampled_from(["answer", "match-0", "match-1", "match-2", "match-3"]) | st.text(max_size=6),
                            VALUES, max_size=5)


@settings(max_examples=examples(400), deadline=None)
@given(st.sampled_from(GRADABLE), RESPONSES)
def test_any_response_grades_between_zero_and_one(item, response):
    result = grade(item, response)
    assert 0.0 <= result.score <= 1.0
    assert result.is_correct is (result.score >= 0.999)
    assert all(isinstance(text, str) and text for text in result.feedback)


@settings(max_examples=examples(100), deadline=None)
@given(st.sampled_from(GRADABLE), st.none() | st.integers() | st.text(max_size=5) | st.lists(st.text(max_size=3)))
def test_a_response_that_is_not_a_mapping_raises_only_invalid_input(item, response):
    with pytest.raises(InvalidInput):
        grade(item, response)

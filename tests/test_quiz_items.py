"""The normalized item format: what validates, the defaults filled in, and what is refused and why."""
import copy
import json

import pytest

from server.errors import QuizFormatError
from server.content.quiz.items import assign_ids, slugify_id, validate_item, validate_items

VALID = {
    "single": {"id": "capital-1", "kind": "single", "prompt": "Capital of Peru?",
               "answers": [{"text": "Lima", "weight": 1}, {"text": "Cusco", "weight": 0, "feedback": "Old capital."}]},
    "multiple": {"id": "primes", "kind": "multiple", "prompt": "Pick the primes",
                 "answers": [{"text": "2", "weight": 0.5}, {"text": "3", "weight": 0.5}, {"text": "4", "weight": -1}]},
    "truefalse": {"id": "tf", "kind": "truefalse", "prompt": "The sun is a star.",
                  "answers": [{"value": False, "weight": 0.0, "feedback": "It is."}, {"value": True, "weight": 1.0}]},
    "numeric": {"id": "n.1", "kind": "numeric", "prompt": "Half of 7?",
                "answers": [{"value": 3.5, "weight": 1}, {"min": 3, "max": 4, "weight": 0.5},
                            {"any": True, "weight": 0, "feedback": "Divide by two."}]},
    "short": {"id": "s_1", "kind": "short", "prompt": "Capital of France?", "case_sensitive": True,
              "answers": [{"text": "Paris", "weight": 1}]},
    "fill": {"id": "fill", "kind": "fill", "prompt": "The [[blank]] is hot.", "input": "choice",
             "answers": [{"text": "sun", "weight": 1}, {"text": "moon", "weight": 0}]},
    "matching": {"id": "match", "kind": "matching", "prompt": "Match", "answers": [],
                 "pairs": [{"left": "Peru", "right": "Lima"}, {"left": "Chile", "right": "Santiago"},
                           {"left": "", "right": "Quito"}]},
    "essay": {"id": "essay", "kind": "essay", "prompt": "Describe your village.", "solution": "Any honest answer."},
    "description": {"id": "intro", "kind": "description", "prompt": "Read this first.", "format": "html"},
}


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_item_is_cleaned_with_defaults(kind):
    item = validate_item(copy.deepcopy(VALID[kind]), "pack.json")
    assert item["kind"] == kind
    assert {k: item[k] for k in ("title", "skill", "difficulty", "hints", "feedback", "tags")} == {
        "title": None, "skill": None, "difficulty": None, "hints": [], "feedback": None, "tags": []}
    assert item["format"] == VALID[kind].get("format", "markdown")
    assert validate_item(json.loads(json.dumps(item)), "again") == item  # idempotent, JSON-ready


def test_kind_specific_defaults_and_normal_forms():
    assert validate_item(VALID["single"], "x")["answers"][0] == {"text": "Lima", "weight": 1.0, "feedback": None}
    short = validate_item(VALID["short"], "x")
    assert (short["case_sensitive"], short["accent_sensitive"]) == (True, False)
    fill_text = validate_item({**VALID["fill"], "input": "text", "answers": [{"text": "sun", "weight": 1}]}, "x")
    assert (fill_text["input"], fill_text["case_sensitive"]) == ("text", False)
    # True/false answers come back true first, whatever order they were given in.
    assert [a["value"] for a in validate_item(VALID["truefalse"], "x")["answers"]] == [True, False]
    numeric = validate_item(VALID["numeric"], "x")["answers"]
    assert numeric[0] == {"value": 3.5, "tolerance": 0.0, "weight": 1.0, "feedback": None}
    assert numeric[1] == {"min": 3.0, "max": 4.0, "weight": 0.5, "feedback": None}


def _with(base, **changes):
    item = copy.deepcopy(VALID[base])
    for key, value in changes.items():
        if value is ...:
            item.pop(key, None)
        else:
            item[key] = value
    return item


@pytest.mark.parametrize(("item", "reason"), [
    ("not a dict", "an item must be a mapping"),
    (_with("single", kind="cloze"), "unknown kind 'cloze'"),
    (_with("single", id=...), "id None must match"),
    (_with("single", id="Capital"), "id 'Capital' must match"),
    (_with("single", id="-x"), "id '-x' must match"),
    (_with("single", id="x" * 81), "must match"),
    (_with("single", colour="red"), "unknown key 'colour' for a single item"),
    (_with("single", pairs=[]), "unknown key 'pairs' for a single item"),
    (_with("single", case_sensitive=True), "unknown key 'case_sensitive'"),
    (_with("single", format="rtf"), "unknown format 'rtf'"),
    (_with("single", prompt=""), "prompt must be non-empty text"),
    (_with("single", prompt="   "), "prompt must be non-empty text"),
    (_with("single", prompt=7), "prompt must be non-empty text (found 7)"),
    (_with("single", prompt="x" * 20_001), "prompt is too long (20,001 characters; at most 20,000)"),
    (_with("single", prompt="bell\x07"), "prompt contains a control character"),
    (_with("single", prompt="half a pair \ud800"), "prompt is not valid Unicode text"),
    (_with("single", title="t" * 256), "title is too long"),
    (_with("single", skill="Not An Id"), "skill 'Not An Id' must be a skill id"),
    (_with("single", difficulty=4), "difficulty must be between -3 and 3 (found 4)"),
    (_with("single", difficulty=True), "difficulty must be a number (found True)"),
    (_with("single", difficulty=float("nan")), "difficulty must be a finite number"),
    (_with("single", hints=["a"] * 6), "hints must be a list of at most 5 texts (found 6)"),
    (_with("single", hints="a hint"), "hints must be a list"),
    (_with("single", hints=[""]), "hints[0] must be non-empty text"),
    (_with("single", tags=["x"] * 31), "tags must be a list of at most 30"),
    (_with("single", answers=[{"text": "Lima", "weight": 1}]), "needs 2 to 20 answers (found 1)"),
    (_with("single", answers=[{"text": str(n), "weight": 1} for n in range(21)]), "needs 2 to 20 answers (found 21)"),
    (_with("single", answers=[{"text": "a", "weight": 0}, {"text": "b", "weight": -0.5}]), "no answer is marked correct"),
    (_with("single", answers=[{"text": "a", "weight": 2}, {"text": "b", "weight": 0}]), "answer 1 weight must be between -1 and 1"),
    (_with("single", answers=[{"text": "a"}, {"text": "b", "weight": 1}]), "answer 1: missing 'weight'"),
    (_with("single", answers=[{"text": "a", "weight": 1, "score": 1}, {"text": "b", "weight": 0}]), "answer 1: unknown key 'score'"),
    (_with("single", answers=[{"text": "", "weight": 1}, {"text": "b", "weight": 0}]), "answer 1 text must be non-empty"),
    (_with("single", answers=["a", "b"]), "answer 1 must be a mapping"),
    (_with("single", answers=None), "needs 2 to 20 answers (found None)"),
    (_with("truefalse", answers=[{"value": True, "weight": 1}, {"value": True, "weight": 0}]), "one answer for true and one for false"),
    (_with("truefalse", answers=[{"value": True, "weight": 1}, {"value": False, "weight": 1}]), "weight 1 on the right answer and 0"),
    (_with("truefalse", answers=[{"value": "yes", "weight": 1}, {"value": False, "weight": 0}]), "value must be true or false"),
    (_with("numeric", answers=[{"value": 1, "tolerance": -1, "weight": 1}]), "tolerance must be at least 0"),
    (_with("numeric", answers=[{"min": 5, "max": 1, "weight": 1}]), "min 5 is greater than max 1"),
    (_with("numeric", answers=[{"min": 5, "weight": 1}]), "missing 'max'"),
    (_with("numeric", answers=[{"value": "3", "weight": 1}]), "answer 1 value must be a number"),
    (_with("numeric", answers=[{"value": 3, "weight": 1}, {"any": True, "weight": 1}]), "needs any: true and weight 0"),
    (_with("numeric", answers=[{"value": 3, "weight": 1}, {"any": True, "weight": 0}, {"any": True, "weight": 0}]),
     "only one 'any other answer'"),
    (_with("numeric", answers=[{"value": 3, "weight": 0}]), "no answer is marked correct"),
    (_with("short", answers=[]), "needs 1 to 20 answers (found 0)"),
    (_with("short", case_sensitive="yes"), "case_sensitive must be true or false"),
    (_with("fill", prompt="No blank here"), "needs exactly one [[blank]] (found 0)"),
    (_with("fill", prompt="[[blank]] and [[blank]]"), "needs exactly one [[blank]] (found 2)"),
    (_with("fill", input="dropdown"), "input 'dropdown' must be 'text' or 'choice'"),
    (_with("single", prompt="Pick [[blank]]"), "only fill items may contain [[blank]]"),
    (_with("matching", pairs=[{"left": "a", "right": "b"}]), "needs 2 to 20 pairs (found 1)"),
    (_with("matching", pairs=[{"left": "a", "right": "b"}, {"left": "", "right": "c"}]), "at least 2 pairs with a left-hand side"),
    (_with("matching", pairs=[{"left": "a", "right": ""}, {"left": "b", "right": "c"}]), "pair 1 right must be non-empty"),
    (_with("matching", pairs=[{"left": "a", "right": "x" * 501}, {"left": "b", "right": "c"}]), "pair 1 right is too long"),
    (_with("matching", pairs=[{"left": "a"}, {"left": "b", "right": "c"}]), "pair 1 must have exactly the keys"),
    (_with("matching", answers=[{"text": "a", "weight": 1}]), "matching items have no answers"),
    (_with("essay", answers=[{"text": "a", "weight": 1}]), "essay items have no answers"),
])
def test_invalid_item_is_refused_naming_where_and_why(item, reason):
    with pytest.raises(QuizFormatError) as caught:
        validate_item(item, "unit fractions item 3")
    assert reason in caught.value.reason
    assert str(caught.value).startswith("unit fractions item 3: ")


def test_validate_items_refuses_duplicates_and_names_the_position():
    items = [VALID["single"], VALID["essay"], {**VALID["short"], "id": "capital-1"}]
    with pytest.raises(QuizFormatError) as caught:
        validate_items(items, "practice/geo.yaml")
    assert str(caught.value) == "practice/geo.yaml item 3: duplicate item id 'capital-1'"


def test_validate_items_names_the_bad_item_and_its_id():
    with pytest.raises(QuizFormatError) as caught:
        validate_items([VALID["essay"], {**VALID["single"], "answers": []}], "unit u1")
    assert str(caught.value).startswith("unit u1 item 2 (capital-1): this kind of item needs 2 to 20 answers")


def test_validate_items_needs_a_list_and_returns_clean_copies():
    with pytest.raises(QuizFormatError, match="items must be a list"):
        validate_items({"id": "x"}, "pack")
    source = [copy.deepcopy(VALID[k]) for k in sorted(VALID)]
    cleaned = validate_items(source, "pack")
    assert [i["id"] for i in cleaned] == [VALID[k]["id"] for k in sorted(VALID)]
    assert source == [VALID[k] for k in sorted(VALID)]  # the input is not changed


@pytest.mark.parametrize(("text", "slug"), [
    ("Grant's Tomb", "grant-s-tomb"), ("  Ünïcödé  Title ", "unicode-title"), ("06- création d'instance", "06-creation-d-instance"),
    ("a.b_c-d", "a.b_c-d"), ("日本語", ""), ("--x--", "x"), ("y" * 100, "y" * 80),
])
def test_slugify_id(text, slug):
    assert slugify_id(text) == slug


def test_assign_ids_prefers_explicit_ids_then_titles_then_positions():
    ids, problems = assign_ids(["", "", "a-2", "", "x", "x"], ["A", "A", None, None, None, "ignored"])
    assert ids == ["a", "a-3", "a-2", "q4", "x", "x-2"]
    assert problems == [(5, "id 'x' is given to two questions")]

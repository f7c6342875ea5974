"""Grading: a learner's posted response to a (validated) item → a Grade.

Responses are what the practice form posts: single and fill-choice {"answer": "<index>"}, multiple
{"answer": ["0", "2"]}, truefalse {"answer": "true" | "false"}, numeric, short and fill-text
{"answer": "<typed text>"}, matching {"match-<k>": "<option index>"} where k counts the pairs that
have a left-hand side and the option index points into `choices_for_display(item)`.

Garbage (missing fields, bad numbers, unknown indexes, huge strings) scores 0; only requests that
cannot be graded at all (an essay, a response that is not a mapping) raise InvalidInput.
A score is the chosen answer's weight (multiple: the sum of the chosen weights; matching: the share of
pairs matched; numeric and short: the best matching answer), clamped to 0..1; is_correct means ≥ 0.999,
so three answers of 33.33333% make a right answer. Grade.feedback holds the chosen answers' feedback,
then the item's general feedback.
"""
import hashlib
import math
import random
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from server.errors import InvalidInput
from server.i18n import N_

MAX_RESPONSE_CHARS = 2000
MAX_CHOSEN = 50
INDEX = re.compile(r"[0-9]{1,4}")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
FRACTION = re.compile(r"([+-]?)\s*(?:(\d+)\s+)?(\d+)\s*/\s*(\d+)")
WILDCARD = re.compile(r"(?<!\\)\*")


@dataclass(frozen=True)
class Grade:
    """How an answer did: score 0..1, whether it counts as right, feedback to show, the right answer."""

    score: float
    is_correct: bool
    feedback: list[str]
    correct_answer_text: str
    parts: tuple[int, int] | None = None  # partly right: (right, out of), for multiple and matching

    @property
    def is_partial(self) -> bool:
        """Some credit but not all: the page says "2 of 3 right", not "Not quite"."""
        return 0 < self.score < 0.999


def grade(item: dict, response: Mapping) -> Grade:
    """Grade a posted response; garbage scores 0, an ungradable item or request raises InvalidInput."""
    kind = item.get("kind") if isinstance(item, Mapping) else None
    if kind not in GRADERS and kind != "fill":
        raise InvalidInput(N_("This question is not checked automatically."))
    if not isinstance(response, Mapping):
        raise InvalidInput(N_("An answer must be a set of form fields."))
    style = ("single" if item.get("input") == "choice" else "short") if kind == "fill" else kind
    score, chosen_feedback = GRADERS[style](item, response)
    score = round(min(1.0, max(0.0, score)), 6)
    # General feedback (item["feedback"]) is not part of the grade: like Moodle, the page shows it
    # once the question is finished (right, or after the second miss), with the worked solution.
    feedback = [text for text in chosen_feedback if text]
    parts = _parts(item, response) if 0 < score < 0.999 and style in ("multiple", "matching") else None
    return Grade(score, score >= 0.999, feedback, correct_answer_text(item), parts)


def _parts(item: dict, response: Mapping) -> tuple[int, int]:
    """(right, out of) for a partly right answer: right options chosen, or pairs matched."""
    if item["kind"] == "matching":
        asked = [pair for pair in item["pairs"] if pair["left"]]
        return round(_matching(item, response)[0] * len(asked)), len(asked)
    raw = response.get("answer")
    raw = [raw] if isinstance(raw, str) else raw
    chosen = {_index(value, len(item["answers"])) for value in raw} - {None}
    right = [i for i, answer in enumerate(item["answers"]) if answer["weight"] > 0]
    return len(chosen & set(right)), len(right)


def choices_for_display(item: dict) -> list[str]:
    """What a form lists: choice texts in posted-index order, or matching's options shuffled by item id."""
    if item.get("kind") == "matching":
        return _matching_options(item)
    if item.get("kind") in ("single", "multiple") or item.get("input") == "choice":
        return [answer["text"] for answer in item["answers"]]
    return []


def correct_answer_text(item: dict) -> str:
    """The right answer in words, for the feedback page ("" for essays and descriptions)."""
    kind, answers = item["kind"], item.get("answers", [])
    if kind == "truefalse":
        return "True" if next(a["value"] for a in answers if a["weight"] > 0) else "False"
    if kind == "multiple":
        return "; ".join(a["text"] for a in answers if a["weight"] > 0)
    if kind == "matching":
        return "; ".join(f"{p['left']} → {p['right']}" for p in item["pairs"] if p["left"])
    best = max((a["weight"] for a in answers), default=0)
    if kind == "numeric":
        return "; ".join(_numeric_text(a) for a in answers if a["weight"] == best and "any" not in a)
    return "; ".join(a["text"] for a in answers if a["weight"] == best and a["text"].strip() != "*")


def parse_number(text: str) -> float | None:
    """A typed number: "3.5", "3,5", "1 822", "−2", "3/4", "1 1/2", "1e3"; None if it is not one."""
    if not isinstance(text, str) or len(text) > 100:
        return None
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip()
    fraction = FRACTION.fullmatch(text)
    if fraction:
        sign, whole, numerator, denominator = fraction.groups()
        if int(denominator) == 0:
            return None
        value = int(whole or 0) + int(numerator) / int(denominator)
        return -value if sign == "-" else value
    text = _with_decimal_point(re.sub(r"(?<=\d)\s+(?=\d)", "", text))
    if not NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def normalize_answer(text: str, case_sensitive: bool = False, accent_sensitive: bool = False) -> str:
    """Typed text as compared: runs of spaces made one, and case and accents dropped unless they count."""
    return re.sub(r"\s+", " ", _fold(text, case_sensitive, accent_sensitive)).strip()


def _single(item: dict, response: Mapping) -> tuple[float, list]:
    index = _index(_single_value(response.get("answer")), len(item["answers"]))
    if index is None:
        return 0.0, []
    answer = item["answers"][index]
    return answer["weight"], [answer["feedback"]]


def _multiple(item: dict, response: Mapping) -> tuple[float, list]:
    raw = response.get("answer")
    raw = [raw] if isinstance(raw, str) else raw
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_CHOSEN:
        return 0.0, []
    indexes = {_index(value, len(item["answers"])) for value in raw}
    if None in indexes:
        return 0.0, []
    chosen = [item["answers"][i] for i in sorted(indexes)]
    return sum(a["weight"] for a in chosen), [a["feedback"] for a in chosen]


def _truefalse(item: dict, response: Mapping) -> tuple[float, list]:
    typed = _typed(response.get("answer"))
    value = {"true": True, "false": False}.get(typed.strip().lower()) if typed is not None else None
    if value is None:
        return 0.0, []
    answer = next(a for a in item["answers"] if a["value"] is value)
    return answer["weight"], [answer["feedback"]]


def _numeric(item: dict, response: Mapping) -> tuple[float, list]:
    value = parse_number(_typed(response.get("answer")) or "")
    if value is None:
        return 0.0, []
    matching = [a for a in item["answers"] if "any" not in a and _number_matches(value, a)]
    if not matching:
        matching = [a for a in item["answers"] if "any" in a]
    if not matching:
        return 0.0, []
    best = max(matching, key=lambda a: a["weight"])
    return best["weight"], [best["feedback"]]


def _number_matches(value: float, answer: dict) -> bool:
    if "min" in answer:
        slack = 1e-9 * max(1.0, abs(answer["min"]), abs(answer["max"]))
        return answer["min"] - slack <= value <= answer["max"] + slack
    slack = answer["tolerance"] + 1e-9 * max(1.0, abs(answer["value"]))
    return abs(value - answer["value"]) <= slack


def _short(item: dict, response: Mapping) -> tuple[float, list]:
    typed = _typed(response.get("answer"))
    case, accent = item.get("case_sensitive", False), item.get("accent_sensitive", False)
    typed = normalize_answer(typed, case, accent) if typed is not None else ""
    if not typed:
        return 0.0, []
    matching = [a for a in item["answers"] if _text_matches(typed, a["text"], case, accent)]
    if not matching:
        return 0.0, []
    best = max(matching, key=lambda a: a["weight"])
    return best["weight"], [best["feedback"]]


def _text_matches(typed: str, expected: str, case: bool, accent: bool) -> bool:
    """Whether normalized typed text matches an answer; '*' in the answer matches anything, '\\*' a star."""
    parts = [part.replace("\\*", "*") for part in WILDCARD.split(expected.strip())]
    if len(parts) == 1:
        return typed == normalize_answer(parts[0], case, accent)
    folded = [re.escape(re.sub(r"\s+", " ", _fold(part, case, accent))) for part in parts]
    return re.fullmatch(".*".join(folded), typed, flags=re.DOTALL) is not None


def _matching(item: dict, response: Mapping) -> tuple[float, list]:
    options = _matching_options(item)
    asked = [pair for pair in item["pairs"] if pair["left"]]
    right = 0
    for k, pair in enumerate(asked):
        index = _index(response.get(f"match-{k}"), len(options))
        right += index is not None and options[index] == pair["right"]
    return right / len(asked), []


def _matching_options(item: dict) -> list[str]:
    options = list(dict.fromkeys(pair["right"] for pair in item["pairs"]))
    seed = int.from_bytes(hashlib.sha256(item["id"].encode()).digest()[:8], "big")
    shuffled = options[:]
    random.Random(seed).shuffle(shuffled)
    in_pair_order = [pair["right"] for pair in item["pairs"] if pair["left"]]
    if len(shuffled) > 1 and shuffled[:len(in_pair_order)] == in_pair_order:
        shuffled = shuffled[1:] + shuffled[:1]  # never list the options in the order of the questions
    return shuffled


def _index(value, count: int) -> int | None:
    if not isinstance(value, str) or not INDEX.fullmatch(value.strip()):
        return None
    index = int(value.strip())
    return index if index < count else None


def _single_value(value):
    """A field posted once may arrive as a one-item list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _typed(value) -> str | None:
    """A posted text field, or None when it is missing, not text or too long to be an answer."""
    value = _single_value(value)
    if not isinstance(value, str) or len(value) > MAX_RESPONSE_CHARS:
        return None
    return value


def _fold(text: str, case_sensitive: bool, accent_sensitive: bool) -> str:
    if accent_sensitive:
        text = unicodedata.normalize("NFKC", text)
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        text = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return text if case_sensitive else text.casefold()


def _with_decimal_point(text: str) -> str:
    """'3,5' → '3.5'; with both marks the last one is the decimal point ('1.822,5', '1,822.5')."""
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    if text.count(",") == 1:
        return text.replace(",", ".")
    return text.replace(",", "") if text.count(",") > 1 else text


def _numeric_text(answer: dict) -> str:
    if "min" in answer:
        return f"{answer['min']:g} to {answer['max']:g}"
    if answer["tolerance"]:
        return f"{answer['value']:g} ± {answer['tolerance']:g}"
    return f"{answer['value']:g}"


GRADERS = {"single": _single, "multiple": _multiple, "truefalse": _truefalse, "numeric": _numeric,
           "short": _short, "matching": _matching}

"""GIFT answer blocks: what stands between `{` and `}` decides an item's kind and gives its answers.

The kind is chosen as Moodle's importer chooses it: empty → essay; `#…` → numeric; any `~` → multiple
choice (one kind "single" if some answer has `=`, else "multiple"); `=` with `->` → matching;
T/TRUE/F/FALSE → true/false; otherwise short answer. `####…` at the end is general feedback.

Stricter than Moodle where Moodle would silently change what a question means: text before the first
`=`/`~`, a `=` or `~` glued to the text before it (`1+1=2`), a second `#` in feedback and a numeric
answer that is not a number are errors, never guesses.
"""
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from server.content.quiz.gift_text import GiftSyntaxError, finish_text, plain_text, rfind_unescaped, unescape, unescaped

TF_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}
WEIGHT = re.compile(r"%\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%")
BAD_WEIGHT = re.compile(r"%[^%\n]{0,10}%")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

LineAt = Callable[[int], int]


@dataclass(frozen=True)
class Chunk:
    """One answer inside the braces: its marker ("=", "~" or None) and its span after the marker."""

    marker: str | None
    start: int
    end: int


def parse_answers(text: str, start: int, end: int, item_format: str, line_at: LineAt) -> dict:
    """Kind, answers (or pairs) and general feedback of the answer block text[start:end]."""
    feedback = None
    general = rfind_unescaped(text, "####", start, end)
    if general >= 0:
        feedback = finish_text(text[general + 4:end], item_format, item_format)[1] or None
        end = general
    lead = start + len(text[start:end]) - len(text[start:end].lstrip())
    body = text[lead:end].rstrip()
    if not body:
        fields = {"kind": "essay", "answers": []}
    elif body[0] == "#":
        fields = _numeric(text, lead + 1, end, item_format, line_at)
    elif next(unescaped(text, "~", lead, end), None) is not None:
        fields = _choice(text, lead, end, item_format, line_at)
    elif next(unescaped(text, "=", lead, end), None) is not None and "->" in body:
        fields = _matching(text, lead, end, item_format, line_at)
    elif _truefalse_word(text, lead, end) in TF_WORDS:
        fields = _truefalse(text, lead, end, item_format, line_at)
    else:
        fields = _short(text, lead, end, item_format, line_at)
    return {**fields, "feedback": feedback}


def chunks(text: str, start: int, end: int, markers: str, line_at: LineAt) -> list[Chunk]:
    """The answers of text[start:end], split at unescaped markers; a marker glued to a word is an error."""
    positions = list(unescaped(text, markers, start, end))
    found = []
    head_end = positions[0] if positions else end
    if text[start:head_end].strip():
        found.append(Chunk(None, start, head_end))
    for n, pos in enumerate(positions):
        if pos > start and not text[pos - 1].isspace():
            char, left = text[pos], positions[n - 1] + 1 if n else start
            raise GiftSyntaxError(line_at(pos), f"unescaped '{char}' in answer '{_snippet(text, left, pos, end)}': "
                                  f"write \\{char} for a literal '{char}', or leave a space before a new answer")
        found.append(Chunk(text[pos], pos + 1, positions[n + 1] if n + 1 < len(positions) else end))
    return found


def _choice(text: str, start: int, end: int, item_format: str, line_at: LineAt) -> dict:
    found = chunks(text, start, end, "=~", line_at)
    _no_unmarked(text, found, "'=' (right) or '~' (wrong)", line_at)
    if len(found) < 2:
        raise GiftSyntaxError(line_at(start), "a multiple-choice question needs at least 2 answers")
    kind = "single" if any(c.marker == "=" for c in found) else "multiple"
    return {"kind": kind, "answers": _text_answers(text, found, {"=": 1.0, "~": 0.0}, item_format, line_at)}


def _short(text: str, start: int, end: int, item_format: str, line_at: LineAt) -> dict:
    found = chunks(text, start, end, "=", line_at)
    if len(found) > 1:
        _no_unmarked(text, found, "'='", line_at)
    return {"kind": "short", "answers": _text_answers(text, found, {None: 1.0, "=": 1.0}, item_format, line_at)}


def _text_answers(text: str, found: list[Chunk], weights: dict, item_format: str, line_at: LineAt) -> list[dict]:
    answers = []
    for chunk in found:
        weight, start = _weight(text, chunk, weights[chunk.marker], line_at)
        body, feedback = _feedback(text, start, chunk.end, item_format, line_at)
        answer = finish_text(body, item_format, item_format)[1]
        if not answer:
            raise GiftSyntaxError(line_at(chunk.start), f"empty answer after '{chunk.marker or '{'}' "
                                  "(a stray '=' or '~'? write \\= or \\~ for a literal one)")
        answers.append({"text": answer, "weight": weight, "feedback": feedback})
    return answers


def _matching(text: str, start: int, end: int, item_format: str, line_at: LineAt) -> dict:
    found = chunks(text, start, end, "=", line_at)
    _no_unmarked(text, found, "'='", line_at)
    pairs = []
    for chunk in found:
        arrow = text.find("->", chunk.start, chunk.end)
        if arrow < 0:
            raise GiftSyntaxError(line_at(chunk.start), f"matching pair '{_snippet(text, chunk.start, chunk.start, chunk.end)}' has no '->'")
        hashes = list(unescaped(text, "#", chunk.start, chunk.end))
        if hashes:
            raise GiftSyntaxError(line_at(hashes[0]), "a matching pair cannot have feedback (write \\# for a literal '#')")
        right = plain_text(text[arrow + 2:chunk.end])
        if not right:
            raise GiftSyntaxError(line_at(arrow), "matching pair has nothing after '->'")
        pairs.append({"left": finish_text(text[chunk.start:arrow], item_format, item_format)[1], "right": right})
    return {"kind": "matching", "answers": [], "pairs": pairs}


def _truefalse_word(text: str, start: int, end: int) -> str:
    first_hash = next(unescaped(text, "#", start, end), end)
    return text[start:first_hash].strip()


def _truefalse(text: str, start: int, end: int, item_format: str, line_at: LineAt) -> dict:
    hashes = list(unescaped(text, "#", start, end))
    if len(hashes) > 2:
        raise GiftSyntaxError(line_at(hashes[2]), "unescaped '#': a true/false question has at most two "
                              "feedbacks, {TRUE#for a wrong answer#for a right answer}")
    bounds = [start, *hashes, end]
    parts = [text[bounds[i] + (i > 0):bounds[i + 1]] for i in range(len(bounds) - 1)] + ["", ""]
    wrong = finish_text(parts[1], item_format, item_format)[1] or None
    right = finish_text(parts[2], item_format, item_format)[1] or None
    is_true = TF_WORDS[parts[0].strip()]
    # Moodle's order: the first feedback is for a wrong answer, the second for a right one.
    return {"kind": "truefalse", "answers": [
        {"value": True, "weight": 1.0 if is_true else 0.0, "feedback": right if is_true else wrong},
        {"value": False, "weight": 0.0 if is_true else 1.0, "feedback": wrong if is_true else right}]}


def _numeric(text: str, start: int, end: int, item_format: str, line_at: LineAt) -> dict:
    tildes = list(unescaped(text, "~", start, end))
    other = None
    if tildes:
        if len(tildes) > 1:
            raise GiftSyntaxError(line_at(tildes[1]), "a numeric question has at most one '~' (~#feedback for any other answer)")
        head, other_feedback = _feedback(text, tildes[0] + 1, end, item_format, line_at)
        if unescape(head).strip() not in ("", "*"):
            raise GiftSyntaxError(line_at(tildes[0]), "in a numeric question, write feedback for any other answer as ~#feedback")
        other = {"any": True, "weight": 0.0, "feedback": other_feedback}
        end = tildes[0]
    found = chunks(text, start, end, "=", line_at)
    if not found:
        raise GiftSyntaxError(line_at(start), "question has no answers (a numeric question needs a number after '#')")
    if len(found) > 1:
        _no_unmarked(text, found, "'='", line_at)
    answers = [_numeric_answer(text, chunk, item_format, line_at) for chunk in found]
    return {"kind": "numeric", "answers": answers + ([other] if other else [])}


def _numeric_answer(text: str, chunk: Chunk, item_format: str, line_at: LineAt) -> dict:
    weight, start = _weight(text, chunk, 1.0, line_at)
    body, feedback = _feedback(text, start, chunk.end, item_format, line_at)
    spec, line = unescape(body).strip(), line_at(chunk.start)
    if spec == "*":
        return {"any": True, "weight": weight, "feedback": feedback}
    if ".." in spec[1:]:
        cut = spec.index("..", 1)
        low, high = _number(spec[:cut], line), _number(spec[cut + 2:], line)
        if low > high:
            raise GiftSyntaxError(line, f"range '{spec}': the minimum is greater than the maximum")
        return {"min": low, "max": high, "weight": weight, "feedback": feedback}
    if ":" in spec[1:]:
        cut = spec.index(":", 1)
        value, tolerance = _number(spec[:cut], line), _number(spec[cut + 1:], line)
        if tolerance < 0:
            raise GiftSyntaxError(line, f"'{spec}': the tolerance after ':' cannot be negative")
        return {"value": value, "tolerance": tolerance, "weight": weight, "feedback": feedback}
    return {"value": _number(spec, line), "tolerance": 0.0, "weight": weight, "feedback": feedback}


def _number(text: str, line: int) -> float:
    text = text.strip()
    if not NUMBER.fullmatch(text) or not math.isfinite(float(text)):
        raise GiftSyntaxError(line, f"'{text[:40]}' is not a number (write numbers like 3, -2.5 or 1e6)")
    return float(text)


def _weight(text: str, chunk: Chunk, default: float, line_at: LineAt) -> tuple[float, int]:
    """The answer's %weight% (or the default) and where its text starts."""
    start = chunk.start + len(text[chunk.start:chunk.end]) - len(text[chunk.start:chunk.end].lstrip())
    match = WEIGHT.match(text, start, chunk.end)
    if match:
        weight = round(float(match.group(1)) / 100, 7)
        if not -1 <= weight <= 1:
            raise GiftSyntaxError(line_at(start), f"answer weight {match.group(0)} must be between -100% and 100%")
        return weight, match.end()
    if BAD_WEIGHT.match(text, start, chunk.end):
        raise GiftSyntaxError(line_at(start), "an answer weight is a number between percent signs, like %50% or %-25%")
    return default, start


def _feedback(text: str, start: int, end: int, item_format: str, line_at: LineAt) -> tuple[str, str | None]:
    """The raw answer text of text[start:end] and its finished feedback after '#', if any."""
    hashes = list(unescaped(text, "#", start, end))
    if len(hashes) > 1:
        raise GiftSyntaxError(line_at(hashes[1]), "unescaped '#' in feedback (write \\# for a literal '#')")
    if not hashes:
        return text[start:end], None
    return text[start:hashes[0]], finish_text(text[hashes[0] + 1:end], item_format, item_format)[1] or None


def _no_unmarked(text: str, found: list[Chunk], markers: str, line_at: LineAt) -> None:
    if found and found[0].marker is None:
        first = found[0].start + len(text[found[0].start:found[0].end]) - len(text[found[0].start:found[0].end].lstrip())
        raise GiftSyntaxError(line_at(first), f"answer '{_snippet(text, first, first, found[0].end)}' needs {markers} in front")


def _snippet(text: str, left: int, pos: int, end: int) -> str:
    """The words of text[left:end] on the line of `pos`, shortened, for error messages."""
    line_start = max(left, text.rfind("\n", 0, pos) + 1)
    line_end = text.find("\n", pos, end)
    piece = " ".join(text[line_start:end if line_end < 0 else line_end].split())
    return piece if len(piece) <= 40 else piece[:37] + "..."

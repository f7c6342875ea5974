"""The normalized practice-item format, and its validator (packs are untrusted input).

An item is a plain JSON-serializable dict:

    id          str, [a-z0-9][a-z0-9_.-]{0,79}; stable across pack versions (progress is keyed by it)
    kind        single | multiple | truefalse | numeric | short | matching | fill | essay | description
    prompt      str, 1..20,000 chars, in `format`
    format      markdown (default) | html | plain | moodle (HTML allowed, line breaks kept; GIFT's default)
    title       str | None (≤ 255)          skill       str | None (a skill id inside the pack)
    difficulty  float | None, -3..3         hints       [str], 0..5
    solution    str | None (worked solution, shown after a second miss)
    feedback    str | None (general feedback, shown once the question is finished: right, or after a second miss)
    tags        [str], 0..30
    answers     list, by kind (texts are in the item's `format`; "weight" is a float in -1..1):
      single, multiple   2..20 of {"text", "weight", "feedback"}; at least one weight > 0
      truefalse          [{"value": true, "weight", "feedback"}, {"value": false, ...}]; weights 1.0 and 0.0
      numeric            1..20 of {"value", "tolerance" (≥ 0, default 0), "weight", "feedback"}
                         or {"min", "max", "weight", "feedback"}; at least one weight > 0; plus at most
                         one {"any": true, "weight": 0.0, "feedback"}: "any other answer" (GIFT `~#…`)
      short              1..20 of {"text", "weight", "feedback"}; at least one weight > 0; a "*" in a
                         text matches any characters (Moodle's wildcard); item keys "case_sensitive",
                         "accent_sensitive" (bool, default false)
      fill               prompt holds exactly one "[[blank]]"; "input": "text" (default; answers as
                         short, same two flags) | "choice" (answers as single)
      matching           answers = []; "pairs": 2..20 of {"left", "right"}, "right" is plain text; a
                         pair with left "" is a distractor (an extra right-hand option); ≥ 2 real pairs
      essay, description answers = [] (not graded automatically)

`validate_item` returns a cleaned copy with every default filled in; `validate_items` also rejects
duplicate ids. `items_from_drafts` is the last step of every importer (GIFT, Aiken): it gives ids,
validates, and reports every problem with its line, so bad input changes nothing.
"""
import math
import re
import unicodedata
from dataclasses import dataclass

from server.errors import QuizFormatError

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")
KINDS = ("single", "multiple", "truefalse", "numeric", "short", "matching", "fill", "essay", "description")
FORMATS = ("markdown", "html", "plain", "moodle")
BLANK = "[[blank]]"
MAX_PROMPT = 20_000
MAX_ANSWER = 5_000
MAX_RIGHT = 500
MAX_ITEMS = 5_000
COMMON_KEYS = ("id", "kind", "prompt", "format", "title", "skill", "difficulty", "hints", "solution",
               "feedback", "answers", "tags")
EXTRA_KEYS = {"short": ("case_sensitive", "accent_sensitive"),
              "fill": ("input", "case_sensitive", "accent_sensitive"), "matching": ("pairs",)}
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Invalid(Exception):
    """A problem found while validating; `validate_item` adds where it was found."""


def validate_item(data: dict, where: str) -> dict:
    """A cleaned copy of one item with defaults filled in; raises QuizFormatError naming `where`."""
    try:
        return _clean_item(data)
    except _Invalid as problem:
        raise QuizFormatError(str(problem), path=where) from None


def validate_items(items: list, where: str) -> list[dict]:
    """Every item cleaned, in order; rejects a non-list, too many items and duplicate ids."""
    if not isinstance(items, list):
        raise QuizFormatError("items must be a list", path=where)
    if len(items) > MAX_ITEMS:
        raise QuizFormatError(f"too many items ({len(items)}; at most {MAX_ITEMS})", path=where)
    cleaned, seen = [], set()
    for position, data in enumerate(items, start=1):
        label = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
        item = validate_item(data, f"{where} item {position}" + (f" ({label[:80]})" if label else ""))
        if item["id"] in seen:
            raise QuizFormatError(f"duplicate item id '{item['id']}'", path=f"{where} item {position}")
        seen.add(item["id"])
        cleaned.append(item)
    return cleaned


def slugify_id(text: str) -> str:
    """An item id made from free text (a title, a Moodle idnumber), or "" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9_.]+", "-", ascii_text).strip("-_.")
    return slug[:80].rstrip("-_.")


def assign_ids(explicit: list[str], titles: list[str | None]) -> tuple[list[str], list[tuple[int, str]]]:
    """Ids for imported items, made unique, and (index, problem) for an explicit id given twice.

    An explicit id (GIFT `[id:…]`) is kept as given; then a title's slug ("a", "a-2", …); then `q<n>`
    (1-based position). Earlier kinds never yield to later ones, so ids do not shift when a title is added.
    """
    ids, problems, taken = [""] * len(titles), [], set()
    wanted = [(0, slugify_id(e)) if e else (1, slugify_id(t or "")) for e, t in zip(explicit, titles)]
    wanted = [(rank, base) if base else (2, f"q{n}") for n, (rank, base) in enumerate(wanted, start=1)]
    for index in sorted(range(len(wanted)), key=lambda i: (wanted[i][0], i)):
        rank, base = wanted[index]
        if rank == 0 and base in taken:
            problems.append((index, f"id '{explicit[index]}' is given to two questions"))
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = base[:80 - len(f"-{n}")].rstrip("-_.") + f"-{n}"
        taken.add(candidate)
        ids[index] = candidate
    return ids, problems


@dataclass(frozen=True)
class Reading:
    """A quiz file read leniently: the good items, and each bad question as (line, problem, label)."""

    items: list[dict]
    problems: list[tuple[int, str, str]]
    explicit_ids: frozenset[str] = frozenset()


def items_from_drafts(drafts: list[tuple[int, dict, str]], problems: list[tuple],
                      path: str | None) -> list[dict]:
    """Importers' last step for (line, draft, explicit id) triples: ids, validation, all problems raised."""
    reading = read_drafts(drafts, problems)
    if reading.problems:
        raise_problems(reading.problems, path)
    return reading.items


def read_drafts(drafts: list[tuple[int, dict, str]], problems: list[tuple]) -> Reading:
    """Ids and validation for (line, draft, explicit id) triples, keeping every problem instead of raising.

    Decisions: ids are given over all drafts before any is dropped, so a broken question never shifts the
    ids of the good ones (progress is keyed by them).
    """
    ids, id_problems = assign_ids([d[2] for d in drafts], [d[1].get("title") for d in drafts])
    problems = list(problems) + [(drafts[i][0], problem, question_label(drafts[i][1]))
                                 for i, problem in id_problems]
    dropped = {i for i, _ in id_problems}
    items, explicit = [], set()
    for index, ((line, draft, wanted), item_id) in enumerate(zip(drafts, ids)):
        if index in dropped:
            continue
        try:
            items.append(validate_item({**draft, "id": item_id}, f"line {line}"))
        except QuizFormatError as err:
            problems.append((line, err.reason, question_label(draft)))
            continue
        if wanted:
            explicit.add(item_id)
    return Reading(items, sorted(problems, key=lambda p: p[0]), frozenset(explicit))


def question_label(draft: dict) -> str:
    """A short name for a question in a message: its title, else the start of its text."""
    text = draft.get("title") or re.sub(r"<[^>]*>", "", str(draft.get("prompt") or ""))
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57].rstrip() + "…"


def raise_problems(problems: list[tuple], path: str | None) -> None:
    """Raise one QuizFormatError at the first problem's line that also lists the others."""
    problems = sorted(problems, key=lambda p: p[0])
    line, message = problems[0][:2]
    others = [f"line {p[0]}: {p[1]}" for p in problems[1:11]]
    if len(problems) > 11:
        others.append(f"and {len(problems) - 11} more")
    if others:
        message += f" (also: {'; '.join(others)})"
    raise QuizFormatError(message, line=line, path=path)


def _clean_item(data) -> dict:
    if not isinstance(data, dict):
        raise _Invalid("an item must be a mapping of keys to values")
    kind = data.get("kind")
    if kind not in KINDS:
        raise _Invalid(f"unknown kind {_show(kind)} (expected one of {', '.join(KINDS)})")
    allowed = COMMON_KEYS + EXTRA_KEYS.get(kind, ())
    for key in data:
        if key not in allowed:
            raise _Invalid(f"unknown key {_show(key)} for a {kind} item")
    item = _clean_common(data, kind)
    _clean_by_kind(data, item)
    return item


def _clean_common(data: dict, kind: str) -> dict:
    item_id = data.get("id")
    if not isinstance(item_id, str) or not ID_PATTERN.fullmatch(item_id):
        raise _Invalid(f"id {_show(item_id)} must match [a-z0-9][a-z0-9_.-]{{0,79}}")
    item_format = data.get("format", "markdown")
    if item_format not in FORMATS:
        raise _Invalid(f"unknown format {_show(item_format)} (expected one of {', '.join(FORMATS)})")
    skill = _optional_text(data, "skill", 80)
    if skill is not None and not ID_PATTERN.fullmatch(skill):
        raise _Invalid(f"skill {_show(skill)} must be a skill id like 'adding-fractions'")
    difficulty = data.get("difficulty")
    if difficulty is not None:
        difficulty = _number(difficulty, "difficulty", -3, 3)
    return {
        "id": item_id, "kind": kind, "prompt": _text(data.get("prompt"), "prompt", MAX_PROMPT),
        "format": item_format, "title": _optional_text(data, "title", 255), "skill": skill,
        "difficulty": difficulty, "hints": _text_list(data, "hints", 5, MAX_ANSWER),
        "solution": _optional_text(data, "solution", MAX_PROMPT),
        "feedback": _optional_text(data, "feedback", MAX_PROMPT),
        "answers": [], "tags": _text_list(data, "tags", 30, 200),
    }


def _clean_by_kind(data: dict, item: dict) -> None:
    kind, answers = item["kind"], data.get("answers", [])
    blanks = item["prompt"].count(BLANK)
    if (kind == "fill") != (blanks > 0) or blanks > 1:
        raise _Invalid(f"a fill item's prompt needs exactly one {BLANK} (found {blanks})" if kind == "fill"
                       else f"only fill items may contain {BLANK}")
    if kind in ("essay", "description", "matching"):
        if answers != []:
            raise _Invalid(f"{kind} items have no answers (found {_show(answers)})")
        if kind == "matching":
            item["pairs"] = _pairs(data.get("pairs"))
        return
    if kind == "fill":
        item["input"] = data.get("input", "text")
        if item["input"] not in ("text", "choice"):
            raise _Invalid(f"input {_show(item['input'])} must be 'text' or 'choice'")
    style = {"fill": "single" if item.get("input") == "choice" else "short"}.get(kind, kind)
    item["answers"] = ANSWER_CHECKS[style](answers)
    if style == "short":
        for flag in ("case_sensitive", "accent_sensitive"):
            item[flag] = data.get(flag, False)
            if not isinstance(item[flag], bool):
                raise _Invalid(f"{flag} must be true or false")


def _choice_answers(answers) -> list[dict]:
    cleaned = [_text_answer(a, n) for n, a in enumerate(_answer_list(answers, 2, 20), start=1)]
    _need_positive(cleaned)
    return cleaned


def _short_answers(answers) -> list[dict]:
    cleaned = [_text_answer(a, n) for n, a in enumerate(_answer_list(answers, 1, 20), start=1)]
    _need_positive(cleaned)
    return cleaned


def _truefalse_answers(answers) -> list[dict]:
    answers = _answer_list(answers, 2, 2)
    cleaned = []
    for n, answer in enumerate(answers, start=1):
        _keys(answer, n, required=("value", "weight"), optional=("feedback",))
        if not isinstance(answer["value"], bool):
            raise _Invalid(f"answer {n}: value must be true or false")
        cleaned.append({"value": answer["value"], "weight": _weight(answer, n),
                        "feedback": _optional_text(answer, "feedback", MAX_ANSWER)})
    cleaned.sort(key=lambda a: not a["value"])
    if [a["value"] for a in cleaned] != [True, False]:
        raise _Invalid("a true/false item needs one answer for true and one for false")
    if sorted(a["weight"] for a in cleaned) != [0.0, 1.0]:
        raise _Invalid("a true/false item needs weight 1 on the right answer and 0 on the other")
    return cleaned


def _numeric_answers(answers) -> list[dict]:
    cleaned = [_numeric_answer(a, n) for n, a in enumerate(_answer_list(answers, 1, 20), start=1)]
    if sum(1 for a in cleaned if "any" in a) > 1:
        raise _Invalid("a numeric item may have only one 'any other answer'")
    _need_positive(cleaned)
    return cleaned


def _numeric_answer(answer, n: int) -> dict:
    if isinstance(answer, dict) and "any" in answer:
        _keys(answer, n, required=("any", "weight"), optional=("feedback",))
        if answer["any"] is not True or _weight(answer, n) != 0.0:
            raise _Invalid(f"answer {n}: an 'any other answer' needs any: true and weight 0")
        return {"any": True, "weight": 0.0, "feedback": _optional_text(answer, "feedback", MAX_ANSWER)}
    if isinstance(answer, dict) and ("min" in answer or "max" in answer):
        _keys(answer, n, required=("min", "max", "weight"), optional=("feedback",))
        low, high = _number(answer["min"], f"answer {n} min"), _number(answer["max"], f"answer {n} max")
        if low > high:
            raise _Invalid(f"answer {n}: min {low:g} is greater than max {high:g}")
        bounds = {"min": low, "max": high}
    else:
        _keys(answer, n, required=("value", "weight"), optional=("tolerance", "feedback"))
        bounds = {"value": _number(answer["value"], f"answer {n} value"),
                  "tolerance": _number(answer.get("tolerance", 0.0), f"answer {n} tolerance", 0)}
    return {**bounds, "weight": _weight(answer, n), "feedback": _optional_text(answer, "feedback", MAX_ANSWER)}


ANSWER_CHECKS = {"single": _choice_answers, "multiple": _choice_answers, "short": _short_answers,
                 "truefalse": _truefalse_answers, "numeric": _numeric_answers}


def _pairs(pairs) -> list[dict]:
    if not isinstance(pairs, list) or not 2 <= len(pairs) <= 20:
        raise _Invalid(f"a matching item needs 2 to 20 pairs (found {_count(pairs)})")
    cleaned = []
    for n, pair in enumerate(pairs, start=1):
        if not isinstance(pair, dict) or set(pair) != {"left", "right"}:
            raise _Invalid(f"pair {n} must have exactly the keys 'left' and 'right'")
        left = "" if pair["left"] == "" else _text(pair["left"], f"pair {n} left", MAX_ANSWER)
        cleaned.append({"left": left, "right": _text(pair["right"], f"pair {n} right", MAX_RIGHT)})
    if sum(1 for p in cleaned if p["left"]) < 2:
        raise _Invalid("a matching item needs at least 2 pairs with a left-hand side")
    return cleaned


def _answer_list(answers, low: int, high: int) -> list:
    if not isinstance(answers, list) or not low <= len(answers) <= high:
        span = f"exactly {low}" if low == high else f"{low} to {high}"
        raise _Invalid(f"this kind of item needs {span} answers (found {_count(answers)})")
    return answers


def _text_answer(answer, n: int) -> dict:
    _keys(answer, n, required=("text", "weight"), optional=("feedback",))
    return {"text": _text(answer["text"], f"answer {n} text", MAX_ANSWER), "weight": _weight(answer, n),
            "feedback": _optional_text(answer, "feedback", MAX_ANSWER)}


def _keys(answer, n: int, required: tuple, optional: tuple) -> None:
    if not isinstance(answer, dict):
        raise _Invalid(f"answer {n} must be a mapping")
    for key in answer:
        if key not in required + optional:
            raise _Invalid(f"answer {n}: unknown key {_show(key)}")
    for key in required:
        if key not in answer:
            raise _Invalid(f"answer {n}: missing '{key}'")


def _need_positive(answers: list[dict]) -> None:
    if not any(a["weight"] > 0 for a in answers):
        raise _Invalid("no answer is marked correct (every weight is 0 or less)")


def _weight(answer: dict, n: int) -> float:
    return _number(answer["weight"], f"answer {n} weight", -1, 1)


def _number(value, name: str, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"{name} must be a number (found {_show(value)})")
    value = float(value)
    if not math.isfinite(value):
        raise _Invalid(f"{name} must be a finite number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _Invalid(f"{name} must be between {low:g} and {high:g} (found {value:g})"
                       if high is not None else f"{name} must be at least {low:g} (found {value:g})")
    return value


def _text(value, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{name} must be non-empty text (found {_show(value)})")
    if len(value) > limit:
        raise _Invalid(f"{name} is too long ({len(value):,} characters; at most {limit:,})")
    if CONTROL_CHARS.search(value):
        raise _Invalid(f"{name} contains a control character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Invalid(f"{name} is not valid Unicode text") from None
    return value


def _optional_text(data: dict, key: str, limit: int) -> str | None:
    value = data.get(key)
    return None if value is None else _text(value, key, limit)


def _text_list(data: dict, key: str, most: int, limit: int) -> list[str]:
    values = data.get(key, [])
    if not isinstance(values, list) or len(values) > most:
        raise _Invalid(f"{key} must be a list of at most {most} texts (found {_count(values)})")
    return [_text(v, f"{key}[{n}]", limit) for n, v in enumerate(values)]


def _count(value) -> str:
    return str(len(value)) if isinstance(value, list) else _show(value)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

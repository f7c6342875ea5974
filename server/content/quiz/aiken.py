"""Aiken (Moodle's one-right-answer format) → "single" practice items in the normalized format.

    What is 2 + 2?          question text (one or more lines)
    A) 3                    options "A) text" or "A. text", letters in order, a space after the mark
    B. 4
    ANSWER: B               the right option's letter

Texts are kept as plain text (so `<html class="cool"> &` shows as written). Items get ids `q<n>`.
A bad question does not stop the reading: every problem is collected, then one QuizFormatError is
raised at the first bad line (listing the others), so a file with any bad question changes nothing.
"""
import re

from server.errors import QuizFormatError
from server.content.quiz.items import Reading, question_label, raise_problems, read_drafts

OPTION = re.compile(r"([A-Z])[.)][ \t]+(\S.*)")
OPTION_WITHOUT_TEXT = re.compile(r"[A-Z][.)](\S.*)?")
OPTION_MARK = re.compile(r"[A-Z][.)]")
ANSWER = re.compile(r"ANSWER\s*:\s*(.*)")
MAX_FILE_CHARS = 5_000_000


class _Problem(Exception):
    def __init__(self, line: int, message: str, skip: bool = False):
        super().__init__(message)
        self.line, self.message, self.skip = line, message, skip


def parse_aiken(text: str, path: str | None = None) -> list[dict]:
    """Items from an Aiken quiz file; raises QuizFormatError at the first bad line (and lists the rest)."""
    reading = read_aiken(text, path)
    if reading.problems:
        raise_problems(reading.problems, path)
    return reading.items


def read_aiken(text: str, path: str | None = None) -> Reading:
    """An Aiken file read leniently: the good items, and every bad question with its line and name."""
    if not isinstance(text, str):
        raise QuizFormatError("an Aiken file must be text", path=path)
    if len(text) > MAX_FILE_CHARS:
        raise QuizFormatError(f"file is too large (at most {MAX_FILE_CHARS:,} characters)", path=path)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    drafts, problems, question, skipping = [], [], None, False
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if skipping:
            # After a broken question, read on from its end: a blank line or its ANSWER line.
            skipping = bool(line) and not ANSWER.match(line)
            continue
        if not line:
            continue
        if question and question["options"] and not (ANSWER.match(line) or OPTION_MARK.match(line)):
            problems.append((question["line"], f"question has no 'ANSWER:' line (found more text on line {number})",
                             _label(question)))
            question = None
        try:
            question = _read_line(question, number, line, drafts)
        except _Problem as problem:
            problems.append((problem.line, problem.message, _label(question) if question else ""))
            question, skipping = None, problem.skip
    if question:
        problems.append((question["line"], "question has no 'ANSWER:' line (the file ends first)", _label(question)))
    return read_drafts(drafts, problems)


def _label(question: dict) -> str:
    return question_label({"prompt": " ".join(question["stem"])})


def _read_line(question: dict | None, number: int, line: str, drafts: list) -> dict | None:
    """The question being read after one more non-blank line; a finished question joins `drafts`."""
    answer, option = ANSWER.match(line), OPTION.fullmatch(line)
    if answer:
        if question is None:
            raise _Problem(number, "'ANSWER:' line without a question before it")
        drafts.append((question["line"], _draft(question, answer.group(1).strip(), number), ""))
        return None
    if option:
        if question is None:
            raise _Problem(number, f"option '{line[:2]}' comes before any question text", skip=True)
        expected = chr(ord("A") + len(question["options"]))
        if option.group(1) != expected:
            raise _Problem(number, f"expected option '{expected}' but found '{option.group(1)}'", skip=True)
        question["options"].append(option.group(2).strip())
        return question
    if question is not None and OPTION_WITHOUT_TEXT.fullmatch(line):
        raise _Problem(number, f"option '{line[:2]}' needs a space and then its text, like 'A) Paris'", skip=True)
    if question is None:
        return {"line": number, "stem": [line], "options": []}
    question["stem"].append(line)
    return question


def _draft(question: dict, letter: str, number: int) -> dict:
    options = question["options"]
    if len(options) < 2:
        raise _Problem(question["line"], f"question has {len(options)} option{'s' * (len(options) != 1)}; "
                       "it needs at least 2")
    letters = [chr(ord("A") + n) for n in range(len(options))]
    if letter.upper() not in letters:
        raise _Problem(number, f"ANSWER '{letter[:20]}' is not one of the option letters {', '.join(letters)}")
    right = letters.index(letter.upper())
    return {"kind": "single", "prompt": "\n".join(question["stem"]), "format": "plain", "title": None,
            "answers": [{"text": text, "weight": 1.0 if n == right else 0.0, "feedback": None}
                        for n, text in enumerate(options)], "tags": []}

"""GIFT (Moodle's plain-text quiz format) → practice items in the normalized format (see `items`).

A file is a series of questions separated by blank lines. `//` lines are comments; a comment may carry
Moodle 4's `[id:…]` and `[tag:…]`. `$CATEGORY: path` tags the questions after it `category:path`.
A question is `::title::` (optional), a `[html]`/`[markdown]`/`[plain]`/`[moodle]` format (optional,
Moodle's "moodle" by default), its text, and one `{answer block}` (none: a description). Text after the
block makes a "missing word" question: single or short answers become kind "fill" with "[[blank]]" in
the prompt; other kinds keep Moodle's visible "_____". Every GIFT question type is representable.

Item ids come from `[id:…]`, else the title, else `q<n>` (position in the file), made unique in order.
Errors are collected over the whole file and raised as one QuizFormatError at the first bad line.
"""
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from server.errors import QuizFormatError
from server.content.quiz.gift_answers import parse_answers
from server.content.quiz.gift_text import GiftSyntaxError, find_unescaped, finish_text, plain_text, split_format, unescaped
from server.content.quiz.items import BLANK, Reading, question_label, raise_problems, read_drafts

ID_TOKEN = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]")
TAG_TOKEN = re.compile(r"\[tag:((?:\\\]|[^\]\x00-\x1f])+)\]")
CATEGORY = "$CATEGORY:"
MAX_FILE_CHARS = 5_000_000


@dataclass(frozen=True)
class Block:
    """One question's lines (comments removed), with their file line numbers and the comments."""

    text: str
    starts: tuple[int, ...]
    numbers: tuple[int, ...]
    comments: str

    def line_at(self, offset: int) -> int:
        """The file line number of a character offset in `text`."""
        return self.numbers[max(bisect_right(self.starts, offset) - 1, 0)]


def parse_gift(text: str, path: str | None = None) -> list[dict]:
    """Items from a GIFT quiz file; raises QuizFormatError at the first bad line (and lists the rest)."""
    reading = read_gift(text, path)
    if reading.problems:
        raise_problems(reading.problems, path)
    return reading.items


def read_gift(text: str, path: str | None = None) -> Reading:
    """A GIFT file read leniently: the good items, and every bad question with its line and name."""
    if not isinstance(text, str):
        raise QuizFormatError("a GIFT file must be text", path=path)
    if len(text) > MAX_FILE_CHARS:
        raise QuizFormatError(f"file is too large (at most {MAX_FILE_CHARS:,} characters)", path=path)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    drafts, problems, category, unclosed = [], [], None, False
    for block in blocks(text):
        if unclosed and _continues_answers(block):
            # The rest of a question whose answers a blank line cut: it went out with its start.
            unclosed = "}" not in unescaped_chars(block.text)
            continue
        unclosed = False
        try:
            if block.text.lstrip().startswith(CATEGORY):
                category = _category(block)
                continue
            draft, wanted_id = _question(block)
        except GiftSyntaxError as err:
            problems.append((err.line, err.message, _block_label(block)))
            unclosed = err.message.startswith("missing closing '}'")
            continue
        if category:
            draft["tags"].append(f"category:{category}")
        drafts.append((block.numbers[0], draft, wanted_id))
    return read_drafts(drafts, problems)


def unescaped_chars(text: str) -> str:
    """The braces of a text that no backslash escapes, in order."""
    return "".join(text[i] for i in unescaped(text, "{}"))


def _continues_answers(block: Block) -> bool:
    """Whether a block reads as the tail of an answer block: no '{' before its first '}'."""
    braces = unescaped_chars(block.text)
    return not braces.startswith("{") and not block.text.lstrip().startswith(("::", CATEGORY))


def _block_label(block: Block) -> str:
    """A broken question's name for a warning: its ::title::, else the start of its text."""
    title = re.match(r"\s*::(.*?)::", block.text, re.S)
    return question_label({"title": plain_text(title.group(1)) if title else None, "prompt": block.text})


def blocks(text: str) -> Iterator[Block]:
    """The file's questions: runs of lines between blank lines; a $CATEGORY line stands alone."""
    lines, comments = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            comments.append(stripped)
            continue
        if not stripped or stripped.startswith(CATEGORY):
            if lines:
                yield _block(lines, comments)
            if stripped:
                yield _block([(number, line)], [])
            lines, comments = [], []
            continue
        lines.append((number, line))
    if lines:
        yield _block(lines, comments)


def _block(lines: list[tuple[int, str]], comments: list[str]) -> Block:
    starts, offset = [], 0
    for _, line in lines:
        starts.append(offset)
        offset += len(line) + 1
    return Block("\n".join(line for _, line in lines), tuple(starts),
                 tuple(number for number, _ in lines), "\n".join(comments))


def _category(block: Block) -> str | None:
    name = plain_text(block.text.strip()[len(CATEGORY):])
    # Moodle writes "$course$/top/Name"; the context and the invisible "top" say nothing to a learner.
    name = re.sub(r"^top(/|$)", "", re.sub(r"^\$\w+\$/?", "", name)).strip()
    if len(name) > 180:
        raise GiftSyntaxError(block.numbers[0], "category name is too long (at most 180 characters)")
    return name or None


def _question(block: Block) -> tuple[dict, str]:
    text = block.text
    title, body_start = _title(block)
    open_at, close_at = _braces(block, body_start)
    before = text[body_start:open_at] if open_at >= 0 else text[body_start:]
    after = text[close_at + 1:] if close_at >= 0 else ""
    for start, piece in ((body_start, before), (close_at + 1, after)):
        colons = find_unescaped(text, "::", start, start + len(piece))
        if colons >= 0:
            raise GiftSyntaxError(block.line_at(colons), "unescaped '::' in the question text (a title is written "
                                  "::Title:: at the very start; write \\: for a literal colon)")
    item_format = split_format(before.lstrip(), "moodle")[0]
    fields = _answers(block, open_at, close_at, item_format)
    raw_prompt = before
    if after.strip():
        marker = BLANK if fields["kind"] in ("single", "short") else "_____"
        if marker == BLANK:
            fields["input"] = "choice" if fields["kind"] == "single" else "text"
            fields["kind"] = "fill"
        raw_prompt = f"{before.rstrip()} {marker} {after.lstrip()}"
    prompt = finish_text(raw_prompt, "moodle")[1]
    if not prompt:
        raise GiftSyntaxError(block.numbers[0], "question has no text")
    identifier, tags = _id_and_tags(block.comments)
    draft = {**fields, "prompt": prompt, "format": item_format, "title": title, "tags": tags}
    return draft, identifier


def _title(block: Block) -> tuple[str | None, int]:
    text = block.text
    first = len(text) - len(text.lstrip())
    if not text.startswith("::", first):
        return None, first
    end = find_unescaped(text, "::", first + 2)
    if end < 0:
        raise GiftSyntaxError(block.line_at(first), "title has no closing '::' (write \\: for a literal colon)")
    return plain_text(text[first + 2:end]) or None, end + 2


def _braces(block: Block, start: int) -> tuple[int, int]:
    """Where the answer block's '{' and '}' are, or (-1, -1) for a description."""
    text, line_at = block.text, block.line_at
    opens, closes = list(unescaped(text, "{", start)), list(unescaped(text, "}", start))
    if not opens and not closes:
        return -1, -1
    if not opens or closes and closes[0] < opens[0]:
        raise GiftSyntaxError(line_at(closes[0]), "'}' without an opening '{' (write \\} for a literal brace)")
    later = [c for c in closes if c > opens[0]]
    if not later:
        raise GiftSyntaxError(block.numbers[-1], f"missing closing '}}' for the answers opened on line "
                              f"{line_at(opens[0])} (a blank line ends a question)")
    return opens[0], later[0]


def _answers(block: Block, open_at: int, close_at: int, item_format: str) -> dict:
    """The answer block's fields; a stray brace is reported unless an earlier line has a problem."""
    if open_at < 0:
        return {"kind": "description", "answers": [], "feedback": None}
    text = block.text
    stray = next((p for p in unescaped(text, "{}", open_at + 1) if p != close_at), -1)
    if stray < 0:
        return parse_answers(text, open_at + 1, close_at, item_format, block.line_at)
    char = text[stray]
    if stray < close_at:
        problem = GiftSyntaxError(block.line_at(stray), "unescaped '{' inside the answers (write \\{ for a "
                                  "literal brace, or close the answers with '}')")
    else:
        problem = GiftSyntaxError(block.line_at(stray), f"unescaped '{char}' after the answers: a question has one "
                                  f"answer block (write \\{char} for a literal one, or leave a blank line "
                                  "between two questions)")
    try:
        parse_answers(text, open_at + 1, close_at, item_format, block.line_at)
    except GiftSyntaxError as err:
        if err.line < problem.line:
            raise
    raise problem


def _id_and_tags(comments: str) -> tuple[str, list[str]]:
    """Moodle 4's `[id:…]` (the first) and `[tag:…]` tokens from a question's comment lines."""
    match = ID_TOKEN.search(comments)
    identifier = match.group(1).replace("\\]", "]").strip() if match else ""
    tags = []
    for found in TAG_TOKEN.findall(comments):
        tag = " ".join(found.replace("\\]", "]").split())
        if tag and tag not in tags:
            tags.append(tag)
    return identifier, tags

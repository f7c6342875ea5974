"""GIFT text: backslash escapes, `[format]` tags, whitespace, and fitting a text into its item's format.

Escapes are those of Moodle's importer: `\\:` `\\#` `\\=` `\\{` `\\}` `\\~` `\\\\` and `\\n` (a line break);
any other backslash is kept as written. Scanning functions skip escaped characters, so a position they
return is always a real control character.
"""
import html
import re
from collections.abc import Iterator

ESCAPABLE = frozenset("\\:#=~{}n")
FORMAT_TAG = re.compile(r"\s*\[(html|markdown|plain|moodle)\]")
ESCAPE = re.compile(r"\\([\\:#=~{}n])")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


class GiftSyntaxError(Exception):
    """A malformed question: `line` is the 1-based file line, `message` says what is wrong."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def unescaped(text: str, chars: str, start: int = 0, end: int | None = None) -> Iterator[int]:
    """Positions in text[start:end] of characters from `chars` that no backslash escapes."""
    end = len(text) if end is None else end
    i = start
    while i < end:
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPABLE:
            i += 2
            continue
        if char in chars:
            yield i
        i += 1


def find_unescaped(text: str, needle: str, start: int = 0, end: int | None = None) -> int:
    """The first unescaped occurrence of `needle` in text[start:end], or -1."""
    end = len(text) if end is None else end
    for i in unescaped(text, needle[0], start, end):
        if text.startswith(needle, i) and i + len(needle) <= end:
            return i
    return -1


def rfind_unescaped(text: str, needle: str, start: int = 0, end: int | None = None) -> int:
    """The last unescaped occurrence of `needle` in text[start:end], or -1."""
    end = len(text) if end is None else end
    found = -1
    for i in unescaped(text, needle[0], start, end):
        if text.startswith(needle, i) and i + len(needle) <= end:
            found = i
    return found


def unescape(text: str) -> str:
    """Text with GIFT escapes resolved (`\\n` becomes a line break)."""
    return ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def split_format(raw: str, default: str) -> tuple[str, str]:
    """The `[format]` a text starts with (or `default`) and the text after it."""
    match = FORMAT_TAG.match(raw)
    return (match.group(1), raw[match.end():]) if match else (default, raw)


def finish_text(raw: str, default: str, target: str | None = None) -> tuple[str, str]:
    """(format, text) for a raw GIFT text: tag read, whitespace tidied, escapes resolved, fitted to `target`."""
    text_format, body = split_format(raw, default)
    if text_format in ("moodle", "plain"):
        # Moodle trims every line of these formats; HTML and Markdown keep indentation (lists, <pre>).
        body = "\n".join(line.strip() for line in body.split("\n"))
    text = unescape(body.strip()).strip()
    if target is None or target == text_format:
        return text_format, text
    return target, fit_format(text, text_format, target)


def fit_format(text: str, source: str, target: str) -> str:
    """A text written in `source` format rewritten for an item in `target` format, where that is lossless."""
    if source == "plain" and target in ("html", "moodle"):
        return html.escape(text, quote=False)
    if source == "plain" and target == "markdown":
        return MARKDOWN_SPECIAL.sub(r"\\\1", text)
    if source == "moodle" and target == "html":
        return text.replace("\n", "<br>\n")
    # Markdown, HTML and Moodle text share inline HTML; a rich answer in a plain item shows as written.
    return text


def plain_text(raw: str) -> str:
    """A raw GIFT text as one line of plain text (matching right-hand sides, titles, categories)."""
    return " ".join(unescape(raw).split())

"""Which quiz format a text file is in, by its content: GIFT, Aiken, or neither.

Moodle exports both GIFT and Aiken as `.txt`, so a file's suffix says little. Decisions: the signs
are the ones each format cannot do without. Aiken needs `ANSWER: X` lines after lettered options
and has no braces; GIFT needs an answer block `{…}`, a `::title::` or a `$CATEGORY:` line. A file
with neither sign is not a quiz (a README, notes) and the caller leaves it out.
"""
import re

AIKEN_ANSWER = re.compile(r"^[ \t]*ANSWER[ \t]*:[ \t]*[A-Za-z][ \t]*$", re.M)
AIKEN_OPTION = re.compile(r"^[ \t]*[A-Z][.)]", re.M)
GIFT_TITLE = re.compile(r"^[ \t]*::(?:\\:|[^:\n])*::", re.M)
GIFT_CATEGORY = re.compile(r"^[ \t]*\$CATEGORY:", re.M)
GIFT_ANSWERS = re.compile(r"(?<!\\)\{[^{}]*(?<!\\)\}", re.S)
SUFFIXES = {".gift": "gift", ".aiken": "aiken"}


def sniff_quiz_format(text: str) -> str | None:
    """'gift' or 'aiken' when the text shows that format's signs, else None."""
    body = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("//"))
    is_gift = bool(GIFT_TITLE.search(body) or GIFT_CATEGORY.search(body) or GIFT_ANSWERS.search(body))
    is_aiken = bool(AIKEN_ANSWER.search(body)) and len(AIKEN_OPTION.findall(body)) >= 2
    if is_aiken and not GIFT_ANSWERS.search(body):
        return "aiken"
    return "gift" if is_gift else None


def quiz_format_for(name: str, text: str) -> str | None:
    """The quiz format of a file: `.gift`/`.aiken` by suffix, anything else by content."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return SUFFIXES.get(suffix) or sniff_quiz_format(text)

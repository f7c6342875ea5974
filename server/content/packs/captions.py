"""WebVTT caption files: the cues a lesson video or audio ships with, and a readable transcript.

Parsing follows the WebVTT parser as mozilla/vtt.js implements it, whose test expectations are
our tests: a `WEBVTT` signature (after an optional BOM) alone or followed by a space or tab; a
header running to the first blank line; blocks separated by blank lines; NOTE blocks skipped;
an optional cue identifier line; cue timings `mm:ss.ttt` or `h:mm:ss.ttt` (vtt.js reads a first
field over 59 as hours, so `120:00.000` is 120 hours); cue settings parsed past and ignored; a
line containing `-->` inside cue text starting the next cue. Cue text keeps its line breaks,
loses its tags (`<v Speaker>`, `<b>`, `<c.x>`, `<ruby>`, timestamps) and has character
references decoded (`&amp;`, `&lt;`, `&gt;`, `&lrm;`, `&rlm;`, `&nbsp;`, and the other HTML ones
ending in `;`, as the current spec does).

Decisions:
- Players skip a cue whose timing line is malformed; so do we. Timestamps follow the spec's digit
  rules: exactly three fraction digits, minutes and seconds at most 59 (vtt.js does not check the
  59s; browsers do), so `00:02:20.50` and `00:02:60.000` make their cue malformed.
- Two authoring mistakes that would silently lose caption text raise CaptionError instead (with
  the line number): a cue timing line inside the header (no blank line after `WEBVTT`), and a
  cue with no text followed by a block of text that belongs to no cue (a blank line between a
  cue's timings and its text). Other text outside cues (metadata after a blank line, an extra
  paragraph after a cue's text, STYLE and REGION blocks) is skipped, as vtt.js and players do.
"""
import html.entities
import math
import re
from dataclasses import dataclass
from typing import Iterator

from server.errors import CaptionError

LINE_BREAK = re.compile(r"\r\n|\r|\n")
SIGNATURE = re.compile(r"WEBVTT(?:[ \t].*)?", re.DOTALL)
NOTE = re.compile(r"NOTE(?:[ \t]|$)")
NOT_A_CUE = re.compile(r"(?:STYLE|REGION)(?:[ \t]|$)")
TIMESTAMP = re.compile(r"([0-9]{1,9}):([0-9]{2})(:[0-9]{2})?\.([0-9]{3})")
TIMESTAMP_TAIL = re.compile(r"[^\sa-zA-Z-]*")  # vtt.js drops whatever is glued to a timestamp
LOOKS_TIMED = re.compile(r"\s*[0-9]+:[0-9]")
ARROW = "-->"
TAG = re.compile(r"<[^>]*>?")
START_TAG = re.compile(r"<([^.\s/0-9>]+)(\.[^\s\\>]+)?([^>\\]+)?\\?>?$")
REFERENCE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{0,31});")


@dataclass(frozen=True)
class Cue:
    """One caption cue, as plain text."""

    start: float  # seconds
    end: float
    text: str  # cue text with tags stripped (<v Speaker>, <b>, <c.x>, timestamps), entities decoded
    voice: str | None  # the <v> speaker; None if there is none, or several in one cue


def parse_webvtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file in file order; CaptionError (with a line number) if it is not WebVTT."""
    lines = LINE_BREAK.split(text.removeprefix("\ufeff").replace("\0", "\ufffd"))
    _check_signature(lines[0])
    cues: list[Cue] = []
    after_empty_cue = False
    for first_line, block in _blocks(lines, _header_end(lines)):
        if NOTE.match(block[0]):
            continue
        found, is_stray = _block_cues(block)
        if is_stray and after_empty_cue:
            raise CaptionError(f"line {first_line}: this text belongs to no cue (is there a blank "
                               "line between a cue's timing line and its text?)")
        cues.extend(found)
        after_empty_cue = bool(found) and not found[-1].text.strip()
    return cues


def transcript_from_cues(cues: list[Cue]) -> list[tuple[str | None, str]]:
    """Paragraphs (speaker, text): consecutive cues by one voice joined, roll-up repeats removed."""
    paragraphs: list[tuple[str | None, list[str]]] = []
    previous: list[str] = []
    for cue in sorted(cues, key=lambda c: c.start):
        lines = [" ".join(line.split()) for line in cue.text.split("\n")]
        lines = [line for line in lines if line]
        fresh = lines[_repeated_lines(previous, lines):]
        previous = lines or previous
        if not fresh:
            continue
        if paragraphs and paragraphs[-1][0] == cue.voice:
            paragraphs[-1][1].extend(fresh)
        else:
            paragraphs.append((cue.voice, fresh))
    return [(voice, " ".join(parts)) for voice, parts in paragraphs]


def format_timestamp(seconds: float) -> str:
    """A time as '1:02:03' or '2:03', rounded down (negative or not finite counts as 0)."""
    total = int(seconds) if math.isfinite(seconds) and seconds > 0 else 0
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _check_signature(first: str) -> None:
    if not first.strip():
        raise CaptionError("line 1: the caption file is empty or starts with a blank line, "
                           "but a WebVTT file must start with WEBVTT")
    if not SIGNATURE.fullmatch(first):
        raise CaptionError(f"line 1: this is not a WebVTT caption file (it must start with WEBVTT, "
                           f"not {first[:40]!r})")


def _header_end(lines: list[str]) -> int:
    """Index of the first line after the header, which ends at the first blank line."""
    at = 1
    while at < len(lines) and lines[at]:
        if _parse_timings(lines[at]) is not None:
            raise CaptionError(f"line {at + 1}: a blank line must separate the WEBVTT header "
                               "from the first cue")
        at += 1
    return at


def _blocks(lines: list[str], at: int) -> Iterator[tuple[int, list[str]]]:
    """(1-based line number, lines) for each run of non-blank lines from index `at`."""
    while at < len(lines):
        end = at
        while end < len(lines) and lines[end]:
            end += 1
        if end > at:
            yield at + 1, lines[at:end]
        at = end + 1


def _block_cues(block: list[str]) -> tuple[list[Cue], bool]:
    """The cues of one block (usually one), and whether the block is text belonging to no cue."""
    cues, at = [], 0
    while at < len(block):
        ident = ""
        if ARROW not in block[at]:  # only a block's first line can be an identifier
            ident, at = block[at], at + 1
        timing = block[at] if at < len(block) else ""
        times = _parse_timings(timing)
        if times is None:  # a malformed cue is skipped, as players do
            return cues, bool(ident) and not _is_attempted_cue(ident, timing)
        end = at + 1
        while end < len(block) and ARROW not in block[end]:
            end += 1
        text, voice = _plain_text("\n".join(block[at + 1:end]))
        cues.append(Cue(times[0], times[1], text, voice))
        at = end
    return cues, False


def _is_attempted_cue(ident: str, timing: str) -> bool:
    return bool(NOT_A_CUE.match(ident) or LOOKS_TIMED.match(ident) or LOOKS_TIMED.match(timing)
                or ARROW in timing)


def _parse_timings(line: str) -> tuple[float, float] | None:
    start = _take_timestamp(line.lstrip())
    if start is None:
        return None
    rest = start[1].lstrip()
    if not rest.startswith(ARROW):
        return None
    end = _take_timestamp(rest[len(ARROW):].lstrip())
    return None if end is None else (start[0], end[0])  # cue settings are ignored


def _take_timestamp(text: str) -> tuple[float, str] | None:
    """(seconds, the text after it) for a timestamp at the start of text."""
    found = TIMESTAMP.match(text)
    if not found:
        return None
    first, second, third, millis = found.groups()
    if third:
        hours, minutes, seconds = int(first), int(second), int(third[1:])
    elif int(first) > 59:  # vtt.js: "120:00.000" is hours and minutes
        hours, minutes, seconds = int(first), int(second), 0
    else:
        hours, minutes, seconds = 0, int(first), int(second)
    if minutes > 59 or seconds > 59:
        return None
    rest = text[found.end():]
    rest = rest[TIMESTAMP_TAIL.match(rest).end():]
    return hours * 3600 + minutes * 60 + seconds + int(millis) / 1000, rest


def _plain_text(cue_text: str) -> tuple[str, str | None]:
    """Cue text without tags, references decoded; and its speaker if all <v> tags name one."""
    voices = set()
    for tag in TAG.findall(cue_text):
        found = START_TAG.match(tag)
        if found and found.group(1) == "v" and (found.group(3) or "").strip():
            voices.add(found.group(3).strip())
    text = "".join(REFERENCE.sub(_decode_reference, part) for part in TAG.split(cue_text))
    return text, voices.pop() if len(voices) == 1 else None


def _decode_reference(found: re.Match) -> str:
    name = found.group(1)
    if not name.startswith("#"):
        return html.entities.html5.get(name + ";", found.group(0))
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"


def _repeated_lines(previous: list[str], lines: list[str]) -> int:
    """How many first lines of a cue repeat the last lines of the one before (roll-up captions)."""
    for size in range(min(len(previous), len(lines)), 0, -1):
        if previous[-size:] == lines[:size]:
            return size
    return 0

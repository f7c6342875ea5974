"""WebVTT caption files: the cues a lesson video or audio ships with, and a readable transcript.

Parsing follows the WebVTT parser algorithm of the W3C spec (the one the web-platform-tests check):
NUL becomes U+FFFD and CR/CRLF become LF; the file starts (after an optional BOM) with `WEBVTT`
followed by nothing, a space, a tab or a line break, whatever else is on that line; the header ends
at the first blank line or just before a line holding `-->`; each block is collected as the spec
says (a line with `-->` as the first or second line of a block is the timing line, the line above
it the identifier; a later `-->` line starts the next block). Timings allow `-->` without spaces
and WebVTT whitespace only (space, tab, form feed: not vertical tab); a timestamp is `mm:ss.ttt`
or `h…h:mm:ss.ttt` with exactly two-digit minutes and seconds (at most 59) and three fraction
digits, and a first field that is not two digits is hours. A block whose timings are invalid is
dropped. Cue settings are read past and ignored. Cue text keeps its line breaks, loses its tags
(`<v Speaker>`, `<b>`, `<c.x>`, `<ruby>`, timestamps) and has character references decoded.

Decisions:
- The only error is a file that is not WebVTT (its signature); the spec gives it no cues.
  Everything the parser drops is returned as a warning with its line (`read_webvtt`): a cue with
  invalid timings, and text that belongs to no cue after a cue with no text (usually a blank line
  between a cue's timing line and its text). The build lists them; the track stays.
- Where mozilla/vtt.js and the spec disagree (a three-digit first field read as minutes, a timing
  line right after the header), the spec wins; tests/test_captions.py lists each case.
"""
import html.entities
import math
import re
from dataclasses import dataclass

from server.errors import CaptionError

NOTE = re.compile(r"NOTE(?:[ \t]|$)")
NOT_A_CUE = re.compile(r"(?:STYLE|REGION)(?:[ \t]|$)")
TIMESTAMP = re.compile(r"([0-9]+):([0-9]{2})(?![0-9])(:[0-9]{2}(?![0-9]))?\.([0-9]{3})(?![0-9])")
WHITESPACE = " \t\f"  # WebVTT whitespace within a line: space, tab, form feed (not vertical tab)
ARROW = "-->"
TAG = re.compile(r"<[^>]*>?")
START_TAG = re.compile(r"<([^.\s/0-9>]+)(\.[^\s\\>]+)?([^>\\]+)?\\?>?$")
REFERENCE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{0,31});")


@dataclass(frozen=True)
class CaptionTrack:
    """A parsed file: its cues in file order, and what was left out, each with its line."""

    cues: list
    warnings: list[str]


@dataclass(frozen=True)
class Cue:
    """One caption cue, as plain text."""

    start: float  # seconds
    end: float
    text: str  # cue text with tags stripped (<v Speaker>, <b>, <c.x>, timestamps), entities decoded
    voice: str | None  # the <v> speaker; None if there is none, or several in one cue


def parse_webvtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file in file order; CaptionError (line 1) if it is not a WebVTT file."""
    return read_webvtt(text).cues


def read_webvtt(text: str) -> CaptionTrack:
    """A WebVTT file read by the spec's parser: its cues, and a warning for each block left out."""
    text = text.replace("\0", "\ufffd").replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    _check_signature(text)
    lines = text.split("\n")
    track = CaptionTrack([], [])
    at = _skip_header(lines, 1)
    while at < len(lines):
        if not lines[at]:
            at += 1
            continue
        first, at, timed, texts = _collect_block(lines, at)
        _add_block(track, first, timed, texts)
    return track


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


def _check_signature(text: str) -> None:
    """The spec's step 3: "WEBVTT", then the end of the file, a space, a tab or a line break."""
    if not text.strip():
        raise CaptionError("line 1: the caption file is empty, but a WebVTT file must start with WEBVTT")
    if not text.startswith("WEBVTT") or len(text) > 6 and text[6] not in " \t\n":
        first = text.split("\n", 1)[0]
        raise CaptionError(f"line 1: this is not a WebVTT caption file (it must start with WEBVTT, "
                           f"not {first[:40]!r})")


def _skip_header(lines: list[str], at: int) -> int:
    """The index after the header: it ends at a blank line, or just before a line holding "-->"."""
    while at < len(lines) and lines[at]:
        if ARROW in lines[at]:
            return at
        at += 1
    return at


def _collect_block(lines: list[str], at: int) -> tuple[int, int, tuple | bool | None, list[str]]:
    """The spec's "collect a WebVTT block" from a non-blank line: (first line number, next index,
    timings (None: no "-->" line; False: invalid ones), the cue's text lines or the block's lines)."""
    first, count, seen_arrow, timed, buffer, previous = at + 1, 0, False, None, [], at
    while at < len(lines):
        line, count, at = lines[at], count + 1, at + 1
        if ARROW in line:
            if not (count == 1 or count == 2 and not seen_arrow):
                return first, previous, timed, buffer  # a second timing line starts the next block
            seen_arrow, previous = True, at
            timed = _parse_timings(line) or False
            if timed:
                buffer = []
        elif not line:
            break
        else:
            buffer.append(line)
            previous = at
    return first, at, timed, buffer


def _add_block(track: CaptionTrack, first: int, timed, texts: list[str]) -> None:
    if timed:
        text, voice = _plain_text("\n".join(texts))
        track.cues.append(Cue(timed[0], timed[1], text, voice))
    elif timed is False:
        track.warnings.append(f"line {first}: the cue timings are not valid WebVTT; cue left out")
    elif track.cues and not track.cues[-1].text and not NOT_A_CUE.match(texts[0]) and not NOTE.match(texts[0]):
        track.warnings.append(f"line {first}: this text belongs to no cue (is there a blank line between "
                              "a cue's timing line and its text?); left out")


def _parse_timings(line: str) -> tuple[float, float] | None:
    """The spec's "collect WebVTT cue timings and settings" (settings are ignored)."""
    start = _take_timestamp(line.lstrip(WHITESPACE))
    if start is None:
        return None
    rest = start[1].lstrip(WHITESPACE)
    if not rest.startswith(ARROW):
        return None
    end = _take_timestamp(rest[len(ARROW):].lstrip(WHITESPACE))
    return None if end is None else (start[0], end[0])


def _take_timestamp(text: str) -> tuple[float, str] | None:
    """The spec's "collect a WebVTT timestamp": (seconds, the text after it), or None."""
    found = TIMESTAMP.match(text)
    if not found:
        return None
    first, second, third, millis = found.groups()
    if len(first) != 2 or int(first) > 59:  # then the first field is hours, and all three are needed
        if third is None:
            return None
    if third is None:
        hours, minutes, seconds = 0, int(first), int(second)
    else:
        hours, minutes, seconds = int(first), int(second), int(third[1:])
    if minutes > 59 or seconds > 59:
        return None
    return hours * 3600 + minutes * 60 + seconds + int(millis) / 1000, text[found.end():]


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

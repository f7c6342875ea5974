"""WebVTT captions: mozilla/vtt.js's expectations, real caption files, transcripts, odd input."""
import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import CaptionError
from server.content.packs.captions import Cue, format_timestamp, parse_webvtt, read_webvtt, transcript_from_cues

from tests.conftest import examples

VTTJS = Path("captions/mozilla-vtt.js-tests")
NODE_WEBVTT = Path("captions/node-webvtt/test/data")
MDN_SUBTITLES = Path("captions/mdn-learning-area-media/html/multimedia-and-embedding/tasks/"
                     "media-embed/media/subtitles_en.vtt")
NO_OUTPUT = "file-layout/no-output.json"
VTTJS_ESCAPES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&lrm;": "\u200e", "&rlm;": "\u200f",
                 "&nbsp;": "\u00a0"}


def vttjs_cases() -> list:
    """One case per .vtt in expectations-index.json; files the upstream runner never checks skip."""
    from tests.conftest import CORPUS

    index = CORPUS / VTTJS / "expectations-index.json"
    if not index.is_file():
        return ["(corpus absent)"]
    fixtures = json.loads(index.read_text("utf-8"))["fixtures"]
    return [pytest.param(name, marks=pytest.mark.skip(
                reason="vtt.js's test runner makes no assertion about this file")) if not checks
            else name for name, checks in sorted(fixtures.items())]


def read_vtt(path: Path) -> str:
    """Decode as a browser does (vtt.js uses TextDecoder): UTF-8, bad bytes replaced, BOM kept."""
    return path.read_bytes().decode("utf-8", errors="replace")


def vttjs_text_content(raw: str) -> str:
    """The text nodes of vtt.js's parseContent: tags `<…>` dropped, its six escapes decoded."""
    def unescape(text):
        return re.sub("|".join(VTTJS_ESCAPES), lambda m: VTTJS_ESCAPES[m.group(0)], text)
    return "".join(unescape(part) for part in re.split(r"<[^>]*>?", raw))


def expected_texts(tests: Path, name: str, assertion: str, raw_cues: list[dict]) -> list[str]:
    """What each cue's text must be: vtt.js's own rendered textContent (the *-proc.json its
    processing-model run checked) where it exists, else vtt.js's text extraction of the raw text."""
    proc = tests / name.replace(".vtt", "-proc.json")
    if assertion.startswith("jsonEqualAll") and proc.is_file():
        rendered = json.loads(proc.read_text("utf-8"))
        if isinstance(rendered, list) and len(rendered) == len(raw_cues):
            return [node["textContent"] for node in rendered]
    return [vttjs_text_content(cue["text"]) for cue in raw_cues]


# Where vtt.js and the WebVTT parser algorithm disagree, we follow the spec (as browsers and the
# web-platform-tests do): file → (cues the spec gives, why).
SPEC_DIFFERS = {
    "cue-times/min-top-digits.vtt": (0, "'000:00.000': a first field that is not two digits is hours, "
                                        "so a third field is required"),
    "cue-times/minimum-spots-over-sixty.vtt": (0, "'120:00.000': hours without minutes and seconds"),
    "file-layout/header-no-new-line.vtt": (1, "a line with '-->' ends the header and starts a cue"),
    "integration/id.vtt": (5, "a block whose first line is a bare '-->' ends there; its timing line "
                              "starts the next cue"),
}


@pytest.mark.parametrize("name", sorted(SPEC_DIFFERS))
def test_vttjs_files_where_the_spec_decides(name, corpus):
    cues = parse_webvtt(read_vtt(corpus / VTTJS / "tests" / name))
    assert len(cues) == SPEC_DIFFERS[name][0], SPEC_DIFFERS[name][1]


@pytest.mark.parametrize("name", vttjs_cases())
def test_vttjs_expectation(name, corpus):
    tests = corpus / VTTJS / "tests"
    [check] = json.loads((corpus / VTTJS / "expectations-index.json").read_text("utf-8"))["fixtures"][name]
    if name in SPEC_DIFFERS:
        pytest.skip(f"the WebVTT spec differs from vtt.js here: {SPEC_DIFFERS[name][1]}")
    text = read_vtt(tests / name)
    if check["expected"] == NO_OUTPUT:
        try:
            assert parse_webvtt(text) == []
        except CaptionError as err:
            assert re.match(r"line \d+: ", str(err))
        return
    expected = json.loads((tests / check["expected"]).read_text("utf-8"))["cues"]
    cues = parse_webvtt(text)
    assert [(c.start, c.end) for c in cues] == [(e["startTime"], e["endTime"]) for e in expected]
    assert [c.text for c in cues] == expected_texts(tests, name, check["assertion"], expected)


def test_no_output_files_explain_themselves(corpus):
    tests = corpus / VTTJS / "tests" / "file-layout"
    with pytest.raises(CaptionError, match=r"^line 1: this is not a WebVTT caption file"):
        parse_webvtt(read_vtt(tests / "garbage-signature.vtt"))
    with pytest.raises(CaptionError, match=r"^line 1: the caption file is empty"):
        parse_webvtt(read_vtt(tests / "blank-file-with-bom.vtt"))


# -- real caption files ----------------------------------------------------------------------

def cue_blocks(text: str) -> list[str]:
    return [b for b in re.split(r"\n\s*\n", text.strip())][1:]  # the first block is the header


def test_acid_test_keeps_every_cue_webvtt_allows(corpus):
    text = read_vtt(corpus / NODE_WEBVTT / "acid.vtt")
    blocks = cue_blocks(text)
    assert len(blocks) == 1346
    # The 1,346 blocks include cues WebVTT (and browsers, and vtt.js) reject; we skip them too:
    two_digit_fraction = [b for b in blocks if re.search(r"\d:\d\d\.\d\d(?!\d)", b.split("\n")[1])]
    second_sixty = [b for b in blocks if re.search(r":60\.\d{3}", b)]
    meant_to_fail = [b for b in blocks if "It should not be processed" in b]
    assert (len(two_digit_fraction), len(second_sixty), len(meant_to_fail)) == (50, 2, 2)
    cues = parse_webvtt(text)
    assert len(cues) == 1346 - 50 - 2 - 2 == 1292
    assert not any("should not be processed" in c.text for c in cues)
    texts = {c.text for c in cues}
    assert "East Asian Characters: だらり帯の結び方" in texts
    assert "私わたしたち" in texts  # <ruby>私<rt>わたし</rt></ruby>たち


def test_subs1_has_683_cues(corpus):
    cues = parse_webvtt(read_vtt(corpus / NODE_WEBVTT / "subs1.vtt"))
    assert len(cues) == 683
    assert all(c.start < c.end for c in cues)


def test_malformed_file_keeps_its_cue_and_warns_about_the_stray_text(corpus):
    track = read_webvtt(read_vtt(corpus / NODE_WEBVTT / "malformed.vtt"))
    assert [(c.start, c.text) for c in track.cues] == [(6313.056, "")]
    assert track.warnings and track.warnings[0].startswith("line 8: this text belongs to no cue")


def test_mdn_subtitles_give_a_sensible_transcript(corpus):
    cues = parse_webvtt((corpus / MDN_SUBTITLES).read_text("utf-8-sig"))
    assert [(c.start, c.end) for c in cues] == [(2.01, 3.5), (5.739, 6.074), (6.901, 8.0)]
    assert transcript_from_cues(cues) == [
        (None, "This is the first subtitle. This is the second. And this is the third!")]
    assert format_timestamp(cues[1].start) == "0:05"


def test_spec_example_transcript_follows_the_speakers(corpus):
    cues = parse_webvtt(read_vtt(corpus / VTTJS / "tests/integration/spec-example.vtt"))
    transcript = transcript_from_cues(cues)
    assert [speaker for speaker, _ in transcript] == [
        "Roger Bingham", "Neil deGrasse Tyson", "Roger Bingham", "Neil deGrasse Tyson", "Roger Bingham"]
    assert transcript[0][1].startswith("We are in New York City We're actually at the Lucern Hotel")
    assert transcript[3] == ("Neil deGrasse Tyson", "Laughs")


# -- the parser, rule by rule ------------------------------------------------------------------

def cues_of(body: str, header: str = "WEBVTT\n\n") -> list[tuple]:
    return [(c.start, c.end, c.text, c.voice) for c in parse_webvtt(header + body)]


@pytest.mark.parametrize("text", ["WEBVTT", "WEBVTT\n", "\ufeffWEBVTT\n", "WEBVTT - Lesson 3\n",
                                  "WEBVTT\tx\n", "WEBVTT\r\n\r\n", "WEBVTT\nKind: captions\nLanguage: en\n"])
def test_signature_accepted(text):
    assert parse_webvtt(text) == []


@pytest.mark.parametrize("text", ["", "\ufeff", "webvtt\n", "WEBVTTX\n", "\nWEBVTT\n", " WEBVTT\n",
                                  "1\n00:00.000 --> 00:01.000\nHi\n", "{\\rtf1}"])
def test_signature_refused_with_line_1(text):
    with pytest.raises(CaptionError, match=r"^line 1: "):
        parse_webvtt(text)


@pytest.mark.parametrize("body, expected", [
    ("00:01.000 --> 00:02.500\nHello", [(1.0, 2.5, "Hello", None)]),
    ("intro\n01:02:03.004 --> 01:02:04.000 align:start line:0%\nHi", [(3723.004, 3724.0, "Hi", None)]),
    ("00:00.000-->00:01.000\nglued", [(0.0, 1.0, "glued", None)]),
    ("00:00.000 --> 00:01.000\na\n00:01.000 --> 00:02.000\nb", [(0, 1, "a", None), (1, 2, "b", None)]),
    ("00:00.000 --> 00:01.000\ntwo\nlines", [(0, 1, "two\nlines", None)]),
    ("00:00.000 --> 00:01.000\n", [(0, 1, "", None)]),
    ("00:00.00 --> 00:01.000\nthree digits required\n\n00:02.000 --> 00:03.000\nok", [(2, 3, "ok", None)]),
    ("00:60.000 --> 01:00.000\nsecond 60\n\n00:02.000 --> 00:03.000\nok", [(2, 3, "ok", None)]),
    ("00:00.000 -> 00:01.000\nbad arrow\n\n00:02.000 --> 00:03.000\nok", [(2, 3, "ok", None)]),
    ("NOTE a comment\n--> even with arrows\n\n00:02.000 --> 00:03.000\nok", [(2, 3, "ok", None)]),
    # The spec's parser reads "NOTE" above a timing line as the cue's identifier (a comment has no "-->").
    ("NOTE\n00:00.000 --> 00:01.000\nshown\n\n00:02.000 --> 00:03.000\nok", [(0, 1, "shown", None),
                                                                            (2, 3, "ok", None)]),
    ("00:00.000 --> 00:01.000\n\nNOTE after an empty cue\n\n00:02.000 --> 00:03.000\nok",
     [(0, 1, "", None), (2, 3, "ok", None)]),
    ("STYLE\n::cue { color: red }\n\n00:02.000 --> 00:03.000\nok", [(2, 3, "ok", None)]),
    ("REGION\nid:fred\n\n00:02.000 --> 00:03.000\nok", [(2, 3, "ok", None)]),
    ("00:00.000 --> 00:01.000\nsaid\n\nextra paragraph\n\n00:02.000 --> 00:03.000\nok",
     [(0, 1, "said", None), (2, 3, "ok", None)]),
])
def test_cue_blocks(body, expected):
    assert cues_of(body) == expected


@pytest.mark.parametrize("line_ending", ["\r\n", "\r", "\n"])
def test_line_endings(line_ending):
    text = line_ending.join(["WEBVTT", "", "1", "00:00.000 --> 00:01.000", "a", "b", "", ""])
    assert cues_of(text, header="") == [(0, 1, "a\nb", None)]


@pytest.mark.parametrize("cue_text, text, voice", [
    ("<v Roger Bingham>We are in New York City", "We are in New York City", "Roger Bingham"),
    ("<v.loud Mary>No way!</v>", "No way!", "Mary"),
    ("<v>Nobody</v>", "Nobody", None),
    ("<v A>one</v>\n<v B>two</v>", "one\ntwo", None),  # two speakers in one cue: not attributed
    ("<b>bold</b> <i>it</i> <u>u</u> <c.yellow.bg_blue>c</c> <lang fr>oui</lang>", "bold it u c oui", None),
    ("<ruby>漢字<rt>かんじ</rt></ruby>", "漢字かんじ", None),
    ("<00:00:01.000>Hee!<00:00:01.500> Hee!", "Hee! Hee!", None),
    ("a &amp; b &lt;c&gt; &lrm;&rlm;&nbsp;", "a & b <c> \u200e\u200f\u00a0", None),
    ("&quot;hi&quot; &#39;s &#x263A; &#0; &amp", "\"hi\" 's \u263a \ufffd &amp", None),
    ("&lt;b&gt;not a tag&lt;/b&gt;", "<b>not a tag</b>", None),
    ("a < b", "a ", None),  # as in browsers: '<' opens a tag that runs to the end
    ("nul\0here", "nul\ufffdhere", None),
])
def test_cue_text(cue_text, text, voice):
    assert cues_of(f"00:00.000 --> 00:01.000\n{cue_text}") == [(0, 1, text, voice)]


@pytest.mark.parametrize("text, expected", [
    # the web-platform-tests file-parsing cases the spec decides
    ("WEBVTT\n00:00.000 --> 00:01.000\nHi\n", [(0, 1, "Hi", None)]),                 # timings right after
    ("WEBVTT\nKind: captions\n00:00.000 --> 00:01.000\nHi\n", [(0, 1, "Hi", None)]),  # ... or after a header
    ("WEBVTT \n\n00:00.000 --> 00:01.000\nspace", [(0, 1, "space", None)]),
    ("WEBVTT\t\n\n00:00.000 --> 00:01.000\ntab", [(0, 1, "tab", None)]),
    ("WEBVTT 00:00.000 --> 00:01.000\n\n00:00.000 --> 00:01.000\nok", [(0, 1, "ok", None)]),
    ("WEBVTT\0\n\n00:00.000 --> 00:01.000\nx", None),                             # NUL is not a space
    ("WEBVTT\n\n00:00.000 --> 00:01.000\nnul\0", [(0, 1, "nul\ufffd", None)]),
    ("WEBVTT\n\n00:00.000-->00:01.000\nno spaces", [(0, 1, "no spaces", None)]),
    ("WEBVTT\n\n00:00.000\t-->\f00:01.000\ntab and form feed", [(0, 1, "tab and form feed", None)]),
    ("WEBVTT\n\n00:00.000\v--> 00:01.000\nvertical tab\n\n00:02.000 --> 00:03.000\nok", [(2, 3, "ok", None)]),
    ("WEBVTT\n\n00:00.000 --> 00:01.000x\nsettings junk", [(0, 1, "settings junk", None)]),
    ("WEBVTT\n\n0:00.000 --> 00:01.000\none digit\n\n00:02.000 --> 00:03.000\nok", [(2, 3, "ok", None)]),
    ("WEBVTT\n\n00:00:00:00.000 --> 00:01.000\nfour fields\n\n00:02.000 --> 00:03.000\nok",
     [(2, 3, "ok", None)]),
    ("WEBVTT\n\nid\n00:00.000 --> 00:01.000\na\n00:01.000 --> 00:02.000\nb",
     [(0, 1, "a", None), (1, 2, "b", None)]),
])
def test_webvtt_parser_algorithm(text, expected):
    if expected is None:
        with pytest.raises(CaptionError, match=r"^line 1: this is not a WebVTT caption file"):
            parse_webvtt(text)
    else:
        assert cues_of(text, header="") == expected


def test_invalid_timings_are_dropped_with_a_warning():
    track = read_webvtt("WEBVTT\n\n00:00.00 --> 00:01.000\ntwo digits\n\n00:02.000 --> 00:03.000\nok\n")
    assert [c.text for c in track.cues] == ["ok"]
    assert track.warnings == ["line 3: the cue timings are not valid WebVTT; cue left out"]


@pytest.mark.parametrize("body, line", [
    ("1\n00:00.000 --> 00:01.000\n\nIts text\n", 6),
    ("00:00.000 --> 00:01.000\na\n\n00:01.000 --> 00:02.000\n\n\nb\n", 9),
])
def test_cue_text_cut_off_by_a_blank_line_is_a_warning(body, line):
    track = read_webvtt("WEBVTT\n\n" + body)
    assert track.cues and track.cues[-1].text == ""
    assert track.warnings[0].startswith(f"line {line}: this text belongs to no cue")


@pytest.mark.parametrize("body", ["Kind: captions\nLanguage: en\n", "Just some text\n", "1\nHello\n"])
def test_other_text_outside_cues_is_skipped(body):
    assert cues_of(body + "\n00:02.000 --> 00:03.000\nok") == [(2, 3, "ok", None)]


# -- transcripts and timestamps -----------------------------------------------------------------

def cue(start: float, text: str, voice: str | None = None) -> Cue:
    return Cue(start, start + 1, text, voice)


def test_transcript_joins_consecutive_cues_of_one_voice():
    cues = [cue(0, "Hi.", "Ana"), cue(1, "How are\nyou?", "Ana"), cue(2, "Fine.", "Ben"),
            cue(3, "", "Ben"), cue(4, "Thanks.", "Ben"), cue(5, "Music plays")]
    assert transcript_from_cues(cues) == [("Ana", "Hi. How are you?"), ("Ben", "Fine. Thanks."),
                                          (None, "Music plays")]


def test_transcript_removes_roll_up_repeats():
    rolled = [cue(0, "we start with"), cue(1, "we start with\nfractions today"),
              cue(2, "fractions today\nand then"), cue(3, "and then"), cue(4, "and then\nno no no")]
    assert transcript_from_cues(rolled) == [(None, "we start with fractions today and then no no no")]


def test_transcript_orders_cues_by_start_and_tidies_spaces():
    assert transcript_from_cues([cue(5, "  second   part "), cue(1, "first\u00a0part")]) == [
        (None, "first part second part")]
    assert transcript_from_cues([]) == []


@pytest.mark.parametrize("seconds, shown", [
    (0, "0:00"), (5.739, "0:05"), (59.999, "0:59"), (123, "2:03"), (3599, "59:59"), (3600, "1:00:00"),
    (3723.5, "1:02:03"), (432000, "120:00:00"), (-3, "0:00"), (math.nan, "0:00"), (math.inf, "0:00"),
])
def test_format_timestamp(seconds, shown):
    assert format_timestamp(seconds) == shown


# -- robustness ----------------------------------------------------------------------------------

VTT_LINES = st.sampled_from([
    "WEBVTT", "", "", "00:00.000 --> 00:01.000", "01:00:00.000 --> 01:00:02.000 align:start",
    "-->", "NOTE", "STYLE", "1", "<v Ana>hi</v>", "&amp;&#x110000;&#99999999;", "<ruby>a<rt>b",
    "00:00.00 --> 00:01.000", "9" * 30 + ":00.000 --> 00:01.000", "\ufeff", "\r", "\0",
])


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(st.text(), st.lists(st.one_of(VTT_LINES, st.text(max_size=8))).map("\n".join),
                 st.lists(VTT_LINES).map(lambda lines: "WEBVTT\n\n" + "\n".join(lines))))
def test_parse_raises_only_caption_error(text):
    try:
        cues = parse_webvtt(text)
    except CaptionError as err:
        assert re.match(r"line \d+: ", str(err))
        return
    for c in cues:
        assert math.isfinite(c.start) and math.isfinite(c.end) and isinstance(c.text, str)
    for speaker, paragraph in transcript_from_cues(cues):
        assert paragraph and paragraph == paragraph.strip()
        format_timestamp(cues[0].start)

"""QTI 2.1 order, gapMatch and hottext interactions as native practice items: what each becomes, how it
is graded (the correct response and partial credit), small hand-written edge cases, and the real
practice page with JavaScript off (labels, fieldset and legend; graded on the server)."""
import html
import re
import shutil
from pathlib import Path

import pytest

from server.content.packs.xml_safe import parse_xml_file, parse_xml_text
from server.content.quiz.grading import choices_for_display, correct_answer_text, grade
from server.content.quiz.qti import read_qti_item

IMS = Path("quizzes/qtiworks-qti21/items/ims")
NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"


def _read(corpus: Path, name: str):
    return read_qti_item(parse_xml_file(corpus / IMS / name, name), name)


def _hand_made(declaration: str, body: str, template: str = "match_correct"):
    """A small QTI 2.1 item written here, read as a package's item would be."""
    xml = (f'<assessmentItem xmlns="{NS}" identifier="x" title="Hand made">{declaration}'
           f'<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>'
           f'<itemBody>{body}</itemBody><responseProcessing template="{TEMPLATES}{template}"/></assessmentItem>')
    return read_qti_item(parse_xml_text(xml, "x.xml"), "x.xml")


def _matching_response(item: dict, wanted: list[str]) -> dict:
    """The form a learner posts who chooses `wanted` (texts) in the selects, in order."""
    options = choices_for_display(item)
    return {f"match-{k}": str(options.index(text)) for k, text in enumerate(wanted)}


# --- order ---------------------------------------------------------------------------------------

def test_an_order_question_becomes_positions_to_fill_with_the_choices(corpus):
    [item] = _read(corpus, "order.xml").items
    assert item["kind"] == "matching"
    assert [(p["left"], p["right"]) for p in item["pairs"]] == [
        ("1", "Michael Schumacher"), ("2", "Rubens Barrichello"), ("3", "Jenson Button")]
    assert "rearrange them into the correct finishing order" in item["prompt"]
    assert choices_for_display(item) != ["Michael Schumacher", "Rubens Barrichello", "Jenson Button"]
    assert correct_answer_text(item) == "1 → Michael Schumacher; 2 → Rubens Barrichello; 3 → Jenson Button"


def test_an_order_is_right_only_in_the_correct_order_and_partly_right_by_place(corpus):
    [item] = _read(corpus, "order.xml").items
    right = grade(item, _matching_response(item, ["Michael Schumacher", "Rubens Barrichello", "Jenson Button"]))
    assert right.is_correct and right.score == 1.0
    swapped = grade(item, _matching_response(item, ["Michael Schumacher", "Jenson Button", "Rubens Barrichello"]))
    assert (swapped.is_correct, swapped.parts) == (False, (1, 3))
    backwards = grade(item, _matching_response(item, ["Jenson Button", "Rubens Barrichello", "Michael Schumacher"]))
    assert (backwards.is_correct, backwards.parts) == (False, (1, 3))
    assert grade(item, _matching_response(item, ["Rubens Barrichello", "Jenson Button", "Michael Schumacher"])
                 ).score == 0.0


def test_custom_order_scoring_keeps_its_declared_correct_order(corpus):
    [item] = _read(corpus, "order_partial_scoring.xml").items  # custom processing, correct response declared
    assert [p["right"] for p in item["pairs"]] == ["Michael Schumacher", "Rubens Barrichello", "Jenson Button"]


ORDER_DECLARATION = ('<responseDeclaration identifier="R" cardinality="ordered" baseType="identifier">'
                     '<correctResponse>{values}</correctResponse></responseDeclaration>')


def _order(values: list[str], choices: dict[str, str]):
    declaration = ORDER_DECLARATION.format(values="".join(f"<value>{v}</value>" for v in values))
    options = "".join(f'<simpleChoice identifier="{k}">{t}</simpleChoice>' for k, t in choices.items())
    return _hand_made(declaration, f'<orderInteraction responseIdentifier="R"><prompt>Put them in order.</prompt>'
                                   f"{options}</orderInteraction>")


def test_choices_outside_the_correct_order_are_distractors():
    [item] = _order(["A", "B"], {"A": "one", "B": "two", "C": "seven"}).items
    assert item["pairs"] == [{"left": "1", "right": "one"}, {"left": "2", "right": "two"},
                             {"left": "", "right": "seven"}]
    assert grade(item, _matching_response(item, ["one", "two"])).is_correct


@pytest.mark.parametrize("values, choices, reason", [
    (["A", "B"], {"A": "same", "B": "same"}, "two of its choices read the same"),
    (["A", "B"], {"A": "one", "B": '<img src="b.png" alt=""/>'}, "a choice has no text to show in a list"),
    (["A", "Z"], {"A": "one", "B": "two"}, "its correct order does not name at least two of its choices"),
    ([], {"A": "one", "B": "two"}, "it declares no correct response (its scoring is custom)"),
])
def test_an_order_lantern_cannot_show_as_lists_is_left_out_with_the_reason(values, choices, reason):
    reading = _order(values, choices)
    assert reading.items == [] and reading.problems[0][1] == reason


# --- gapMatch ------------------------------------------------------------------------------------

def test_a_gap_match_numbers_its_gaps_and_offers_the_gap_texts(corpus):
    [item] = _read(corpus, "gap_match.xml").items
    assert item["kind"] == "matching"
    assert item["pairs"] == [{"left": "(1)", "right": "winter"}, {"left": "(2)", "right": "summer"},
                             {"left": "", "right": "spring"}, {"left": "", "right": "autumn"}]
    text = item["prompt"]
    assert "Now is the <span>(1)\u2009_____\u2002</span> of our discontent" in text
    assert "Made glorious <span>(2)" in text and "gapText" not in text and "winter" not in text
    assert text.startswith("Identify the missing words")  # the interaction's prompt, then its passage


def test_a_gap_match_gives_credit_per_gap(corpus):
    [item] = _read(corpus, "gap_match.xml").items  # map_response: W G1 and Su G2
    assert grade(item, _matching_response(item, ["winter", "summer"])).is_correct
    half = grade(item, _matching_response(item, ["winter", "spring"]))
    assert (half.score, half.parts, half.is_partial) == (0.5, (1, 2), True)
    assert grade(item, _matching_response(item, ["spring", "autumn"])).score == 0.0


GAP_DECLARATION = ('<responseDeclaration identifier="R" cardinality="multiple" baseType="directedPair">'
                   '<correctResponse>{values}</correctResponse></responseDeclaration>')
WORDS = '<gapText identifier="W" matchMax="1">winter</gapText><gapText identifier="S" matchMax="1">summer</gapText>'


def _gap_match(values: list[str], content: str):
    declaration = GAP_DECLARATION.format(values="".join(f"<value>{v}</value>" for v in values))
    return _hand_made(declaration, f'<gapMatchInteraction responseIdentifier="R">{content}</gapMatchInteraction>')


def test_a_single_gap_becomes_a_fill_in_with_a_choice():
    [item] = _gap_match(["S G1"], WORDS + '<p>Hot days come in <gap identifier="G1"/>.</p>').items
    assert (item["kind"], item["input"]) == ("fill", "choice")
    assert "Hot days come in <span>[[blank]]</span>." in item["prompt"]
    assert [(a["text"], a["weight"]) for a in item["answers"]] == [("winter", 0.0), ("summer", 1.0)]
    assert grade(item, {"answer": "1"}).is_correct and not grade(item, {"answer": "0"}).is_correct


@pytest.mark.parametrize("values, content, reason", [
    (["W G1"], WORDS + '<p><gap identifier="G1"/> and <gap identifier="G2"/></p>',
     "gap G2 has no right answer among its choices"),
    (["P G1"], '<gapImg identifier="P" matchMax="1"><object type="image/png" data="p.png"/></gapImg>'
               '<p><gap identifier="G1"/></p>', "its gap choices are pictures, which a list cannot show"),
])
def test_a_gap_match_lantern_cannot_grade_is_left_out_with_the_reason(values, content, reason):
    reading = _gap_match(values, content)
    assert reading.items == [] and reading.problems[0][1] == reason


# --- hottext -------------------------------------------------------------------------------------

def test_hottext_marks_the_spans_in_the_passage_and_offers_them_as_choices(corpus):
    [item] = _read(corpus, "hottext.xml").items
    assert item["kind"] == "single"
    assert [a["text"] for a in item["answers"]] == ["who bought", "includes", "at least", "whose", "No error."]
    assert "<mark>includes</mark>" in item["prompt"] and "Select the error in the following passage" in item["prompt"]
    assert "hottext" not in item["prompt"]
    right = [a["text"] for a in item["answers"]].index("includes")
    assert grade(item, {"answer": str(right)}).is_correct and not grade(item, {"answer": "0"}).is_correct


HOTTEXT_DECLARATION = ('<responseDeclaration identifier="R" cardinality="multiple" baseType="identifier">'
                       '<correctResponse><value>A</value><value>C</value></correctResponse></responseDeclaration>')


def test_several_hottexts_under_match_correct_take_a_share_away_for_each_wrong_one():
    [item] = _hand_made(HOTTEXT_DECLARATION, '<hottextInteraction responseIdentifier="R" maxChoices="0"><p>'
                        '<hottext identifier="A">Cats</hottext> and <hottext identifier="B">stones</hottext> and '
                        '<hottext identifier="C">dogs</hottext> breathe.</p></hottextInteraction>').items
    assert item["kind"] == "multiple"
    assert [a["weight"] for a in item["answers"]] == [0.5, -0.5, 0.5]
    assert grade(item, {"answer": ["0", "2"]}).is_correct
    assert grade(item, {"answer": ["0"]}).parts == (1, 2)
    assert grade(item, {"answer": ["0", "1", "2"]}).score == 0.5  # ticking everything is not full marks


def test_hottexts_that_read_the_same_are_numbered_in_the_passage_and_the_choices():
    declaration = HOTTEXT_DECLARATION.replace('cardinality="multiple"', 'cardinality="single"').replace(
        "<value>C</value>", "")
    [item] = _hand_made(declaration, '<hottextInteraction responseIdentifier="R"><p><hottext identifier="A">the'
                        '</hottext> cat saw <hottext identifier="B">the</hottext> the dog.</p>'
                        "</hottextInteraction>").items
    assert [a["text"] for a in item["answers"]] == ["the (1)", "the (2)"]
    assert "<mark>the<sup>(1)</sup></mark> cat saw <mark>the<sup>(2)</sup></mark>" in item["prompt"]


# --- on the practice page, with JavaScript off ----------------------------------------------------

def _package(corpus: Path, folder: Path, names: list[str]) -> Path:
    """A content package of corpus items (a copy in a temporary folder, with a manifest written here)."""
    folder.mkdir()
    for name in names:
        shutil.copy(corpus / IMS / name, folder / name)
    resources = "".join(f'<resource identifier="r{n}" type="imsqti_item_xmlv2p1" href="{name}">'
                        f'<file href="{name}"/></resource>' for n, name in enumerate(names))
    (folder / "imsmanifest.xml").write_text(
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><organizations/>'
        f"<resources>{resources}</resources></manifest>", encoding="utf-8")
    return folder


@pytest.fixture
def qti_pack(demo_app, library, corpus, tmp_path) -> dict[str, dict]:
    """order, gapMatch, hottext and MathML items, built and imported: {file name: item}."""
    from server.content.packs.build import build_pack
    from server.content.packs.install import import_pack

    names = ["order.xml", "gap_match.xml", "hottext.xml", "math.xml"]
    built = build_pack(_package(corpus, tmp_path / "qti", names), tmp_path / "qti.lantern", id="qti-kinds")
    import_pack(built.path, library, progress=lambda _: None)
    items = [item for unit in built.manifest.units for item in unit.items]
    return dict(zip(names, items))


def _question(browser, item: dict) -> str:
    page = browser.get(f"/practice/qti-kinds/-?item={item['id']}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _answer(browser, item: dict, form: str, fields: dict) -> str:
    attempt = re.search(r'name="attempt" value="([^"]+)"', form).group(1)
    posted = browser.post("/practice/qti-kinds/-", data={"item": item["id"], "attempt": attempt, **fields})
    assert posted.status_code == 303
    return browser.get(posted.headers["Location"]).get_data(as_text=True)


def _options(form: str, k: int) -> dict[str, str]:
    select = re.search(rf'<select id="match-{k}" name="match-{k}" required>(.*?)</select>', form, re.S).group(1)
    return {html.unescape(text): value for value, text in re.findall(r'<option value="(\d+)">([^<]*)</option>', select)}


def test_an_order_question_is_answered_with_labelled_selects_and_graded_on_the_server(browser_for, qti_pack):
    amina, item = browser_for("amina"), qti_pack["order.xml"]
    form = _question(amina, item)
    assert '<form method="post"' in form and '<button type="submit">' in form  # a plain form: no script needed
    assert "<fieldset>" in form and "<legend>" in form
    assert [re.search(rf'<label for="match-{k}">([^<]*)</label>', form).group(1) for k in range(3)] == ["1", "2", "3"]
    wrong = _answer(amina, item, form, {f"match-{k}": _options(form, k)[name] for k, name in
                                        enumerate(["Michael Schumacher", "Jenson Button", "Rubens Barrichello"])})
    assert "1 of 3 right" in wrong
    form = _question(amina, item)
    right = _answer(amina, item, form, {f"match-{k}": _options(form, k)[name] for k, name in
                                        enumerate(["Michael Schumacher", "Rubens Barrichello", "Jenson Button"])})
    assert "Right!" in right


def test_a_gap_match_is_answered_gap_by_gap(browser_for, qti_pack):
    amina, item = browser_for("amina"), qti_pack["gap_match.xml"]
    form = _question(amina, item)
    assert "Now is the <span>(1)" in form and '<label for="match-1">(2)</label>' in form
    assert set(_options(form, 0)) == {"winter", "summer", "spring", "autumn"}
    result = _answer(amina, item, form, {"match-0": _options(form, 0)["winter"], "match-1": _options(form, 1)["spring"]})
    assert "1 of 2 right" in result


def test_hottext_is_a_choice_over_the_marked_spans(browser_for, qti_pack):
    amina, item = browser_for("amina"), qti_pack["hottext.xml"]
    form = _question(amina, item)
    assert "<mark>includes</mark>" in form
    choices = re.findall(r'<label><input type="radio" name="answer" value="(\d+)" required> <span>([^<]*)</span>', form)
    assert [text for _, text in choices] == ["who bought", "includes", "at least", "whose", "No error."]
    assert "Right!" in _answer(amina, item, form, {"answer": dict((t, v) for v, t in choices)["includes"]})


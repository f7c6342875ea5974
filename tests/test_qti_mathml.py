"""MathML in QTI items is kept from the package to the practice page; inside `<math>` only MathML
survives (no HTML smuggled in an `mtext`, no scripts, no event handlers), outside it the usual allowlist."""
import re
import shutil
from pathlib import Path

import pytest

IMS = Path("quizzes/qtiworks-qti21/items/ims")
HOSTILE = """<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"
    xmlns:m="http://www.w3.org/1998/Math/MathML" identifier="h" title="Square roots">
  <responseDeclaration identifier="R" cardinality="single" baseType="identifier">
    <correctResponse><value>A</value></correctResponse></responseDeclaration>
  <itemBody>
    <p>Which is <m:math display="block"><m:msqrt><m:mn>9</m:mn></m:msqrt><m:mtext><table><tr><td>smuggled</td>
      </tr></table><script>alert(1)</script></m:mtext><m:mi onclick="alert(2)" mathvariant="bold">x</m:mi>
      <m:semantics><m:mi>y</m:mi><m:annotation-xml encoding="text/html"><img src="x" onerror="alert(3)"/>
      </m:annotation-xml></m:semantics></m:math>?</p>
    <choiceInteraction responseIdentifier="R" maxChoices="1">
      <simpleChoice identifier="A"><math xmlns="http://www.w3.org/1998/Math/MathML"><mn>3</mn></math></simpleChoice>
      <simpleChoice identifier="B">four</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>"""


@pytest.fixture
def math_pack(demo_app, library, corpus, tmp_path) -> dict[str, str]:
    """The IMS MathML example and a hand-made hostile one, built as a content package and imported."""
    from server.content.packs.build import build_pack
    from server.content.packs.install import import_pack

    folder = tmp_path / "maths"
    folder.mkdir()
    shutil.copy(corpus / IMS / "math.xml", folder / "math.xml")
    (folder / "hostile.xml").write_text(HOSTILE, encoding="utf-8")
    resources = "".join(f'<resource identifier="r{n}" type="imsqti_item_xmlv2p1" href="{name}"><file href="{name}"/>'
                        "</resource>" for n, name in enumerate(("math.xml", "hostile.xml")))
    (folder / "imsmanifest.xml").write_text(
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><organizations/>'
        f"<resources>{resources}</resources></manifest>", encoding="utf-8")
    built = build_pack(folder, tmp_path / "maths.lantern", id="maths")
    import_pack(built.path, library, progress=lambda _: None)
    return {item["title"]: item["id"] for unit in built.manifest.units for item in unit.items}


def _prompt(browser, item_id: str) -> str:
    page = browser.get(f"/practice/maths/-?item={item_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html[html.index("<fieldset>"):html.index("</fieldset>")]


def test_mathml_in_a_qti_item_reaches_the_practice_page(browser_for, math_pack):
    form = _prompt(browser_for("amina"), math_pack["Relativity"])
    assert re.search(r"<math>\s*<mrow>\s*<mi>E</mi>\s*<mo>=</mo>\s*<mi>m</mi>\s*<msup>\s*<mi>c</mi>\s*<mn>2</mn>"
                     r"\s*</msup>\s*</mrow>\s*</math>", form)
    assert "m:math" not in form and "xmlns" not in form  # plain HTML5 MathML, no XML prefixes left


def test_inside_math_only_mathml_survives(browser_for, math_pack):
    form = _prompt(browser_for("amina"), math_pack["Square roots"])
    math = re.search(r'<math display="block">.*?</math>', form, re.S).group(0)
    assert "<msqrt><mn>9</mn></msqrt>" in math and '<mi mathvariant="bold">x</mi>' in math
    assert "smuggled" in math  # the table's text stays, as text
    for unsafe in ("<table", "<td", "<script", "alert(", "onclick", "onerror", "<img", "annotation"):
        assert unsafe not in form
    assert re.search(r'<input type="radio" name="answer" value="0" required> <span><math><mn>3</mn></math></span>',
                     form)  # MathML in an answer option, too

"""QTI 2.1 items → practice items: the IMS examples by interaction, standard-template grading with
partial credit, content packages of items, and what is left out (with its reason)."""
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli.commands import main
from server.content.packs.build import build_pack
from server.content.packs.xml_safe import parse_xml_file
from server.content.quiz.grading import grade
from server.content.quiz.qti import read_qti_item

QTIWORKS = Path("quizzes/qtiworks-qti21")


def _read(corpus: Path, name: str):
    path = corpus / QTIWORKS / "items" / "ims" / name
    return read_qti_item(parse_xml_file(path, name), name)


@pytest.mark.parametrize("name, kind", [
    ("choice.xml", "single"), ("choice_multiple.xml", "multiple"), ("text_entry.xml", "fill"),
    ("inline_choice.xml", "fill"), ("match.xml", "matching"), ("associate.xml", "matching"),
    ("extended_text.xml", "essay"), ("order.xml", "matching"), ("order_partial_scoring.xml", "matching"),
    ("gap_match.xml", "matching"), ("shufflegap_match.xml", "matching"), ("hottext.xml", "single"),
])
def test_each_supported_interaction_becomes_a_practice_item(corpus, name, kind):
    reading = _read(corpus, name)
    assert [item["kind"] for item in reading.items] == [kind] and not reading.problems


@pytest.mark.parametrize("name, reason", [
    ("hotspot.xml", "hotspotInteraction needs a pointer device or JavaScript"),
    ("drawing.xml", "drawingInteraction needs a pointer device or JavaScript"),
    ("select_point.xml", "selectPointInteraction needs a pointer device or JavaScript"),
])
def test_interactions_that_need_a_pointer_are_left_out_with_the_reason(corpus, name, reason):
    reading = _read(corpus, name)
    assert reading.items == [] and reading.problems[0][1] == reason


def test_every_qtiworks_item_is_imported_or_explained(corpus):
    kinds, left_out = Counter(), 0
    for path in sorted((corpus / QTIWORKS / "items").rglob("*.xml")):
        root = parse_xml_file(path, path.name)
        if not root.tag.endswith("assessmentItem"):
            continue  # assessment tests: their items are files of their own
        reading = read_qti_item(root, path.name)
        assert len(reading.items) + len(reading.problems) == 1, path
        kinds.update(item["kind"] for item in reading.items)
        left_out += len(reading.problems)
    assert kinds == {"single": 17, "fill": 11, "matching": 7, "multiple": 2, "essay": 2}
    assert left_out == 32


def test_map_response_gives_partial_credit(corpus):
    [item] = _read(corpus, "choice_multiple.xml").items  # H and O are right, Cl costs
    labels = [answer["text"] for answer in item["answers"]]
    hydrogen, oxygen, chlorine = labels.index("Hydrogen"), labels.index("Oxygen"), labels.index("Chlorine")
    half = grade(item, {"answer": [str(hydrogen)]})
    assert (half.score, half.parts, half.is_partial) == (0.5, (1, 2), True)
    assert grade(item, {"answer": [str(hydrogen), str(oxygen)]}).is_correct
    assert grade(item, {"answer": [str(hydrogen), str(chlorine)]}).score == 0.0


def test_match_correct_grades_text_entry_and_matching(corpus):
    [entry] = _read(corpus, "text_entry.xml").items
    assert grade(entry, {"answer": "York"}).is_correct and not grade(entry, {"answer": "Lancaster"}).is_correct
    [match] = _read(corpus, "match.xml").items
    assert {(p["left"], p["right"]) for p in match["pairs"] if p["left"]} >= {("Capulet", "Romeo and Juliet")}


def test_a_content_package_of_items_builds_with_its_report(corpus, tmp_path):
    built = build_pack(corpus / QTIWORKS / "packages" / "WebDeveloperTest1.zip", tmp_path / "web.lantern")
    assert built.manifest.item_count == 8
    rows = {row["source"]: row for row in built.report}
    assert rows["template_test1.xml"]["skipped"] == ["an assessment test: its questions come in one by one"]
    assert "it has 2 interactions" in rows["question8.xml"]["skipped"][0]


def test_migrated_qti12_items_keep_the_essay_and_count_the_rest(corpus, tmp_path):
    built = build_pack(corpus / "quizzes/pyslet-qti/data_imsqtiv1p2p1/outputv2", tmp_path / "v2.lantern")
    assert [item["kind"] for unit in built.manifest.units for item in unit.items] == ["essay"]
    reasons = [reason for row in built.report for reason in row["skipped"]]
    assert sum("needs a pointer device or JavaScript" in r for r in reasons) == 3
    assert sum("its scoring is custom" in r for r in reasons) == 9


def test_a_package_whose_items_all_need_a_pointer_is_refused(corpus, tmp_path):
    folder = tmp_path / "hotspots"
    folder.mkdir()
    shutil.copy(corpus / QTIWORKS / "items" / "ims" / "hotspot.xml", folder / "hotspot.xml")
    (folder / "imsmanifest.xml").write_text(
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><organizations/><resources>'
        '<resource identifier="r" type="imsqti_item_xmlv2p1" href="hotspot.xml"><file href="hotspot.xml"/>'
        "</resource></resources></manifest>", encoding="utf-8")
    out = tmp_path / "x.lantern"
    run = CliRunner().invoke(main, ["pack", "build", str(folder), "-o", str(out)])
    assert run.exit_code != 0 and "nothing in this source could become a lesson or a practice question" in run.output
    assert "hotspotInteraction needs a pointer device or JavaScript" in run.output and not out.exists()


def _qti12_package(corpus: Path, folder: Path) -> Path:
    folder.mkdir()
    source = corpus / "quizzes/pyslet-qti/data_imsqtiv1p2p1/input"
    for path in sorted(source.glob("*.xml")) + sorted(source.glob("*.dtd")):
        shutil.copy(path, folder / path.name)
    resources = "".join(f'<resource identifier="r{n}" type="imsqti_xmlv1p2/imscc_xmlv1p1/assessment" '
                        f'href="{path.name}"><file href="{path.name}"/></resource>'
                        for n, path in enumerate(sorted(source.glob("*.xml"))))
    (folder / "imsmanifest.xml").write_text(
        '<manifest xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1" identifier="m"><organizations/>'
        f"<resources>{resources}</resources></manifest>", encoding="utf-8")
    return folder


def test_qti12_items_in_a_cartridge_become_practice(corpus, tmp_path):
    built = build_pack(_qti12_package(corpus, tmp_path / "qti12"), tmp_path / "q12.lantern")
    assert built.manifest.item_count == 11  # of 17 items: hotspots, xy, several blanks and empty ones are left out
    items = {item["title"]: item for unit in built.manifest.units for item in unit.items}
    assert items["Standard Multiple Choice Item"]["kind"] == "single"
    chain = items["Standard Multiple Choice Item"]
    assert [a["weight"] for a in chain["answers"]] == [0.0, 1.0, 0.0, 0.0, 0.0]  # B is right
    multiple = items["Simple Multiple Response Item"]
    assert multiple["kind"] == "multiple" and sum(a["weight"] > 0 for a in multiple["answers"]) == 3
    right = [str(n) for n, a in enumerate(multiple["answers"]) if a["weight"] > 0]
    assert grade(multiple, {"answer": right[:2]}).parts == (2, 3)
    reasons = [reason for row in built.report for reason in row["skipped"]]
    assert sum("render_hotspot" in r for r in reasons) == 3


def test_images_in_item_bodies_are_packed_and_served(corpus, tmp_path, library):
    from server.content.packs.install import import_pack
    from server.models import Item

    built = build_pack(corpus / QTIWORKS / "packages" / "Aardvark-cannon.zip", tmp_path / "cannon.lantern")
    [item] = [item for unit in built.manifest.units for item in unit.items]
    assert 'src="cannon-dynamicpng.png"' in item["prompt"]
    import_pack(built.path, library, progress=lambda _: None)
    html = Item.select().where(Item.item_id == item["id"]).get().data["prompt_html"]
    assert '<img src="/media/' in html and 'src="cannon-dynamicpng.png"' not in html


def test_an_item_whose_values_come_from_template_processing_is_left_out(corpus):
    path = corpus / QTIWORKS / "items" / "upmc" / "sexercice14.xml"  # its options are variables: Choix0, Choix1…
    reading = read_qti_item(parse_xml_file(path, path.name), path.name)
    assert reading.items == [] and reading.problems[0][1] == (
        "its values are drawn afresh for each learner by template processing, which Lantern does not run")

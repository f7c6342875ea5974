"""Malformed QTI 2.1 (the pyslet `data_imsqtiv2p1/errors` fixtures, and hand-made breakage): each broken
file is skipped with one named reason in the import report, or the build is refused with one sentence;
nothing crashes and nothing is half-imported."""
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli.commands import main
from server.content.packs.build import build_pack
from server.content.packs.xml_safe import parse_xml_file
from server.content.quiz.qti_assessment import assessment_test_problem
from server.errors import PackError

PYSLET = Path("quizzes/pyslet-qti/data_imsqtiv2p1")
GOOD_ITEM = Path("quizzes/qtiworks-qti21/items/ims/choice.xml")
ERRORS = {
    "fixed.xml": "section 'A4' is invisible and not kept together, so shuffling section 'I' would move its "
                 "fixed part 'A40'",
    "required.xml": "section 'I' selects 2 of its parts, but 3 of them are required",
    "select.xml": "section 'I' selects 5 of its 4 parts without replacement, more than it has",
}


def _package(folder: Path, resources: list[tuple[str, str]]) -> Path:
    """A content package folder listing (file, QTI resource type) as its resources."""
    listed = "".join(f'<resource identifier="r{n}" type="{kind}" href="{name}"><file href="{name}"/></resource>'
                     for n, (name, kind) in enumerate(resources))
    (folder / "imsmanifest.xml").write_text(
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><organizations/>'
        f"<resources>{listed}</resources></manifest>", encoding="utf-8")
    return folder


def _with_files(corpus: Path, folder: Path, files: dict[str, Path]) -> Path:
    folder.mkdir()
    for name, source in files.items():
        shutil.copy(corpus / source, folder / name)
    return folder


def test_every_error_fixture_is_found_unsound_and_every_other_corpus_test_sound(corpus):
    found = {}
    for path in sorted((corpus / "quizzes").rglob("*.xml")):
        root = parse_xml_file(path, path.name)
        if root.tag.endswith("assessmentTest"):
            found[path.relative_to(corpus / "quizzes").as_posix()] = assessment_test_problem(root)
    broken = {name: problem for name, problem in found.items() if problem}
    assert broken == {f"pyslet-qti/data_imsqtiv2p1/errors/{name}": f"a broken assessment test: {problem}"
                      for name, problem in ERRORS.items()}
    assert len(found) - len(broken) == 25  # 3 pyslet basic tests, 22 QTIworks ones


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_broken_test_is_named_in_the_report_and_the_items_still_come_in(corpus, tmp_path, library, name):
    from server.content.packs.install import import_pack
    from server.models import Item, PackVersion

    folder = _with_files(corpus, tmp_path / "pkg", {name: PYSLET / "errors" / name, "choice.xml": GOOD_ITEM})
    _package(folder, [(name, "imsqti_test_xmlv2p1"), ("choice.xml", "imsqti_item_xmlv2p1")])
    built = build_pack(folder, tmp_path / "p.lantern", id="broken-test")
    rows = {row["source"]: row for row in built.report}
    assert rows[name]["skipped"] == [f"a broken assessment test: {ERRORS[name]}"]
    assert (rows[name]["items"], rows["choice.xml"]["items"], built.manifest.item_count) == (0, 1, 1)
    import_pack(built.path, library, progress=lambda _: None)
    pack = PackVersion.get((PackVersion.pack_id == "broken-test") & PackVersion.is_active)
    assert [item.kind for item in Item.select().where(Item.pack_version == pack)] == ["single"]


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_package_of_only_a_broken_test_is_refused_and_writes_nothing(corpus, tmp_path, name):
    folder = _package(_with_files(corpus, tmp_path / "pkg", {name: PYSLET / "errors" / name}),
                      [(name, "imsqti_test_xmlv2p1")])
    out = tmp_path / "p.lantern"
    run = CliRunner().invoke(main, ["pack", "build", str(folder), "-o", str(out)])
    assert run.exit_code != 0 and not out.exists() and not list(tmp_path.glob("*.part"))
    assert "this package has nothing Lantern can show" in run.output and ERRORS[name] in run.output
    assert "Traceback" not in run.output


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_test_declared_as_an_item_is_left_out_as_not_a_question(corpus, tmp_path, name):
    folder = _with_files(corpus, tmp_path / "pkg", {name: PYSLET / "errors" / name, "choice.xml": GOOD_ITEM})
    _package(folder, [(name, "imsqti_item_xmlv2p1"), ("choice.xml", "imsqti_item_xmlv2p1")])
    built = build_pack(folder, tmp_path / "p.lantern")
    rows = {row["source"]: row for row in built.report}
    assert rows[name]["skipped"] == ["line 1: question “Broken Assessment Test Case” left out: it is a QTI "
                                     "assessmentTest, not a question (assessmentItem)"]
    assert built.manifest.item_count == 1


def test_an_item_declared_as_a_test_is_named(corpus, tmp_path):
    folder = _with_files(corpus, tmp_path / "pkg", {"choice.xml": GOOD_ITEM, "order.xml": GOOD_ITEM.with_name(
        "order.xml")})
    _package(folder, [("choice.xml", "imsqti_test_xmlv2p1"), ("order.xml", "imsqti_item_xmlv2p1")])
    rows = {row["source"]: row for row in build_pack(folder, tmp_path / "p.lantern").report}
    assert rows["choice.xml"]["skipped"] == ["the manifest calls it an assessment test, but it is a QTI assessmentItem"]


@pytest.mark.parametrize("text, reason", [
    ("<assessmentTest", "this is not well-formed XML"),
    ('<!DOCTYPE t [<!ENTITY x "y">]><assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1">&x;'
     "</assessmentTest>", "the XML declares entities or points outside itself"),
    ('<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="t" title="t"/>',
     "a broken assessment test: it has no test part"),
    ('<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="t" title="t"><testPart '
     'identifier="P"><assessmentSection identifier="S" visible="true"><selection select="many"/>'
     "</assessmentSection></testPart></assessmentTest>",
     "a broken assessment test: section 'S' has a selection whose 'select' is not a whole number"),
])
def test_hand_made_broken_tests_are_left_out_with_one_reason(corpus, tmp_path, text, reason):
    folder = _with_files(corpus, tmp_path / "pkg", {"choice.xml": GOOD_ITEM})
    (folder / "test.xml").write_text(text, encoding="utf-8")
    _package(folder, [("test.xml", "imsqti_test_xmlv2p1"), ("choice.xml", "imsqti_item_xmlv2p1"),
                      ("gone.xml", "imsqti_test_xmlv2p1")])
    rows = {row["source"]: row for row in build_pack(folder, tmp_path / "p.lantern").report}
    [skipped] = rows["test.xml"]["skipped"]
    assert skipped.startswith(reason)
    assert rows["gone.xml"]["skipped"] == ["the assessment test file is missing from the package"]


def test_a_loose_folder_of_broken_tests_is_refused_with_one_sentence(corpus, tmp_path):
    with pytest.raises(PackError) as refused:
        build_pack(corpus / PYSLET / "errors", tmp_path / "errors.lantern")
    assert "no imsmanifest.xml" in str(refused.value) and not (tmp_path / "errors.lantern").exists()


def test_an_item_nested_too_deeply_to_read_is_left_out_not_a_crash(corpus, tmp_path):
    folder = _with_files(corpus, tmp_path / "pkg", {"choice.xml": GOOD_ITEM})
    deep = "<div>" * 3000 + "x" + "</div>" * 3000
    (folder / "deep.xml").write_text(
        f'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="d" title="Deep"><itemBody>'
        f"{deep}</itemBody></assessmentItem>", encoding="utf-8")
    _package(folder, [("deep.xml", "imsqti_item_xmlv2p1"), ("choice.xml", "imsqti_item_xmlv2p1")])
    built = build_pack(folder, tmp_path / "p.lantern")
    rows = {row["source"]: row for row in built.report}
    assert rows["deep.xml"]["skipped"] == ["line 1: a question left out: the XML is nested more than 200 levels deep"]
    assert built.manifest.item_count == 1

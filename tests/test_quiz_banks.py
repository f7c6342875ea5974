"""Moodle quiz banks as teachers have them: many GIFT/Aiken files (.txt too) → one pack, stable ids,
broken questions left out with a warning (or refused with --strict), partial credit shown as partial."""
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli.commands import main
from server.content.packs.build import build_pack
from server.content.packs.install import import_pack
from server.content.quiz.detect import sniff_quiz_format
from server.errors import PackError

FAIR = "lessons/fair-by-design-tot-en/resources"
MOODLE = "quizzes/moodle-qformat-fixtures"
BROKEN = "::Broken one::Which are fruits? {\n~apple\n\n~stone\n}\n\n::Fine::Is the sky blue?{T}\n"


def _manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def _items(manifest: dict) -> list[dict]:
    return [item for unit in manifest["units"] for item in unit["items"]]


@pytest.fixture
def moodle_bank(corpus, tmp_path) -> Path:
    """A teacher's export: the FAIR-by-Design GIFT .txt files and Moodle's own fixtures, in one folder."""
    bank = tmp_path / "Biology bank"
    bank.mkdir()
    for quiz in sorted((corpus / FAIR).glob("*/*/Assessment/*.txt")):
        shutil.copy(quiz, bank / quiz.name)
    for quiz in sorted((corpus / MOODLE).glob("*/*.txt")):
        shutil.copy(quiz, bank / quiz.name)
    (bank / "notes.txt").write_text("Remember to export again in June.\n", encoding="utf-8")
    return bank


@pytest.mark.parametrize("text, expected", [
    ("::T::Is it? {T}", "gift"),
    ("$CATEGORY: $course$/top/Week 1\n\nWhat? {=a ~b}", "gift"),
    ("Who {=me ~you} is it?", "gift"),
    ("What is 2 + 2?\nA) 3\nB. 4\nANSWER: B\n", "aiken"),
    ('Odd <html class="cool"> & text\nA) x\nB) y\nANSWER: A', "aiken"),
    ("Remember to export again in June.\n", None),
    ("// only a comment {with braces}\nplain words\n", None),
])
def test_quiz_format_is_recognised_by_content(text, expected):
    assert sniff_quiz_format(text) == expected


def test_a_folder_of_moodle_exports_becomes_one_pack(moodle_bank, tmp_path, library):
    built = build_pack(moodle_bank, tmp_path / "bank.lantern")
    manifest = _manifest(built.path)
    items = _items(manifest)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == built.manifest.item_count
    # 52 GIFT questions in the FAIR files, Moodle's 9 + 4 GIFT and 2 Aiken; aiken_errors.txt has 1 good one
    assert built.manifest.item_count == 52 + 13 + 2 + 1
    assert manifest["title"] == "Biology bank" and manifest["id"] == "biology-bank"
    assert any(w.startswith("notes.txt: not a GIFT or Aiken file") for w in built.warnings)
    bad = [w for w in built.warnings if w.startswith("aiken_errors.txt line ")]
    assert len(bad) == 5 and "“A question with too few answers” left out" in bad[0]
    skills = {s["id"]: s["title"] for s in manifest["skills"]}
    assert skills["default-for-new-features"] == "Default for New Features"  # from $CATEGORY
    assert {item["skill"] for item in items} <= set(skills)
    result = import_pack(built.path, library, progress=lambda _: None)
    assert result.item_count == built.manifest.item_count


def test_ids_are_qualified_by_file_and_survive_adding_a_file(moodle_bank, tmp_path):
    first = {i["prompt"]: i["id"] for i in _items(_manifest(build_pack(moodle_bank, tmp_path / "a.lantern").path))}
    assert first  # same question title "metadata" in two files: two ids, each named after its file
    ids = list(first.values())
    assert "questions-facilitation.metadata" in ids and "questions-preparing-fair-learning-object.metadata" in ids
    shutil.copy(moodle_bank / "questions-Facilitation.txt", moodle_bank / "000 again.gift")
    again = _items(_manifest(build_pack(moodle_bank, tmp_path / "b.lantern").path))
    kept = {i["id"] for i in again}
    assert set(ids) <= kept and any(i.startswith("000-again.") for i in kept)


def test_a_broken_question_is_left_out_with_file_line_and_name(tmp_path):
    bank = tmp_path / "week"
    bank.mkdir()
    (bank / "week 1.txt").write_text(BROKEN, encoding="utf-8")
    built = build_pack(bank, tmp_path / "week.lantern")
    assert [i["id"] for i in _items(_manifest(built.path))] == ["week-1.fine"]
    problems = [w for w in built.warnings if w.startswith("week 1.txt line")]
    assert problems == ["week 1.txt line 2: question “Broken one” left out: missing closing '}' for the answers "
                        "opened on line 1 (a blank line ends a question)"]


def test_strict_refuses_the_file_and_writes_nothing(tmp_path):
    bank = tmp_path / "week"
    bank.mkdir()
    (bank / "week 1.txt").write_text(BROKEN, encoding="utf-8")
    out = tmp_path / "week.lantern"
    with pytest.raises(PackError, match=r"week 1.txt: line 2: question “Broken one”: .*--strict"):
        build_pack(bank, out, strict=True)
    assert not out.exists()
    run = CliRunner().invoke(main, ["pack", "build", str(bank), "-o", str(out), "--strict"])
    assert run.exit_code != 0 and "Broken one" in run.output and not out.exists()


def _pack_yaml(src: Path, practice: str) -> None:
    (src / "pack.yaml").write_text(
        "format: 1\nid: quiz\nversion: 1.0.0\ntitle: Quiz\nlanguage: en\nlicence: CC0-1.0\n"
        f"units:\n  - id: u\n    title: U\n    lessons: []\n    practice: {practice}\n", encoding="utf-8")


def test_pack_yaml_txt_is_sniffed_and_a_repeated_name_gets_the_file_name(tmp_path):
    (tmp_path / "one.txt").write_text("::Sky::Is the sky blue?{T}\n", encoding="utf-8")
    (tmp_path / "two.txt").write_text("::Sky::Is the sky green?{F}\n", encoding="utf-8")
    _pack_yaml(tmp_path, "[one.txt, two.txt]")
    items = _items(_manifest(build_pack(tmp_path, tmp_path / "q.lantern").path))
    assert [i["id"] for i in items] == ["sky", "two.sky"]


def test_an_explicit_id_in_two_files_names_the_id_and_both_files(tmp_path):
    (tmp_path / "one.gift").write_text("// [id:capital-1]\nCapital of Kenya? {=Nairobi}\n", encoding="utf-8")
    (tmp_path / "two.gift").write_text("// [id:capital-1]\nCapital of Peru? {=Lima}\n", encoding="utf-8")
    _pack_yaml(tmp_path, "[one.gift, two.gift]")
    with pytest.raises(PackError, match=r"'capital-1' is given in two files: one.gift and two.gift"):
        build_pack(tmp_path, tmp_path / "q.lantern")


def test_partial_credit_is_shown_as_partial(demo_app, browser_for):
    from tests.factories import form_fields

    browser = browser_for("amina")
    url = "/practice/fractions/fraction-meaning"
    fields = form_fields(browser.get(f"{url}?item=pw-halves-of-things").get_data(as_text=True))
    posted = browser.post(url, data={**fields, "answer": ["0"]})
    page = browser.get(posted.headers["Location"]).get_data(as_text=True)
    assert "1 of 2 right" in page and "Not quite" not in page


def test_the_import_report_is_printed_stored_and_shown_to_the_admin(demo_app, library, browser_for, tmp_path):
    bank = tmp_path / "Week bank"
    bank.mkdir()
    (bank / "week 1.txt").write_text(BROKEN, encoding="utf-8")
    (bank / "notes.txt").write_text("Export again in June.\n", encoding="utf-8")
    out = tmp_path / "week.lantern"
    run = CliRunner().invoke(main, ["pack", "build", str(bank), "-o", str(out)])
    assert run.exit_code == 0, run.output
    table = run.output.splitlines()
    assert table[0].split() == ["source", "lessons", "items", "left", "out"]
    assert any(line.split()[:4] == ["week", "1.txt", "0", "1"] for line in table), run.output
    assert "question “Broken one” left out" in run.output and "notes.txt" in run.output
    rows = {row["source"]: row for row in _manifest(out)["import_report"]}
    assert rows["week 1.txt"]["items"] == 1 and rows["week 1.txt"]["skipped"][0].startswith("line 2: question")
    assert rows["notes.txt"]["skipped"] == ["not a GIFT or Aiken file; left out"]
    import_pack(out, library, progress=lambda _: None)
    admin = browser_for("admin")
    listing = admin.get("/admin/packs").get_data(as_text=True)
    assert 'href="/admin/packs/week-bank"' in listing
    page = admin.get("/admin/packs/week-bank")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Import report" in html
    assert "week 1.txt" in html and "question “Broken one” left out" in html
    assert admin.get("/admin/packs/no-such-pack").status_code == 404
    assert browser_for("teacher").get("/admin/packs/week-bank").status_code == 403

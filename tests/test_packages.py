"""IMS Common Cartridge and Content Packaging as pack sources: real LMS exports, stubs, hostile XML."""
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli.commands import main
from server.content.packs.build import build_pack
from server.content.packs.install import import_pack
from server.errors import PackError

CC = "packages/imscc-commonsyllabi"
PYSLET = "packages/pyslet-ims-cc-cp"
BAD = "security/qtiworks-bad-content-packages"
XXE = "security/payloadsallthethings-files/XXE Injection/Files"


def _manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def _names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def test_python_for_everybody_cartridge_becomes_units_and_lessons(corpus, tmp_path, library):
    built = build_pack(corpus / CC / "py4e_export.imscc", tmp_path / "py4e.lantern")
    manifest = _manifest(built.path)
    assert manifest["title"] == "Python for Everybody import"
    assert len(built.manifest.lessons) == 189 and len(manifest["units"]) > 10
    lti = [row for row in manifest["import_report"] if row["source"] == "xml/LT_000206.xml"]
    assert lti and "needs the internet" in lti[0]["skipped"][0]
    result = import_pack(built.path, library, progress=lambda _: None)
    assert result.lesson_count == 189


def test_thin_cartridge_with_bom_and_escaped_title(corpus, tmp_path):
    built = build_pack(corpus / CC / "ThinCC_SU21_IM-UH_1011_AD_001_202242408.imscc", tmp_path / "thin.lantern")
    [lesson] = built.manifest.lessons
    assert lesson.title == "i <3 ffmpeg"
    assert built.manifest.title == "Communications Lab, Section 001"


def test_cc_profile_sample_lists_what_it_left_out(corpus, tmp_path):
    built = build_pack(corpus / PYSLET / "data_imscc_profilev1p1" / "sample_1", tmp_path / "cc11.lantern")
    assert [lesson.title for lesson in built.manifest.lessons] == ["Sample HTML File"]
    reasons = {row["source"]: row["skipped"] for row in built.report if row["skipped"]}
    assert reasons["l0002/studymate.qti"][0].startswith("line 1: a question left out: this is not well-formed XML")
    assert "not well-formed XML" in reasons["l0001/welcome.forum"][0]


@pytest.mark.parametrize("name, reason", [
    (f"{CC}/single-page.imscc", "this package has nothing Lantern can show (wiki_content/our-purpose.html: "
                                "the page is empty)"),
    (f"{CC}/offline_content_module_live80.v1321.imscc", "this package has nothing Lantern can show"),
    (f"{PYSLET}/data_imscpv1p2/package_1.zip", "英国.xml: a file (.xml), not a web page"),
    (f"{BAD}/ExternalHref.zip", "the href '../outside.xml' leaves the package; nothing was imported"),
    (f"{BAD}/ZipSlip.zip", "the entry '../etc/passwd' would be written outside the package"),
    (f"{BAD}/BadManifest.zip", "imsmanifest.xml: this is not well-formed XML"),
    (f"{BAD}/NotContentPackage.zip", "no pack.yaml here, no imsmanifest.xml"),
    (f"{BAD}/WebDeveloperTest1-incomplete.zip", "this is not a zip file"),
])
def test_stub_and_broken_packages_are_refused_with_one_sentence(corpus, tmp_path, name, reason):
    out = tmp_path / "x.lantern"
    run = CliRunner().invoke(main, ["pack", "build", str(corpus / name), "-o", str(out)])
    assert run.exit_code != 0 and reason in run.output and run.output.count("\n") == 1, run.output
    assert not out.exists()


def _package(folder: Path, manifest: str) -> Path:
    folder.mkdir()
    (folder / "imsmanifest.xml").write_text(manifest, encoding="utf-8")
    return folder


@pytest.mark.parametrize("payload", ["Classic XXE.xml", "Classic XXE - etc passwd.xml",
                                     "Deny Of Service - Billion Laugh Attack", "XXE OOB Attack (Yunusov, 2013).xml"])
def test_hostile_xml_is_refused_without_expanding_or_fetching(corpus, tmp_path, payload):
    folder = tmp_path / "evil"
    folder.mkdir()
    shutil.copy(corpus / XXE / payload, folder / "imsmanifest.xml")
    with pytest.raises(PackError, match="declares entities or points outside itself|not well-formed XML"):
        build_pack(folder, tmp_path / "x.lantern")
    assert not (tmp_path / "x.lantern").exists()


def test_billion_laughs_in_a_manifest_is_refused(tmp_path):
    laughs = "".join(f'<!ENTITY l{n} "{"&l%d;" % (n - 1) * 10}">' for n in range(1, 10))
    folder = _package(tmp_path / "laughs", f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY l0 "ha">{laughs}]>'
                                           "<manifest><resources/></manifest>")
    with pytest.raises(PackError, match="declares entities"):
        build_pack(folder, tmp_path / "x.lantern")


def test_content_package_with_unicode_names_images_and_macosx_junk(tmp_path, library):
    folder = _package(tmp_path / "cp", """<?xml version="1.0"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">
 <organizations default="o"><organization identifier="o"><title>Cours</title>
  <item identifier="week-1"><title>Semaine 1</title>
   <item identifier="i1" identifierref="r1"><title>Le Royaume-Uni</title></item></item>
 </organization></organizations>
 <resources><resource identifier="r1" type="webcontent" href="%E8%8B%B1%E5%9B%BD/page%201.html">
  <file href="%E8%8B%B1%E5%9B%BD/page%201.html"/></resource></resources>
</manifest>""")
    (folder / "英国").mkdir()
    (folder / "英国" / "page 1.html").write_text(
        '<html><head><title>x</title><script>alert(1)</script></head><body><h1>Londres</h1>\n\n'
        '<p>Une carte :</p>\n\n<img src="img/map.png" alt="Carte"><img src="gone.png" alt="Absente"></body></html>',
        encoding="utf-8")
    (folder / "英国" / "img").mkdir()
    from PIL import Image

    Image.new("RGB", (800, 400), "teal").save(folder / "英国" / "img" / "map.png")
    (folder / "__MACOSX").mkdir()
    (folder / "__MACOSX" / "._page.html").write_bytes(b"\0\5junk")
    archive = tmp_path / "cp.zip"
    shutil.make_archive(str(archive.with_suffix("")), "zip", folder)
    built = build_pack(archive, tmp_path / "cp.lantern")
    [lesson] = built.manifest.lessons
    assert (lesson.title, built.manifest.units[0].title) == ("Le Royaume-Uni", "Semaine 1")
    assert "英国/img/map.png" in _names(built.path)
    assert not any("__MACOSX" in name for name in _names(built.path))
    assert any("broken image link: gone.png" in s for row in built.report for s in row["skipped"])
    import_pack(built.path, library, progress=lambda _: None)
    from server.content.library import lesson_page

    page = lesson_page("cp", lesson.id)
    assert "<script" not in page.lesson.html and "alert" not in page.lesson.html
    assert '<img src="/media/' in page.lesson.html and 'alt="Carte"' in page.lesson.html

"""H5P packages: the common question types become native items with their feedback; other types show
their text and pictures; malformed or unsafe packages are refused with one sentence, nothing installed."""
import io
import json
import re
import zipfile

import pytest

from server.db import database
from server.errors import PackError
from server.models import Answer, Item, Lesson, PackVersion
from server.content.h5p.convert import build_h5p_pack, import_h5p
from server.content.packs.verify import verify_pack
from tests.factories import correct_response, form_fields, wrong_response

LUMI = "packages/lumi-h5p-nodejs-library"
STANDALONE = "packages/h5p-standalone/h5p-test.h5p"


def h5p_file(path, library: str, params: dict, extra: dict | None = None, title: str = "An activity"):
    """Write a small .h5p: h5p.json, content.json, one library with its script."""
    name, version = library.split(" ")
    major, minor = version.split(".")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h5p.json", json.dumps({
            "title": title, "language": "en", "mainLibrary": name, "license": "CC BY",
            "preloadedDependencies": [{"machineName": name, "majorVersion": major, "minorVersion": minor}]}))
        archive.writestr("content/content.json", json.dumps(params))
        archive.writestr(f"{name}-{major}.{minor}/library.json", json.dumps({
            "title": name, "machineName": name, "majorVersion": int(major), "minorVersion": int(minor),
            "patchVersion": 1, "preloadedJs": [{"path": "main.js"}]}))
        archive.writestr(f"{name}-{major}.{minor}/main.js", "H5P = {};")
        for member, body in (extra or {}).items():
            archive.writestr(member, body)
    path.write_bytes(buffer.getvalue())
    return path


MULTI = {"question": "<p>Which are <strong>mammals</strong>?</p>", "answers": [
    {"text": "<div>Goat</div>", "correct": True, "tipsAndFeedback": {"chosenFeedback": "Yes, a goat."}},
    {"text": "<div>Cow</div>", "correct": True},
    {"text": "<div>Crow</div>", "correct": False, "tipsAndFeedback": {"chosenFeedback": "A bird.",
                                                                     "tip": "Think of milk."}}]}
SINGLE_MC = {"question": "<p>2 + 2?</p>", "answers": [{"text": "4", "correct": True}, {"text": "5"}]}
TYPES = {
    "multichoice": ("H5P.MultiChoice 1.16", MULTI),
    "singlechoiceset": ("H5P.SingleChoiceSet 1.11", {"choices": [
        {"subContentId": "aaaa-1111", "question": "<p>Capital of Kenya?</p>", "answers": ["Nairobi", "Mombasa"]},
        {"subContentId": "bbbb-2222", "question": "<p>Capital of Ghana?</p>", "answers": ["Accra", "Kumasi"]}]}),
    "truefalse": ("H5P.TrueFalse 1.8", {"question": "<p>Water boils at 100 °C at sea level.</p>", "correct": "true",
                                        "behaviour": {"feedbackOnCorrect": "Well done.", "feedbackOnWrong": "Check again."}}),
    "blanks": ("H5P.Blanks 1.14", {"text": "<p>Fill in.</p>", "questions": [
        "<p>The sky is *blue/azure:a colour*, the grass is *green*.</p>"]}),
    "dragtext": ("H5P.DragText 1.10", {"taskDescription": "Drag the words.",
                                      "textField": "Cats *purr* and dogs *bark*."}),
    "markthewords": ("H5P.MarkTheWords 1.11", {"taskDescription": "Mark the verbs.",
                                              "textField": "The boy *runs* and the girl *jumps* over the fence."}),
    "questionset": ("H5P.QuestionSet 1.20", {"questions": [
        {"library": "H5P.MultiChoice 1.16", "params": SINGLE_MC, "subContentId": "cccc-3333"},
        {"library": "H5P.TrueFalse 1.8", "params": {"question": "Fish swim.", "correct": "true"},
         "subContentId": "dddd-4444"}]}),
}


@pytest.fixture
def h5p_pack(tmp_path, library):
    folder = tmp_path / "Science quiz"
    folder.mkdir()
    for stem, (lib, params) in TYPES.items():
        h5p_file(folder / f"{stem}.h5p", lib, params, title=stem.title())
    result, conversion = import_h5p(folder, library)
    return result, conversion


def test_question_types_become_native_items_in_one_pack(h5p_pack):
    result, conversion = h5p_pack
    assert result.pack_id == "h5p-science-quiz" and result.lesson_count == 7
    with database.connection_context():
        items = {i.item_id: i.data for i in Item.select()}
    kinds = sorted((k, v["kind"]) for k, v in items.items())
    assert kinds == [
        ("blanks.1", "fill"), ("blanks.2", "fill"), ("dragtext.1", "fill"), ("dragtext.2", "fill"),
        ("markthewords.1", "multiple"), ("multichoice.1", "multiple"),
        ("questionset.cccc-3333", "single"), ("questionset.dddd-4444", "truefalse"),
        ("singlechoiceset.aaaa-1111", "single"), ("singlechoiceset.bbbb-2222", "single"),
        ("truefalse.1", "truefalse")]
    assert items["multichoice.1"]["answers"][0]["feedback"] == "Yes, a goat."
    assert items["multichoice.1"]["hints"] == ["Think of milk."]
    assert "<strong>mammals</strong>" in items["multichoice.1"]["prompt_html"]
    assert [a["text"] for a in items["blanks.1"]["answers"]] == ["blue", "azure"]
    assert items["blanks.1"]["hints"] == ["a colour"] and "…" in items["blanks.1"]["prompt"]
    assert {a["text"] for a in items["dragtext.1"]["answers"]} == {"purr", "bark"}
    marked = {a["text"] for a in items["markthewords.1"]["answers"] if a["weight"] > 0}
    assert marked == {"runs", "jumps"}
    assert items["truefalse.1"]["answers"][1]["feedback"] == "Check again."


@pytest.mark.parametrize("lesson, item_id", [("multichoice", "multichoice.1"), ("truefalse", "truefalse.1"),
                                             ("blanks", "blanks.1"), ("dragtext", "dragtext.2"),
                                             ("markthewords", "markthewords.1"),
                                             ("singlechoiceset", "singlechoiceset.aaaa-1111"),
                                             ("questionset", "questionset.dddd-4444")])
def test_each_type_grades_right_and_wrong_without_javascript(h5p_pack, demo_app, browser_for, lesson, item_id):
    browser = browser_for("amina")
    url = f"/practice/h5p-science-quiz/{lesson}"
    with database.connection_context():
        item = Item.get(Item.item_id == item_id).data
    for respond in (wrong_response, correct_response):
        page = browser.get(f"{url}?item={item_id}").get_data(as_text=True)
        assert page.count("<script") == 1 and "<iframe" not in page
        assert browser.post(url, data={**form_fields(page), **respond(item)}).status_code == 303
    with database.connection_context():
        answers = list(Answer.select().where(Answer.item_id == item_id).order_by(Answer.answered_at))
    assert [a.is_correct for a in answers] == [False, True]


def test_corpus_true_false_imports_and_grades(corpus, library, demo_app, browser_for):
    result, _ = import_h5p(corpus / STANDALONE, library)
    assert result.item_count == 1
    with database.connection_context():
        item = Item.get(Item.pack_version == PackVersion.get(PackVersion.pack_id == result.pack_id))
    assert item.kind == "truefalse" and "<script" not in json.dumps(item.data)
    browser = browser_for("amina")
    url = f"/practice/{result.pack_id}/{item.skill_id}"
    page = browser.get(url).get_data(as_text=True)
    response = browser.post(url, data={**form_fields(page), **correct_response(item.data)})
    assert "Right" in browser.get(response.headers["Location"]).get_data(as_text=True)


def test_other_types_show_text_and_pictures_and_run_nothing(corpus, library, client):
    result, conversion = import_h5p(corpus / LUMI / "valid" / "valid2.h5p", library)
    assert "H5P.GreetingCard" in " ".join(conversion.report()) and result.item_count == 0
    with database.connection_context():
        lesson = Lesson.get()
    html = client.get(f"/packs/{result.pack_id}/lessons/{lesson.lesson_id}").get_data(as_text=True)
    assert "Hello world!" in html and "is interactive" in html and "<iframe" not in html
    assert re.search(r'<img src="/media/[0-9a-f]{64}/earth\.jpg" alt="" loading="lazy"[^>]* width="300"', html)


INVALID = {
    "2-invalid-libraries": "XXX!.json: is not a language file name",
    "broken-content-json": "content/content.json: is not valid JSON",
    "broken-h5p-json": "h5p.json: is not valid JSON",
    "corrupt_archive": "neither a folder nor a zip archive",
    "invalid-h5p-json-schema": "must name its main library",
    "invalid-language-file-json": "fr.json: is not valid JSON",
    "invalid-library-directory-name": "not the library its folder is named after",
    "invalid-library-json": "has no majorVersion",
    "malformed-library-directory": r"library!/: is not a library folder name",
    "missing-preloaded-js": "greetingcard.js' in preloadedJs, which is not in the package",
    "xss-svg": "content/images/xss.svg: carries script",
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_packages_are_refused_with_nothing_installed(corpus, library, name):
    with pytest.raises(PackError, match=INVALID[name]):
        import_h5p(corpus / LUMI / "invalid" / f"{name}.h5p", library)
    with database.connection_context():
        assert PackVersion.select().count() == 0
    assert not any((library.data_dir / "convert").iterdir())


def test_a_package_for_a_newer_core_imports_as_text_only(corpus, library):
    """Lantern never runs a package's libraries, so their core API version cannot make anything run."""
    result, _ = import_h5p(corpus / LUMI / "invalid" / "invalid-core-version.h5p", library)
    with database.connection_context():
        lesson = Lesson.get()
    assert result.item_count == 0 and not any(m["kind"] == "app" for m in lesson.media)


@pytest.mark.parametrize("member, message", [("../escape.txt", r"\.\."), ("/etc/x", "absolute"),
                                             ("content/a\\b.png", "backslash")])
def test_path_tricks_are_refused(tmp_path, library, member, message):
    path = h5p_file(tmp_path / "trick.h5p", *TYPES["truefalse"], extra={member: "x"})
    with pytest.raises(PackError, match=f"trick.h5p is refused: .*{message}"):
        import_h5p(path, library)


def test_svg_loading_another_site_is_refused(tmp_path, library):
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>'
    path = h5p_file(tmp_path / "remote.h5p", *TYPES["truefalse"], extra={"content/images/a.svg": svg})
    with pytest.raises(PackError, match="content/images/a.svg: carries script or loads something"):
        import_h5p(path, library)


def test_build_writes_a_verified_pack(corpus, tmp_path):
    out = tmp_path / "hello.lantern"
    build_h5p_pack(corpus / STANDALONE, out)
    manifest = verify_pack(out).manifest
    assert manifest.id == "h5p-h5p-test" and manifest.item_count == 1
    assert not any(f.path.endswith(".js") for f in manifest.files)  # no library script is ever carried

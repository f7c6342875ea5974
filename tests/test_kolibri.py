"""Kolibri channels from a drive: the corpus channels convert into packs whose pages work without
JavaScript (video with captions, documents, sandboxed apps, exercises as native practice with MathML)."""
import base64
import json
import re
import sqlite3
import zipfile

import pytest

from bench.kolibri_channel import ChannelBuilder, app_zip, put_storage, radio_item, write_channel
from server.db import database
from server.errors import PackError
from server.models import Item, Lesson, PackVersion, Skill
from server.content.kolibri.channel_db import ChannelDB
from server.content.kolibri.convert import convert_channel, work_folder
from server.content.kolibri.drive import choose_channel, find_channels
from server.content.kolibri.importing import build_channel_pack, import_channel
from server.content.packs.verify import verify_pack
from tests.factories import correct_response, form_fields, wrong_response

USB = "packages/kolibri-channel-usb/KOLIBRI_DATA"
USB_CHANNEL = "c96a6036264e508fa22bd58bf4a9d61b"
EXPLORE = "packages/kolibri-explore-plugin-channels/kolibri_explore_plugin/test/channels"
FIXTURES = "packages/kolibri-content-fixtures/kolibri/core/content/fixtures"
VIDEO, APP, EXERCISE = "373657afb52a581aa03dc4e116d5b35b", "29e34f6c22e8527a8112144b2e072e65", \
    "eab32c0f2247515b9f43d30fb7a53176"


def _quiet(_):
    pass


@pytest.fixture
def usb_pack(corpus, library):
    result, conversion = import_channel(corpus / USB, library, progress=_quiet)
    return result, conversion


def test_usb_channel_becomes_a_pack_with_node_ids_as_progress_keys(usb_pack):
    result, conversion = usb_pack
    assert result.pack_id == f"kolibri-{USB_CHANNEL}" and result.lesson_count == 3 and result.item_count == 3
    assert dict(conversion.kinds) == {"html5": 1, "video": 1, "exercise": 1}
    with database.connection_context():
        pack = PackVersion.get(PackVersion.pack_id == result.pack_id)
        assert {l.lesson_id for l in Lesson.select().where(Lesson.pack_version == pack)} == {VIDEO, APP, EXERCISE}
        skill = Skill.get(Skill.pack_version == pack)
        assert skill.skill_id == EXERCISE and skill.mastery == {"rule": "m_of_n", "m": 3, "n": 3}
        assert pack.licence == "CC BY" and "The Carpentries" in pack.authors and pack.language == "en"


def test_video_page_keeps_captions_transcript_and_a_phone_sized_poster(usb_pack, client):
    html = client.get(f"/packs/kolibri-{USB_CHANNEL}/lessons/{VIDEO}").get_data(as_text=True)
    assert "<video controls" in html and 'kind="captions"' in html and 'srclang="en"' in html
    poster = re.search(r'poster="([^"]+)"', html).group(1)
    assert poster.endswith(".webp") or "-640" in poster or "-320" in poster  # a resized copy, not the original
    transcript = client.get(f"/packs/kolibri-{USB_CHANNEL}/lessons/{VIDEO}/transcript/0")
    assert transcript.status_code == 200 and "This is the first subtitle" in transcript.get_data(as_text=True)
    assert "Licence: CC BY" in html and "Blender Foundation" in html


def test_html5_app_runs_only_in_a_sandbox_served_from_its_own_path(usb_pack, client):
    response = client.get(f"/packs/kolibri-{USB_CHANNEL}/lessons/{APP}")
    html = response.get_data(as_text=True)
    assert "needs JavaScript" in html and "Episode 1 of the Software Carpentry" in html
    frame = re.search(r'<iframe class="app" sandbox="allow-scripts" src="([^"]+)"', html)
    assert frame and "frame-src 'self'" in response.headers["Content-Security-Policy"]
    with client.get(frame.group(1)) as app:
        assert b"<html" in app.get_data().lower()
    csp = app.headers["Content-Security-Policy"]
    assert app.status_code == 200 and csp.endswith("sandbox allow-scripts") and "allow-same-origin" not in csp
    assert "connect-src http://localhost/apps/kolibri-" in csp and app.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get(f"/apps/kolibri-{USB_CHANNEL}/../lessons/x").status_code == 404
    assert client.get(f"/apps/kolibri-{USB_CHANNEL}/{APP}/nothing.html").status_code == 404
    # every other page still refuses to be framed
    assert client.get(f"/packs/kolibri-{USB_CHANNEL}").headers["X-Frame-Options"] == "DENY"


def test_exercise_items_are_practised_and_graded_natively(usb_pack, demo_app, browser_for):
    browser = browser_for("amina")
    url = f"/practice/kolibri-{USB_CHANNEL}/{EXERCISE}"
    page = browser.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    fields = form_fields(page.get_data(as_text=True))
    with database.connection_context():
        item = Item.get(Item.item_id == fields["item"]).data
    assert item["kind"] == "single" and len(item["hints"]) == 1 and item["solution"] is None
    result = browser.post(url, data={**fields, **correct_response(item)})
    assert result.status_code == 303
    assert "Right" in browser.get(result.headers["Location"]).get_data(as_text=True)


def _explore_drive(corpus, tmp_path, name="5e7db57c21df4230bad6e8b365754632"):
    tables = json.loads((corpus / EXPLORE / f"{name}.json").read_text())
    contents = {f["id"]: base64.b64decode(f["_content"]) for f in tables["content_localfile"]}
    return write_channel(tmp_path / name, tables, contents)


def test_explore_channels_convert_what_is_usable_and_say_what_is_not(corpus, tmp_path, library, client):
    drive = _explore_drive(corpus, tmp_path)
    result, conversion = import_channel(drive, library, progress=_quiet)
    assert dict(conversion.kinds) == {"video": 1, "document": 1, "audio": 1}
    report = "\n".join(conversion.report())
    assert "HTML5 app is not a zip file" in report and "thumbnail is not a readable image" in report
    with database.connection_context():
        lessons = {l.title: l for l in Lesson.select()}
    assert lessons["c1"].media[0]["url"].endswith("8a0233de8d3fda8822cdfa44a6e528db.mp4")  # the low-res one
    html = client.get(f"/packs/{result.pack_id}/lessons/{lessons['c2c2'].lesson_id}").get_data(as_text=True)
    assert re.search(r'<a href="/media/[0-9a-f]{64}/[0-9a-f]{32}\.epub" download>Download c2c2</a> \(EPUB\+ZIP|'
                     r'<a href="/media/[0-9a-f]{64}/[0-9a-f]{32}\.epub" download>Download c2c2</a> \(EPUB', html)
    assert "5 Bytes" in html and "balbla5" in html


@pytest.mark.parametrize("fixture, schema", [  # Kolibri's fixtures for tables 1-5 all declare minimum "1"
    ("1_content_data", "1"), ("2_content_data", "1"), ("3_content_data", "1"), ("4_content_data", "1"),
    ("5_content_data", "1"), ("unversioned_content_data", "unversioned")])
def test_every_content_schema_reads(corpus, tmp_path, fixture, schema):
    tables = json.loads((corpus / FIXTURES / f"{fixture}.json").read_text())
    drive = write_channel(tmp_path, tables)
    channel = find_channels(drive)[0]
    assert channel.schema == schema
    with ChannelDB(channel.database) as db:
        nodes = list(db.iter_nodes())
        assert len(nodes) == len(tables["content_contentnode"]) and all(n.title for n in nodes)
        assert sum(len(db.files_of(n.id)) for n in nodes) == len(tables["content_file"])
    # no storage files on this "drive": nothing to convert, said plainly, nothing left behind
    with pytest.raises(PackError, match="nothing in this channel is on the drive"):
        convert_channel(channel, tmp_path / "work")
    assert not (tmp_path / "work").exists()


def test_a_partial_channel_converts_what_is_present(tmp_path, library):
    builder = ChannelBuilder("Partial")
    topic = builder.node("a" * 32, builder.id, "topic", "Unit")
    builder.node("b" * 32, topic, "html5", "Present app")
    builder.file("b" * 32, app_zip("Here"), "zip", "html5_zip")
    builder.node("c" * 32, topic, "document", "Absent book")
    gone = builder.file("c" * 32, b"%PDF-1.4 missing", "pdf", "document")
    builder.node("d" * 32, topic, "slideshow", "A slideshow")
    drive = builder.write(tmp_path)
    path = drive / "content" / "storage" / gone[0] / gone[1] / f"{gone}.pdf"
    path.unlink()
    result, conversion = import_channel(drive, library, progress=_quiet)
    assert result.lesson_count == 1
    report = "\n".join(conversion.report())
    assert "Absent book: its document is not on the drive" in report and "1 slideshow" in report


PERSEUS = {
    "radio": radio_item("Which is $\\frac{1}{2}$?", "$0.5$", ["$2$", "$1$"], hints=["Halve it.", "It is $0.5$."]),
    "multi": {"question": {"content": "Pick the even numbers.\n\n[[\u2603 radio 1]]", "widgets": {"radio 1": {
        "type": "radio", "options": {"multipleSelect": True, "choices": [
            {"content": "2", "correct": True}, {"content": "4", "correct": True}, {"content": "5"}]}}}}},
    "numeric": {"question": {"content": "$3 \\times 4 =$ [[\u2603 numeric-input 1]]", "widgets": {
        "numeric-input 1": {"type": "numeric-input", "options": {"answers": [
            {"value": 12, "status": "correct", "maxError": 0}, {"value": 7, "status": "wrong", "message": "Added?"}]}}}},
        "hints": [{"content": "Count in fours."}]},
    "inputnumber": {"question": {"content": "Half of 9? [[\u2603 input-number 1]]", "widgets": {
        "input-number 1": {"type": "input-number", "options": {"value": 4.5, "inexact": True, "maxError": 0.1}}}}},
    "expression": {"question": {"content": "Simplify $2+2$. [[\u2603 expression 1]]", "widgets": {
        "expression 1": {"type": "expression", "options": {"answerForms": [{"value": "4", "considered": "correct"}]}}}}},
    "dropdown": {"question": {"content": "The sun is [[\u2603 dropdown 1]].\n\n![a graph](web+graphie://"
                 "ka-perseus-graphie.s3.amazonaws.com/" + "ab" * 20 + ")", "widgets": {"dropdown 1": {
                     "type": "dropdown", "options": {"choices": [{"content": "hot", "correct": True},
                                                                 {"content": "cold"}]}}}}},
    "graph": {"question": {"content": "Plot it. [[\u2603 interactive-graph 1]]", "widgets": {
        "interactive-graph 1": {"type": "interactive-graph", "options": {}}}}},
    "symbolic": {"question": {"content": "[[\u2603 expression 1]]", "widgets": {
        "expression 1": {"type": "expression", "options": {"answerForms": [{"value": "x+1", "considered": "correct"}]}}}}},
    "badtex": radio_item("What is $\\frac{1}{$?", "1", ["2"]),
}
GRAPHIE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


@pytest.fixture
def perseus_pack(tmp_path, library):
    builder = ChannelBuilder("Perseus widgets")
    topic = builder.node("e" * 32, builder.id, "topic", "Maths")
    builder.exercise("f" * 32, topic, "Widgets", PERSEUS, {"type": "num_correct_in_a_row_5"},
                     images={"ab" * 20 + ".svg": GRAPHIE_SVG})
    builder.exercise("9" * 32, topic, "After", {"r": radio_item("Sure?", "Yes", ["No"])}, {"type": "do_all"})
    builder.tables["content_contentnode_has_prerequisite"].append(
        {"id": 1, "from_contentnode_id": "9" * 32, "to_contentnode_id": "f" * 32})
    return import_channel(builder.write(tmp_path), library, progress=_quiet)


def test_perseus_widgets_map_to_native_items_with_mathml(perseus_pack):
    result, conversion = perseus_pack
    assert dict(conversion.skipped_items) == {"interactive-graph": 1, "expression (answer is not a number)": 1,
                                              "broken TeX": 1}
    with database.connection_context():
        items = {i.item_id.split(".")[1]: i.data for i in Item.select()}
        skills = {s.skill_id: s for s in Skill.select()}
    assert {k: items[k]["kind"] for k in items} == {
        "radio": "single", "multi": "multiple", "numeric": "numeric", "inputnumber": "numeric",
        "expression": "numeric", "dropdown": "fill", "r": "single"}
    assert "<math" in items["radio"]["prompt_html"] and "<mfrac>" in items["radio"]["prompt_html"]
    assert items["radio"]["hints"] == ["Halve it."] and "<math" in items["radio"]["solution_html"]
    assert items["numeric"]["answers"][0] == {"value": 12.0, "tolerance": 0.0, "weight": 1.0, "feedback": None}
    assert items["inputnumber"]["answers"][0]["tolerance"] == 0.1
    assert re.search(r'<img src="/media/[0-9a-f]{64}/' + "ab" * 20 + r'\.svg" alt="a graph"',
                     items["dropdown"]["prompt_html"])
    assert skills["f" * 32].mastery == {"rule": "streak", "count": 5}
    assert skills["9" * 32].mastery == {"rule": "m_of_n", "m": 1, "n": 1}
    assert skills["9" * 32].prerequisites == ["f" * 32]


@pytest.mark.parametrize("key", ["radio", "multi", "numeric", "inputnumber", "expression", "dropdown"])
def test_each_mapped_widget_grades_right_and_wrong(perseus_pack, demo_app, browser_for, key):
    from server.models import Answer

    browser = browser_for("amina")
    url = f"/practice/{perseus_pack[0].pack_id}/{'f' * 32}"
    item_id = f"{'f' * 32}.{key}"
    with database.connection_context():
        item = Item.get(Item.item_id == item_id).data
    for respond, right in ((wrong_response, False), (correct_response, True)):
        page = browser.get(f"{url}?item={item_id}").get_data(as_text=True)
        assert page.count("<script") == 1  # only the site's own optional enhancer, nothing from the item
        if key in ("radio", "numeric", "expression"):
            assert "<math" in page
        response = browser.post(url, data={**form_fields(page), **respond(item)})
        assert response.status_code == 303
    with database.connection_context():
        answers = list(Answer.select().where(Answer.item_id == item_id).order_by(Answer.answered_at))
    assert [a.is_correct for a in answers] == [False, True]


def test_build_writes_a_pack_that_verifies(corpus, tmp_path):
    out = tmp_path / "usb.lantern"
    conversion = build_channel_pack(corpus / USB, out)
    opened = verify_pack(out)
    assert opened.manifest.id == f"kolibri-{USB_CHANNEL}" and conversion.lessons == 3
    assert not (tmp_path / "usb.lantern.work").exists()


# --- bad input: one clear sentence, nothing installed, no work folder left ---------------------------------

def _refused(library, drive, match):
    with pytest.raises(PackError, match=match):
        import_channel(drive, library, progress=_quiet)
    with database.connection_context():
        assert PackVersion.select().count() == 0
    assert not any((library.data_dir / "convert").glob("*")) if (library.data_dir / "convert").exists() else True


def test_damaged_sqlite_is_refused(tmp_path, library):
    folder = tmp_path / "KOLIBRI_DATA" / "content" / "databases"
    folder.mkdir(parents=True)
    (folder / ("1" * 32 + ".sqlite3")).write_bytes(b"SQLite format 3\x00" + b"\x00garbage" * 500)
    _refused(library, tmp_path / "KOLIBRI_DATA", "not a readable SQLite database|damaged")


def test_non_kolibri_sqlite_is_refused(tmp_path, library):
    folder = tmp_path / "KOLIBRI_DATA" / "content" / "databases"
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / ("2" * 32 + ".sqlite3")) as connection:
        connection.execute("CREATE TABLE songs (title)")
    _refused(library, tmp_path / "KOLIBRI_DATA", "not a Kolibri channel database")


def test_unknown_schema_version_is_refused(tmp_path, library):
    builder = ChannelBuilder("Future", schema="7")
    builder.node("3" * 32, builder.id, "html5", "App")
    builder.file("3" * 32, app_zip("x"), "zip", "html5_zip")
    _refused(library, builder.write(tmp_path), "content schema version '7'.*versions 1 to 5")


def test_storage_file_with_wrong_md5_is_refused(tmp_path, library):
    builder = ChannelBuilder("Tampered")
    builder.node("4" * 32, builder.id, "document", "Book")
    digest = builder.file("4" * 32, b"%PDF-1.4 real", "pdf", "document")
    drive = builder.write(tmp_path)
    put_storage(drive, digest, "pdf", b"%PDF-1.4 changed")
    _refused(library, drive, "does not match its MD5 name")


def test_zip_bomb_in_an_html5_app_is_refused(tmp_path, library):
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", "<p>hi</p>")
        archive.writestr("bomb.bin", b"\0" * (40 * 1024**2))
    builder = ChannelBuilder("Bomb")
    builder.node("5" * 32, builder.id, "html5", "Bomb app")
    builder.file("5" * 32, buffer.getvalue(), "zip", "html5_zip")
    _refused(library, builder.write(tmp_path), "bomb.bin.*(compress|ratio)")


def test_several_channels_need_a_choice(corpus, tmp_path):
    first = _explore_drive(corpus, tmp_path)
    second = _explore_drive(corpus, tmp_path, "1af9e59af51f4c27a145433b83e3cea2")
    for db in (second / "content" / "databases").iterdir():
        db.rename(first / "content" / "databases" / db.name)
    with pytest.raises(PackError, match="holds 2 Kolibri channels; choose one with --channel"):
        choose_channel(first, None)
    assert choose_channel(first, "1af9e59af51f4c27a145433b83e3cea2").id == "1af9e59af51f4c27a145433b83e3cea2"


def test_an_interrupted_conversion_resumes_without_copying_again(corpus, tmp_path, library):
    channel = choose_channel(corpus / USB, None)
    work = work_folder(library.data_dir, channel)
    convert_channel(channel, work)
    video = next((work / "files").glob("*.mp4"))
    before = video.stat().st_mtime_ns
    (work / "manifest.json").unlink()  # as if the power went before the end
    (work / "stale.part").write_bytes(b"half a file")
    convert_channel(channel, work)
    assert video.stat().st_mtime_ns == before and not (work / "stale.part").exists()
    assert verify_pack(work).manifest.item_count == 3


def test_usb_page_lists_kolibri_channels_and_imports_one_with_progress(corpus, tmp_path, demo_app, browser_for):
    import shutil
    import time

    root = tmp_path / "media"
    shutil.copytree(corpus / USB, root / "usb0" / "KOLIBRI_DATA")
    demo_app.config["USB_ROOTS"] = [str(root)]
    admin = browser_for("admin")
    html = admin.get("/admin/usb").get_data(as_text=True)
    assert "Corpus sample: The Unix Shell (Kolibri)" in html and "Not installed" in html
    database_path = re.search(r'name="path" value="([^"]+\.sqlite3)"', html).group(1)
    response = admin.post("/admin/usb/import", data={"path": database_path})
    assert response.status_code == 303
    for _ in range(200):
        page = admin.get(response.headers["Location"])
        if "Refresh" not in page.headers:
            break
        time.sleep(0.1)
    text = page.get_data(as_text=True)
    assert "Converted 3 lessons and 3 practice items" in text and "is ready: 3 lessons, 3 practice items" in text


def test_disk_space_is_checked_before_anything_is_written(corpus, tmp_path):
    from server.errors import StorageFull

    channel = choose_channel(corpus / USB, None)
    with pytest.raises(StorageFull):
        convert_channel(channel, tmp_path / "convert" / "work", reserve_bytes=2**62)
    assert not (tmp_path / "convert" / "work").exists()


def test_a_newer_channel_version_keeps_the_same_ids(tmp_path, library):
    ids = []
    for version in (1, 2):
        builder = ChannelBuilder("Versions", version=version)
        topic = builder.node("7" * 32, builder.id, "topic", "Unit")
        builder.exercise("8" * 32, topic, "Practice", {"q1": radio_item("Sure?", "Yes", ["No"])},
                         {"type": "m_of_n", "m": 1, "n": 1})
        result, _ = import_channel(builder.write(tmp_path / f"v{version}"), library, progress=_quiet)
        with database.connection_context():
            pack = PackVersion.get(PackVersion.is_active & (PackVersion.pack_id == result.pack_id))
            ids.append((pack.version, sorted(i.item_id for i in Item.select().where(Item.pack_version == pack))))
    assert ids == [("1.0.0", ["8" * 32 + ".q1"]), ("2.0.0", ["8" * 32 + ".q1"])]

"""Choosing some topics of a Kolibri channel: only their subtrees (and what they require) become the pack."""
import subprocess
import sys
from pathlib import Path

import pytest

from bench.kolibri_channel import ChannelBuilder, app_zip, radio_item
from server.content.kolibri.importing import build_channel_pack, import_channel
from server.content.packs.install import active_version
from server.content.packs.verify import verify_pack
from server.errors import PackError
from server.models import Lesson, PackVersion, Skill

LANTERN = str(Path(sys.executable).parent / "lantern")
MATHS, ALGEBRA, GEOMETRY, READING = "1" * 32, "2" * 32, "3" * 32, "4" * 32
EQUATIONS, VIDEO, SHAPES, BOOK, STORY = "a" * 32, "b" * 32, "c" * 32, "d" * 32, "e" * 32
PRACTICE_1, PRACTICE_2 = "5" * 32, "6" * 32


def _quiet(_):
    pass


@pytest.fixture
def drive(tmp_path) -> Path:
    """Maths › Algebra (an exercise requiring one in Geometry, a video), Maths › Geometry, Reading;
    two topics titled "Practice"."""
    builder = ChannelBuilder("Topics")
    builder.node(MATHS, builder.id, "topic", "Maths")
    builder.node(ALGEBRA, MATHS, "topic", "Algebra")
    builder.exercise(EQUATIONS, ALGEBRA, "Equations", {"q1": radio_item("x+1=2?", "1", ["2"])}, {"type": "do_all"})
    builder.node(VIDEO, ALGEBRA, "video", "Balancing", "A video.")
    builder.file(VIDEO, b"\x00\x00\x00\x18ftypmp42 video", "mp4", "low_res_video")
    builder.node(GEOMETRY, MATHS, "topic", "Geometry")
    builder.exercise(SHAPES, GEOMETRY, "Shapes", {"q2": radio_item("Sides of a square?", "4", ["3"])},
                     {"type": "do_all"})
    builder.node(BOOK, GEOMETRY, "document", "Angles book")
    builder.file(BOOK, b"%PDF-1.4 angles", "pdf", "document")
    builder.tables["content_contentnode_has_prerequisite"].append(
        {"id": 1, "from_contentnode_id": EQUATIONS, "to_contentnode_id": SHAPES})
    builder.node(READING, builder.id, "topic", "Reading")
    builder.node(STORY, READING, "html5", "A story")
    builder.file(STORY, app_zip("Story"), "zip", "html5_zip")
    for topic, parent in ((PRACTICE_1, ALGEBRA), (PRACTICE_2, READING)):
        builder.node(topic, parent, "topic", "Practice")
    return builder.write(tmp_path)


def _lesson_ids(pack_id: str) -> set[str]:
    version = active_version(pack_id)
    return {lesson.lesson_id for lesson in Lesson.select().where(Lesson.pack_version == version)}


def test_a_chosen_topic_brings_its_subtree_and_the_exercises_it_requires(drive, library):
    result, conversion = import_channel(drive, library, progress=_quiet, topics=("algebra",))
    assert _lesson_ids(result.pack_id) == {EQUATIONS, VIDEO, SHAPES}  # not the Geometry book, not Reading
    version = active_version(result.pack_id)
    assert version.title == "Topics: Algebra" and version.version.startswith("1.0.0+topics.")
    skill = Skill.get((Skill.pack_version == version) & (Skill.skill_id == EQUATIONS))
    assert skill.prerequisites == [SHAPES], "the required exercise came along, so the skill is not locked"
    assert "Chosen topics: Algebra" in "\n".join(conversion.report())
    assert "1 they require from elsewhere" in "\n".join(conversion.report())


def test_topics_repeat_and_are_named_by_id_or_title(drive, library):
    result, _ = import_channel(drive, library, progress=_quiet, topics=(GEOMETRY, "Reading"))
    assert _lesson_ids(result.pack_id) == {SHAPES, BOOK, STORY}


def test_another_choice_replaces_the_installed_one_and_keeps_the_node_ids(drive, library):
    first, _ = import_channel(drive, library, progress=_quiet, topics=("Algebra",))
    again, _ = import_channel(drive, library, progress=_quiet, topics=(ALGEBRA,))
    assert again.status == "unchanged"
    other, _ = import_channel(drive, library, progress=_quiet, topics=("Reading",))
    assert other.status == "upgraded" and other.pack_id == first.pack_id
    assert _lesson_ids(other.pack_id) == {STORY}
    whole, _ = import_channel(drive, library, progress=_quiet)
    assert whole.status == "upgraded" and whole.version == "1.0.0"
    assert _lesson_ids(whole.pack_id) == {EQUATIONS, VIDEO, SHAPES, BOOK, STORY}


@pytest.mark.parametrize("topic, message", [
    ("Physics", "has no topic 'Physics'; its topics include: Maths"),
    ("practice", f"2 topics are titled 'practice'; choose one by its id: {PRACTICE_1}, {PRACTICE_2}"),
])
def test_an_unknown_or_ambiguous_topic_is_refused_and_nothing_changes(drive, library, topic, message):
    with pytest.raises(PackError, match=message):
        import_channel(drive, library, progress=_quiet, topics=("Algebra", topic))
    assert PackVersion.select().count() == 0
    assert not list((library.data_dir / "convert").glob("*"))


def test_the_cli_chooses_topics_for_import_and_build(drive, tmp_path):
    data = tmp_path / "data"
    done = subprocess.run([LANTERN, "pack", "import", str(drive), "--topic", "Algebra", "--topic", "Reading",
                           "--data", str(data)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Chosen topics: Algebra, Reading" in done.stdout and "is ready: 4 lessons" in done.stdout
    refused = subprocess.run([LANTERN, "pack", "import", str(drive), "--topic", "Nope", "--data", str(data)],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "has no topic 'Nope'" in refused.stderr + refused.stdout
    out = tmp_path / "algebra.lantern"
    build_channel_pack(drive, out, topics=("Algebra",))
    assert {lesson.id for lesson in verify_pack(out).manifest.lessons} == {EQUATIONS, VIDEO, SHAPES}


def test_topics_are_refused_for_a_pack_that_is_not_a_kolibri_drive(built_packs, tmp_path):
    done = subprocess.run([LANTERN, "pack", "import", str(built_packs["fractions-en"]), "--topic", "Algebra",
                           "--data", str(tmp_path / "data")], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "only a Kolibri drive has topics to choose" in done.stderr


def test_the_usb_page_offers_the_top_topics_and_imports_the_ticked_ones(drive, tmp_path, demo_app, browser_for):
    import re
    import shutil
    import time

    root = tmp_path / "media"
    shutil.copytree(drive, root / "usb0" / "KOLIBRI_DATA")
    demo_app.config["USB_ROOTS"] = [str(root)]
    admin = browser_for("admin")
    html = admin.get("/admin/usb").get_data(as_text=True)
    offered = re.findall(r'name="topic" value="([0-9a-f]{32})"> <bdi>([^<]+)</bdi>', html)
    assert offered == [(MATHS, "Maths"), (READING, "Reading")]
    database_path = re.search(r'name="path" value="([^"]+\.sqlite3)"', html).group(1)
    response = admin.post("/admin/usb/import", data={"path": database_path, "topic": [READING]})
    assert response.status_code == 303
    for _ in range(200):
        page = admin.get(response.headers["Location"])
        if "Refresh" not in page.headers:
            break
        time.sleep(0.1)
    text = page.get_data(as_text=True)
    assert "Chosen topics: Reading" in text and "is ready: 1 lessons" in text
    again = admin.get("/admin/usb").get_data(as_text=True)
    assert "Some of its topics are installed" in again and 'name="topic"' in again, "another choice stays open"

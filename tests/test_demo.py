"""The demo school shows every feature, seen through its pages: a captioned video lesson (a real H.264 video
in the bundled pack content_packs/quarters-en), a project the coach offered, a reviewed hand-in, a learner's question, and a
struggling learner on the coach's overview."""
import re
import struct
from pathlib import Path

import pytest

from server.cli.demo import ensure_demo
from server.cli.demo_activity import ANSWER, FEEDBACK, HAND_IN, PROJECT, QUESTION
from server.db import database
from server.models import Account, Classroom
from server.models.projects import Project
from tests.conftest import Browser


@pytest.fixture
def demo(fresh_app):
    """The real app on a data folder made by `lantern serve --demo`'s own set-up; (app, accounts, class id)."""
    ensure_demo(fresh_app.config)
    with database.connection_context():
        people = {a.username: a for a in Account.select()}
        return fresh_app, people, Classroom.get(Classroom.name == "Class 5").id


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> dict[bytes, bytes]:
    """The MP4 boxes at one level: type -> body."""
    found, at, end = {}, start, len(data) if end is None else end
    while at < end:
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        found[kind] = data[at + 8:at + size]
        at += size
    return found


def _fetch(visitor, url: str) -> tuple[int, str, bytes]:
    """A media file's status, type and bytes (the response is closed: it holds the stored file open)."""
    response = visitor.get(url)
    try:
        return response.status_code, response.mimetype, response.get_data()
    finally:
        response.close()


VIDEO = Path(__file__).resolve().parents[1] / "content_packs" / "quarters-en" / "media" / "quarters.mp4"
CAPTIONS = [line for line in (VIDEO.parent / "quarters.en.vtt").read_text(encoding="utf-8").splitlines()
            if line and not line[0].isdigit() and line != "WEBVTT"]
WIDTH, HEIGHT = 128, 96


def test_the_demo_video_is_a_small_baseline_h264_mp4_of_five_captioned_slides():
    data = VIDEO.read_bytes()
    assert len(CAPTIONS) == 5
    top = _boxes(data)
    assert list(top) == [b"ftyp", b"moov", b"mdat"] and len(data) < 60_000
    trak = _boxes(_boxes(top[b"moov"])[b"trak"])
    stbl = _boxes(_boxes(_boxes(trak[b"mdia"])[b"minf"])[b"stbl"])
    assert struct.unpack(">I", stbl[b"stsz"][8:12])[0] == 5  # five pictures
    assert b"avc1" in stbl[b"stsd"] and b"avcC" in stbl[b"stsd"]
    width, height = struct.unpack(">II", trak[b"tkhd"][-8:])
    assert (width >> 16, height >> 16) == (WIDTH, HEIGHT)
    sps = stbl[b"stsd"][stbl[b"stsd"].index(b"avcC") + 12:]
    assert sps[0] & 0x1F == 7 and sps[1] == 66  # a sequence parameter set, Baseline profile
    offset = struct.unpack(">I", stbl[b"stco"][8:12])[0]
    assert data[offset + 4] & 0x1F == 5  # the first sample starts with an IDR picture, where stco says


def test_the_video_lesson_plays_with_captions_and_a_transcript(demo):
    app, _, _ = demo
    visitor = Browser(app, None)
    html = visitor.get("/packs/quarters-on-film/lessons/watch-quarters").get_data(as_text=True)
    video = re.search(r'<video [^>]*src="([^"]+)"[^>]*>\s*<track kind="captions" src="([^"]+)" srclang="en"', html)
    assert video, html[:3000]
    status, mimetype, data = _fetch(visitor, video.group(1))
    assert status == 200 and mimetype == "video/mp4" and data[4:8] == b"ftyp"
    captions = _fetch(visitor, video.group(2))[2].decode()
    assert captions.startswith("WEBVTT") and all(line in captions for line in CAPTIONS)
    transcript = re.search(r'href="(/packs/quarters-on-film/lessons/watch-quarters/transcript/\d+)"', html)
    assert transcript and CAPTIONS[2] in visitor.get(transcript.group(1)).get_data(as_text=True)


def test_the_coach_sees_a_struggling_learner_a_question_and_a_reviewed_project(demo):
    app, people, class_id = demo
    coach = Browser(app, people["teacher"])
    overview = coach.get(f"/coach/classes/{class_id}?pack=fractions").get_data(as_text=True)
    help_section = overview[overview.index('id="help"'):]
    help_section = help_section[:help_section.index("</ul>")]
    stuck = re.findall(r"<bdi>(\w+)</bdi></a></strong> — (\d+) wrong in a row on Knowing what a fraction means",
                       help_section)
    assert stuck == [("Baraka", "5")]  # only Baraka: the accounts the demo prints start clean
    questions = coach.get(f"/coach/classes/{class_id}/questions").get_data(as_text=True)
    assert QUESTION in questions and ANSWER in questions
    offered = coach.get(f"/coach/classes/{class_id}/projects").get_data(as_text=True)
    assert PROJECT["title"] in offered
    queue = coach.get(f"/coach/classes/{class_id}/hand-ins").get_data(as_text=True)
    assert "Reviewed lately" in queue and "Zawadi" in queue[queue.index("Reviewed lately"):]
    portfolio = coach.get(f"/coach/classes/{class_id}/learners/{people['zawadi'].id}/portfolio")
    assert HAND_IN in portfolio.get_data(as_text=True) and FEEDBACK in portfolio.get_data(as_text=True)


def test_learners_see_the_offered_project_and_the_feedback(demo):
    app, people, _ = demo
    assert PROJECT["title"] in Browser(app, people["amina"]).get("/projects").get_data(as_text=True)
    zawadi = Browser(app, people["zawadi"]).get("/me/portfolio").get_data(as_text=True)
    assert PROJECT["title"] in zawadi and FEEDBACK in zawadi


def test_the_demo_is_made_once(demo):
    app, _, _ = demo
    ensure_demo(app.config)  # `lantern serve --demo` again on the same folder
    with database.connection_context():
        assert Project.select().where(Project.title == PROJECT["title"]).count() == 1

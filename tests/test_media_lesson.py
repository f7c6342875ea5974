"""A lesson with real video (MDN's CC0 sample, its WebVTT captions and poster): captions on by
default, a transcript page, and low-data mode showing the poster instead of the video."""
import shutil

import pytest

from server.db import database
from server.models import Account
from server.content.packs.build import build_pack
from server.content.packs.install import import_pack

MEDIA = "captions/mdn-learning-area-media/html/multimedia-and-embedding"


@pytest.fixture
def video_pack(corpus, tmp_path, library, people):
    src = tmp_path / "video-src"
    (src / "lessons").mkdir(parents=True)
    (src / "media").mkdir()
    shutil.copy(corpus / MEDIA / "tasks/media-embed/media/video.mp4", src / "media" / "video.mp4")
    shutil.copy(corpus / MEDIA / "tasks/media-embed/media/subtitles_en.vtt", src / "media" / "video.en.vtt")
    shutil.copy(corpus / MEDIA / "video-and-audio-content/poster.png", src / "media" / "poster.png")
    (src / "pack.yaml").write_text("format: 1\nid: watch\nversion: 1.0.0\ntitle: Watch and learn\nlanguage: en\n"
                                   "licence: CC0-1.0\nunits:\n  - {id: u, title: Films, lessons: [lessons/film.md]}\n")
    (src / "lessons" / "film.md").write_text(
        "---\nid: film\ntitle: A short film\nmedia:\n  - kind: video\n    file: ../media/video.mp4\n"
        "    poster: ../media/poster.png\n    captions:\n      - {file: ../media/video.en.vtt, language: en, label: English}\n"
        "---\n\nWatch the film, then tell a friend what happened.\n")
    import_pack(build_pack(src, tmp_path / "watch.lantern").path, library, progress=lambda _: None)
    return "/packs/watch/lessons/film"


def test_video_has_captions_on_by_default_and_a_transcript(demo_app, browser_for, video_pack):
    html = browser_for("amina").get(video_pack).get_data(as_text=True)
    assert "<video controls" in html and 'kind="captions"' in html and " default>" in html
    transcript = browser_for("amina").get(video_pack + "/transcript/0").get_data(as_text=True)
    assert "This is the first subtitle." in transcript


def test_low_data_mode_shows_the_poster_until_asked(demo_app, browser_for, video_pack, people):
    with database.connection_context():
        amina = Account.get_by_id(people["amina"].id)
        amina.profile = {**(amina.profile or {}), "low_data": True, "captions": False}
        amina.save()
    browser = browser_for("amina")
    html = browser.get(video_pack).get_data(as_text=True)
    assert "<video" not in html and "Watch the video (uses data)" in html and "poster" in html
    assert "Read the transcript" in html
    played = browser.get(video_pack + "?play=1").get_data(as_text=True)
    assert "<video controls" in played and " default>" not in played  # captions off by her choice

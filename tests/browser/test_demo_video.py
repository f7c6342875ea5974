"""The demo's video lesson really plays in Chromium: the H.264 file the demo draws decodes to the pictures
it should, and its English captions load as the default track."""
import json

import pytest

pytestmark = [pytest.mark.browser]

LESSON = "/packs/quarters-on-film/lessons/watch-quarters"
PLAY = """new Promise(done => {
  const v = document.querySelector('main video'); v.muted = true;
  const fail = setTimeout(() => done('timed out, readyState ' + v.readyState), 20000);
  v.onerror = () => { clearTimeout(fail); done('error ' + (v.error && v.error.code)); };
  v.onseeked = () => { clearTimeout(fail);
    const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
    const g = c.getContext('2d'); g.drawImage(v, 0, 0);
    const px = (x, y) => Array.from(g.getImageData(x, y, 1, 1).data.slice(0, 3));
    const track = v.textTracks[0];
    done(JSON.stringify({size: [v.videoWidth, v.videoHeight], duration: v.duration, upperRight: px(80, 30),
                         upperLeft: px(48, 30), corner: px(2, 2), track: track && [track.language, track.mode],
                         cues: track && track.cues ? track.cues.length : 0})); };
  v.onloadeddata = () => { v.currentTime = 7; };
  v.load(); })"""


def _near(pixel, colour, slack=12) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel, colour))


def test_the_demo_video_lesson_plays_with_english_captions(chromium, live_server):
    page = chromium.page()
    try:
        page.goto(live_server + LESSON)
        result = page.evaluate(PLAY, timeout=30)
        assert result.startswith("{"), result
        seen = json.loads(result)
        assert seen["size"] == [128, 96] and seen["duration"] == 15
        assert _near(seen["upperRight"], (178, 60, 40)) and _near(seen["upperLeft"], (226, 178, 92))  # 1/4 shaded
        assert _near(seen["corner"], (250, 248, 240))
        assert seen["track"] == ["en", "showing"] and seen["cues"] == 5
    finally:
        page.close()

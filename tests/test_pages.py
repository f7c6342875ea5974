"""Every spine page: status, content, headers — against a real SQLite file and real packs."""
import re

import pytest

from server.models import Lesson, PackVersion
from tests.packtools import manifest_of


def _first_lesson_with_media():
    for lesson in Lesson.select().join(PackVersion).where(PackVersion.is_active).order_by(Lesson.position):
        if lesson.media and lesson.media[0]["captions"]:
            return lesson
    raise AssertionError("no bundled lesson has captioned media")


def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "role": "school"}


def test_empty_library_says_what_to_do(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No lessons are installed yet" in response.get_data(as_text=True)


def test_home_lists_packs_in_the_viewers_language_first(demo_app, built_packs):
    client = demo_app.test_client()
    titles = {m["language"]: m["title"] for m in map(manifest_of, built_packs.values())}
    html = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    first_heading_at = html.index("Dans d’autres langues")  # the page is in French too
    assert html.index(titles["fr"]) < first_heading_at < html.index(titles["en"])


def test_pack_page_lists_units_and_lessons(demo_app, built_packs):
    manifest = manifest_of(built_packs["fractions-en"])
    html = demo_app.test_client().get(f"/packs/{manifest['id']}").get_data(as_text=True)
    for unit in manifest["units"]:
        assert unit["title"] in html
        for lesson in unit["lessons"]:
            assert f'/packs/{manifest["id"]}/lessons/{lesson["id"]}"' in html


def test_lesson_page_has_text_navigation_and_captioned_media(demo_app):
    client = demo_app.test_client()
    with demo_app.app_context():
        from server.db import database
        with database.connection_context():
            lesson = _first_lesson_with_media()
            pack_id = lesson.pack_version.pack_id
    response = client.get(f"/packs/{pack_id}/lessons/{lesson.lesson_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<h1>{lesson.title}</h1>" in html.replace("&#39;", "'")
    assert re.search(r'<track kind="captions" src="/media/[0-9a-f]{64}/[^"]+\.vtt" srclang="\w+"', html)
    assert 'rel="next"' in html or 'rel="prev"' in html
    transcript = client.get(f"/packs/{pack_id}/lessons/{lesson.lesson_id}/transcript/0")
    assert transcript.status_code == 200
    assert lesson.media[0]["transcript"][0][1][:20] in transcript.get_data(as_text=True)


def test_lesson_prev_next_follow_pack_order(demo_app, built_packs):
    manifest = manifest_of(built_packs["fractions-en"])
    ids = [l["id"] for u in manifest["units"] for l in u["lessons"]]
    html = demo_app.test_client().get(f"/packs/{manifest['id']}/lessons/{ids[1]}").get_data(as_text=True)
    assert f'rel="prev" href="/packs/{manifest["id"]}/lessons/{ids[0]}"' in html
    assert f'rel="next" href="/packs/{manifest["id"]}/lessons/{ids[2]}"' in html


@pytest.mark.parametrize("url", ["/packs/nope", "/packs/fractions/lessons/nope", "/no/such/page",
                                 "/media/" + "0" * 64 + "/x.png"])
def test_missing_things_get_a_helpful_404(demo_app, url):
    response = demo_app.test_client().get(url)
    assert response.status_code == 404
    assert "Go to the library" in response.get_data(as_text=True)


def test_media_is_immutable_sandboxed_and_supports_range(demo_app):
    with demo_app.app_context():
        from server.db import database
        with database.connection_context():
            url = _first_lesson_with_media().media[0]["url"]
    client = demo_app.test_client()
    with client.get(url) as full, client.get(url, headers={"Range": "bytes=10-19"}) as part:
        assert full.status_code == 200
        assert "immutable" in full.headers["Cache-Control"]
        assert "sandbox" in full.headers["Content-Security-Policy"]
        assert part.status_code == 206
        assert part.data == full.data[10:20]


def test_pages_carry_security_headers_etag_and_gzip(demo_app):
    client = demo_app.test_client()
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("url", ["/", "/static/style.css"])
def test_each_encoding_has_its_own_etag(demo_app, url):
    """A cache holding the gzipped bytes must not be told they are the plain ones (or back)."""
    client = demo_app.test_client()

    def get(url, **headers):
        with client.get(url, headers=headers) as response:  # closes a static file's handle
            response.get_data()
            return response

    gzipped = get(url, **{"Accept-Encoding": "gzip"})
    plain = get(url, **{"Accept-Encoding": "identity"})
    assert gzipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in gzipped.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert gzipped.headers["ETag"] != plain.headers["ETag"]
    for response, encoding in ((gzipped, "gzip"), (plain, "identity")):
        other = plain if response is gzipped else gzipped
        same = get(url, **{"Accept-Encoding": encoding, "If-None-Match": response.headers["ETag"]})
        crossed = get(url, **{"Accept-Encoding": encoding, "If-None-Match": other.headers["ETag"]})
        assert same.status_code == 304 and same.headers["ETag"] == response.headers["ETag"]
        assert crossed.status_code == 200 and crossed.get_data() == response.get_data()


def test_static_css_is_fingerprinted_and_cached(client):
    html = client.get("/").get_data(as_text=True)
    href = re.search(r'href="(/static/style\.css\?v=[0-9a-f]{10})"', html).group(1)
    with client.get(href) as css:
        assert css.status_code == 200
        assert "max-age=31536000" in css.headers["Cache-Control"]

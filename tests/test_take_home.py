"""Take this pack home: one self-contained HTML file a learner keeps on the phone (issue 19, part 8).

The file opens from the phone's files with no server: no script, no address on the server, pictures inlined
and phone-sized, answers behind <details>, in the learner's language, ≤ 60 KB a lesson. The browser checks
(HTML checker, axe on the file:// page) are in tests/browser/test_take_home_pages.py."""
import base64
import io
import re
import shutil
from html.parser import HTMLParser

import pytest
from PIL import Image

from server.content.take_home.build import LESSON_BUDGET

BUDGET = LESSON_BUDGET  # 60 KB a lesson, text and pictures, averaged over the pack


class _Structure(HTMLParser):
    """Where the answers are: every text inside a question's answer block, and whether it sat in <details>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.details, self.outside, self.answers, self.images = [], 0, [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "details":
            self.details += 1
        if tag == "img":
            self.images.append(dict(attrs))
        if tag not in ("img", "br", "hr", "meta", "input", "wbr", "source", "track"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if data.strip() in ("The answer:", "The answer", "Worked solution", "True", "False"):
            if "details" in self.stack:
                self.answers += 1
            elif "summary" not in self.stack:
                self.outside.append(data)


def read(html: str) -> _Structure:
    """The file's structure, as a browser would walk it."""
    parser = _Structure()
    parser.feed(html)
    return parser


def download(browser, pack_id: str):
    """The take-home page, then the file it offers (as the learner's phone would get it)."""
    page = browser.get(f"/packs/{pack_id}/take-home")
    assert page.status_code == 200, page.status_code
    response = browser.get(f"/packs/{pack_id}/take-home/file")
    assert response.status_code == 200
    response.get_data()  # read it all (the test client keeps it), then let the file go
    response.close()
    return page.get_data(as_text=True), response


def assert_stands_alone(html: str, lessons: int) -> _Structure:
    """No script, nothing fetched from the server, answers only in <details>, within the budget."""
    assert "<script" not in html.lower() and not re.search(r"<[^>]*\son[a-z]+=", html), "no script at all"
    assert not re.search(r"""\s(?:src|href|srcset|poster)=["']?/""", html), "a link back to the server"
    assert not re.search(r"<(?:audio|video|iframe|link|object|embed)\b", html)
    structure = read(html)
    assert not structure.outside, f"answers shown outside <details>: {structure.outside[:5]}"
    assert all(img["src"].startswith("data:image/") for img in structure.images)
    assert len(html.encode()) / lessons <= BUDGET, (len(html.encode()), lessons)
    return structure


def test_a_learner_takes_a_pack_home_in_one_file(demo_app, browser_for):
    browser = browser_for("amina")
    assert "/packs/fractions/take-home" in browser.get("/packs/fractions").get_data(as_text=True)
    page, response = download(browser, "fractions")
    html = response.get_data(as_text=True)
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "fractions-en.html" in response.headers["Content-Disposition"]
    assert response.mimetype == "text/html"
    kilobytes = round(len(html.encode()) / 1024)
    assert f"({kilobytes} KB)" in page, "the page states the file's size before the download"
    structure = assert_stands_alone(html, lessons=6)
    assert structure.details >= 6 and structure.answers >= structure.details - 1
    assert "One whole, four parts" in html and "What is a fraction?" in html
    assert html.count('<img src="data:image/svg+xml;base64,') >= 6, "the pack's diagrams travel inside"
    assert "Transcript" in html and "Not in this file: Listen to this lesson" in html
    assert '<html lang="en" dir="ltr">' in html


def test_links_between_lessons_stay_inside_the_file(demo_app, browser_for):
    _, response = download(browser_for("amina"), "fractions")
    html = response.get_data(as_text=True)
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    targets = set(re.findall(r'\shref="#([^"]+)"', html))
    assert targets and targets <= ids, targets - ids
    assert len(re.findall(r'\sid="([^"]+)"', html)) == len(ids), "ids are unique across lessons"


def test_the_file_is_in_the_learners_language_and_content_keeps_its_own(demo_app, browser_for, people):
    from server.db import database

    with database.connection_context():
        people["amina"].profile = {**(people["amina"].profile or {}), "language": "ar"}
        people["amina"].save()
    browser = browser_for("amina")
    page, response = download(browser, "sante-hygiene")
    html = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert '<article lang="fr" dir="ltr">' in html
    assert "إظهار الإجابة" in html and "Show the answer" not in html
    assert "sante-hygiene-ar.html" in response.headers["Content-Disposition"]
    assert_stands_alone(html, lessons=html.count("<article "))


@pytest.mark.parametrize("pack_id", ["fractions", "kusoma-saa", "sante-hygiene"])
def test_every_demo_pack_is_within_sixty_kilobytes_a_lesson(demo_app, browser_for, pack_id):
    from server.content.library import get_pack
    from server.db import database

    with database.connection_context():
        lessons = get_pack(pack_id).lesson_count
    _, response = download(browser_for("teacher"), pack_id)
    html = response.get_data(as_text=True)
    print(f"\n{pack_id}: {len(html.encode())} bytes, {lessons} lessons, "
          f"{len(html.encode()) / lessons:.0f} bytes a lesson")
    assert html.count("<article ") == lessons
    assert_stands_alone(html, lessons)


def test_the_file_is_made_once_per_version_and_language(demo_app, browser_for):
    folder = demo_app.config["DATA_DIR"] / "take-home"
    browser = browser_for("amina")
    first = download(browser, "fractions")[1].get_data()
    made = {p.name: p.stat().st_mtime_ns for p in folder.glob("fractions-*.html")}
    assert len(made) == 1
    assert download(browser, "fractions")[1].get_data() == first
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("fractions-*.html")} == made
    browser.get("/language?lang=fr&next=/")
    assert "fractions-fr.html" in download(browser, "fractions")[1].headers["Content-Disposition"]
    assert len(list(folder.glob("fractions-*.html"))) == 2


def test_a_new_pack_version_replaces_the_old_files(demo_app, browser_for, built_packs, library, tmp_path):
    from tests.packtools import rewrite_pack
    from server.content.packs.install import import_pack

    browser = browser_for("amina")
    download(browser, "fractions")
    old = {p.name for p in (demo_app.config["DATA_DIR"] / "take-home").glob("fractions-*.html")}
    newer = rewrite_pack(built_packs["fractions-en"], tmp_path / "f.lantern",
                         edit_manifest=lambda m: m.update(version="1.0.1"))
    import_pack(newer, library, progress=lambda _: None)
    html = download(browser, "fractions")[1].get_data(as_text=True)
    assert "1.0.1" in html
    now = {p.name for p in (demo_app.config["DATA_DIR"] / "take-home").glob("fractions-*.html")}
    assert len(now) == 1 and not now & old


@pytest.fixture
def photo_pack(tmp_path, library):
    """The fractions pack with large photographs in its first lesson (noise: they do not compress)."""
    from server.cli.demo import bundled_sources
    from server.content.packs.build import build_pack
    from server.content.packs.install import import_pack

    src = shutil.copytree(next(s for s in bundled_sources() if s.name == "fractions-en"), tmp_path / "src")
    lesson = src / "lessons" / "01-what-is-a-fraction.md"
    pictures = ""
    for n in range(8):
        Image.effect_noise((1600, 1200), 60 + n).convert("RGB").save(src / "images" / f"photo-{n}.jpg", quality=90)
        pictures += f"\n\n![A market photograph number {n}](../images/photo-{n}.jpg)\n"
    lesson.write_text(lesson.read_text(encoding="utf-8") + pictures, encoding="utf-8")
    manifest = src / "pack.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.0.2"), "utf-8")
    import_pack(build_pack(src, tmp_path / "photos.lantern").path, library, progress=lambda _: None)
    return "fractions"


def test_photographs_are_phone_sized_and_stop_at_the_budget(demo_app, browser_for, photo_pack):
    html = download(browser_for("amina"), photo_pack)[1].get_data(as_text=True)
    structure = assert_stands_alone(html, lessons=6)
    photos = [img for img in structure.images if img["src"].startswith("data:image/jpeg")]
    assert photos, "some photographs fit the budget"
    for img in photos:
        with Image.open(io.BytesIO(base64.b64decode(img["src"].split(",", 1)[1]))) as decoded:
            assert decoded.width <= 480 and (img["width"], img["height"]) == (str(decoded.width),
                                                                              str(decoded.height))
    assert "Not in this file: A market photograph number 7" in html, "the last ones are named, not inlined"
    cached = list((demo_app.config["DATA_DIR"] / "take-home" / "images").iterdir())
    assert len(cached) >= len(photos)


def test_an_image_that_is_not_a_pack_blob_is_never_inlined(demo_app, tmp_path):
    """A pack may point at /media/<hash> of a learner's upload (same store); the file must not carry it."""
    from server.content.blobs import BlobStore
    from server.content.take_home.inline import Budget, Inliner

    store = BlobStore(tmp_path / "blobs")
    buf = io.BytesIO()
    Image.new("RGB", (50, 50), "red").save(buf, "PNG")
    digest = store.put_bytes(buf.getvalue())
    budget = Budget()
    budget.earn(BUDGET)
    html = f'<p><img src="/media/{digest}/me.png" alt="my face"><a href="/media/{digest}/me.png">x</a></p>'
    trusted = Inliner("p", store, tmp_path / "cache", {digest}, {}, lambda t: f"left out: {t}")
    untrusted = Inliner("p", store, tmp_path / "cache", set(), {}, lambda t: f"left out: {t}")
    assert "data:image/png;base64," in trusted.fragment(html, "l1", budget)
    out = untrusted.fragment(html, "l1", budget)
    assert "data:" not in out and "left out: my face" in out and "<a>x</a>" in out


def test_someone_signed_out_is_sent_to_sign_in(demo_app, browser_for):
    response = browser_for(None).get("/packs/fractions/take-home/file")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert not (demo_app.config["DATA_DIR"] / "take-home").exists()


def test_a_corpus_lesson_pack_is_within_sixty_kilobytes_a_lesson(demo_app, browser_for, corpus, library, tmp_path):
    from server.content.packs.build import build_pack
    from server.content.packs.install import import_pack

    built = build_pack(corpus / "lessons" / "swc-shell-novice-en", tmp_path / "shell.lantern")
    import_pack(built.path, library, progress=lambda _: None)
    pack_id, lessons = built.manifest.id, len(built.manifest.lessons)
    html = download(browser_for("amina"), pack_id)[1].get_data(as_text=True)
    print(f"\n{pack_id}: {len(html.encode())} bytes, {lessons} lessons, {len(html.encode()) / lessons:.0f} a lesson")
    assert html.count("<article ") == lessons
    structure = assert_stands_alone(html, lessons)
    assert structure.images, "the lesson's figures travel inside the file"


def test_a_nearly_full_disk_refuses_the_file_with_one_clear_message(demo_app, browser_for):
    demo_app.config["MIN_FREE_BYTES"] = 10 ** 18
    response = browser_for("amina").get("/packs/fractions/take-home")
    assert response.status_code >= 400 and "storage is nearly full" in response.get_data(as_text=True)
    assert not list((demo_app.config["DATA_DIR"] / "take-home").glob("*.html"))


def test_each_kind_of_question_shows_its_right_answer_behind_show_the_answer(demo_app, browser_for):
    html = download(browser_for("amina"), "fractions")[1].get_data(as_text=True)
    unit_two = html.split('<section class="check">')[2]
    questions = unit_two.split("</details>")
    first, true_false, number = questions[0], questions[1], questions[2]
    assert "Which fraction is <strong>equal</strong> to 1/2?" in first
    answer = first.split("<summary>Show the answer</summary>")[1]
    assert "<li>2/4</li>" in answer and "2/3" not in answer and "Multiply the top and the bottom" in answer
    assert "<p>True or false?</p>" in true_false
    assert "<p><strong>False</strong></p>" in true_false.split("<summary>")[1]
    assert "<li>2</li>" in number.split("<summary>")[1] and "<li>3</li>" not in number
    assert unit_two.count("<details>") <= 8, "a self-check, not the whole bank"

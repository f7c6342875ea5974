"""The take-home file, opened as a phone opens it from its files: a file:// page, no server behind it.

Every demo pack's file (in English and in Arabic) and a corpus lesson pack's: valid HTML by the Nu Html
Checker, no axe-core violation and no sideways scrolling on a 320 px screen in Chromium, no <script>, and
the answers behind <details>. (tests/test_take_home.py checks what the file holds and its budget.)"""
import pytest

from tests.browser.test_axe_every_page import WIDER_THAN_THE_SCREEN, axe_violations
from tests.browser.test_html_valid import run_vnu
from tests.test_take_home import assert_stands_alone, download

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DEMO_PACKS = ("fractions", "kusoma-saa", "sante-hygiene")
CORPUS_LESSON = "lessons/swc-shell-novice-en"


@pytest.fixture
def take_home_files(demo_app, browser_for, people, library, tmp_path, request) -> dict:
    """{(pack, language): file on disk}, as a learner downloaded them (the corpus pack when present)."""
    from server.content.packs.build import build_pack
    from server.content.packs.install import import_pack
    from tests.conftest import CORPUS

    packs = list(DEMO_PACKS)
    if (CORPUS / CORPUS_LESSON).is_dir():
        built = build_pack(CORPUS / CORPUS_LESSON, tmp_path / "lesson.lantern")
        import_pack(built.path, library, progress=lambda _: None)
        packs.append(built.manifest.id)
    else:
        print(f"\ncorpus not found at {CORPUS}: only the demo packs' files are checked")
    files = {}
    browser = browser_for("amina")
    for language in ("en", "ar"):
        browser.get(f"/language?lang={language}&next=/")
        for pack_id in packs:
            html = download(browser, pack_id)[1].get_data(as_text=True)
            assert_stands_alone(html, lessons=html.count("<article "))
            files[(pack_id, language)] = tmp_path / f"{pack_id}-{language}.html"
            files[(pack_id, language)].write_text(html, encoding="utf-8")
    return files


def test_take_home_files_are_valid_html(take_home_files, vnu_command):
    report = run_vnu(vnu_command, take_home_files)
    invalid = {key: errors[:10] for key, errors in report.items() if errors}
    assert not invalid, invalid


def test_take_home_files_pass_axe_as_file_pages_on_a_small_phone(take_home_files, chromium, axe_source):
    tab = chromium.page()
    found, too_wide = [], []
    try:
        tab.emulate_phone(320, 640)
        for key, path in take_home_files.items():
            tab.goto(path.as_uri())
            assert tab.url().startswith("file://")
            assert tab.evaluate("document.querySelectorAll('script').length") == 0
            closed = tab.evaluate("[...document.querySelectorAll('details')].every(d => !d.open)")
            assert closed and tab.evaluate("document.querySelectorAll('details summary').length") > 0, key
            assert tab.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)"), key
            if wide := tab.evaluate(WIDER_THAN_THE_SCREEN):
                too_wide.append((key, wide))
            found += [(key, v["id"], [n["target"] for n in v["nodes"]][:3]) for v in axe_violations(tab, axe_source)]
    finally:
        tab.close()
    assert not found, found
    assert not too_wide, too_wide


@pytest.mark.parametrize("role", ["learner", "coach", "admin"])
def test_the_crawl_reaches_the_take_home_page_and_its_download(site, role):
    """The page (checked with every other page: axe, HTML checker, budgets, tap targets) and the download,
    which the crawl fetches but does not check as a page."""
    from tests.browser.crawl import MAX_PAGES

    pages = site(role)
    assert len(pages) < MAX_PAGES, "the crawl stopped at its limit: some pages were not checked"
    page = next((p for p in pages if p.url == "/packs/fractions/take-home"), None)
    assert page is not None and page.status == 200 and page.is_html
    assert 'href="/packs/fractions/take-home/file"' in page.html and " KB)" in page.html
    download = next(p for p in pages if p.url == "/packs/fractions/take-home/file")
    assert download.status == 200 and not download.is_html and "<details>" in download.html

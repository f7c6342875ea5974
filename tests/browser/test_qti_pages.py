"""Practice pages of imported QTI 2.1 items (order, gap match, hottext, MathML, and the extendedText open
question) as the server renders them: valid HTML, no axe violations with the real stylesheet, and no
sideways scrolling on a 320 px phone. No new route: these are the practice and open-question pages the
crawl already covers, with markup only QTI brings (numbered gaps, marked spans, MathML, a picture from an
`<object>`)."""
import re
import shutil
from pathlib import Path

import pytest

from server import REPO_ROOT
from tests.browser.test_axe_every_page import WIDER_THAN_THE_SCREEN, axe_violations, describe
from tests.browser.test_html_valid import run_vnu

pytestmark = [pytest.mark.slow]

IMS = Path("quizzes/qtiworks-qti21/items/ims")
ITEMS = ("order.xml", "gap_match.xml", "hottext.xml", "math.xml", "extended_text.xml")


def _package(corpus: Path, folder: Path) -> Path:
    (folder / "images").mkdir(parents=True)
    for name in ITEMS + ("images/postcard.png",):
        shutil.copy(corpus / IMS / name, folder / name)
    resources = "".join(f'<resource identifier="r{n}" type="imsqti_item_xmlv2p1" href="{name}"><file href="{name}"/>'
                        "</resource>" for n, name in enumerate(ITEMS))
    (folder / "imsmanifest.xml").write_text(
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><organizations/>'
        f"<resources>{resources}</resources></manifest>", encoding="utf-8")
    return folder


@pytest.fixture
def qti_pages(demo_app, library, corpus, browser_for, tmp_path) -> dict[str, Path]:
    """Each QTI item's page as a learner gets it, saved beside a copy of the stylesheet: {item file: page}."""
    from server.content.packs.build import build_pack
    from server.content.packs.install import import_pack

    built = build_pack(_package(corpus, tmp_path / "src"), tmp_path / "qti.lantern", id="qti-pages")
    import_pack(built.path, library, progress=lambda _: None)
    amina, out = browser_for("amina"), tmp_path / "pages"
    out.mkdir()
    shutil.copy(REPO_ROOT / "static" / "style.css", out / "style.css")
    pages = {}
    for name, item in zip(ITEMS, (item for unit in built.manifest.units for item in unit.items)):
        url = (f"/open/qti-pages/{item['id']}" if item["kind"] == "essay"
               else f"/practice/qti-pages/-?item={item['id']}")
        response = amina.get(url)
        assert response.status_code == 200, url
        page = re.sub(r'href="/static/style\.css[^"]*"', 'href="style.css"', response.get_data(as_text=True))
        pages[name] = out / name.replace(".xml", ".html")
        pages[name].write_text(re.sub(r"<script\b[^>]*></script>", "", page), encoding="utf-8")
    return pages


@pytest.mark.browser
def test_qti_practice_pages_are_valid_accessible_and_fit_a_small_phone(vnu_command, chromium, axe_source,
                                                                       qti_pages):
    errors = {name: found for name, found in run_vnu(vnu_command, qti_pages).items() if found}
    assert not errors, "QTI pages that are not valid HTML:\n" + "\n".join(f"{n}: {e[:5]}" for n, e in errors.items())
    page, found, too_wide = chromium.page(), {}, []
    try:
        page.emulate_phone(320, 640)
        for name, path in qti_pages.items():
            page.goto(path.as_uri())
            if sticking_out := page.evaluate(WIDER_THAN_THE_SCREEN):
                too_wide.append(f"{name}: {sticking_out}")
            for v in axe_violations(page, axe_source):
                places = found.setdefault((v["id"], v["impact"], v["help"]), {})
                for node in v["nodes"]:
                    places.setdefault((node["target"], node["html"], node["why"]), []).append(name)
    finally:
        page.close()
    assert not found, "axe violations on QTI pages:\n" + describe(found)
    assert not too_wide, "QTI pages wider than a 320 px screen:\n" + "\n".join(too_wide)

"""Projects in real Chromium with JavaScript off: a coach offers a project, a learner plans it and
hands in a photo of paper work through the plain file input, the coach answers with the rubric; then
the pages this adds (with work and feedback in them) are checked like every other page: valid HTML,
no axe violations, within their byte budgets."""
import io
import re

import pytest
from PIL import Image

from tests.browser.checks import assert_no_axe_violations, assert_valid_html, assert_within_budgets
from tests.browser.crawl import Visitor
from tests.browser.test_no_javascript import sign_in_without_scripts
from tests.browser.test_page_budgets import stylesheets  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _photo_with_location(path) -> None:
    img = Image.new("RGB", (2000, 1500), (230, 225, 210))
    img.paste((40, 40, 40), (200, 200, 1800, 260))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "S", 2: (6.0, 48.0, 12.5), 3: "E", 4: (39.0, 17.0, 3.2)})
    img.save(path, "JPEG", exif=exif.tobytes())


@pytest.fixture(scope="module")
def project_pages(chromium, live_server, tmp_path_factory):
    """The whole flow with scripts off; returns {role: [Page]} of the pages it adds, as sent."""
    photo = tmp_path_factory.mktemp("photo") / "IMG_2041.jpg"
    _photo_with_location(photo)
    coach = sign_in_without_scripts(chromium, live_server, "teacher", "teacher-demo")
    amina = sign_in_without_scripts(chromium, live_server, "amina", "1234")
    try:
        coach.click("nav a[href='/coach']", navigates=True)
        coach.click("ul.cards a[href^='/coach/classes/']", navigates=True)
        class_url = coach.url()[len(live_server):].split("?")[0]
        coach.click(f"a[href='{class_url}/projects']", navigates=True)
        coach.type_into("#title", "A map of the school garden")
        coach.type_into("#description", "Measure the beds and draw them to scale.")
        coach.type_into("#criteria", "Measured carefully\nClear drawing")
        coach.click(f"form[action='{class_url}/projects'] button[type=submit]", navigates=True)
        assert "A map of the school garden" in coach.html()

        amina.goto(live_server + "/me")
        amina.click("a[href='/projects']", navigates=True)
        garden = re.search(r'<a href="(/projects/[^"]+)"><strong><bdi>A map of the school garden<', amina.html())
        amina.click(f"ul.cards a[href='{garden.group(1)}']", navigates=True)  # the demo offers a project too
        project_url = amina.url()[len(live_server):]
        amina.type_into("#step", "Borrow the tape measure")
        amina.click("form:has(#step) button[type=submit]", navigates=True)
        amina.click("ol form button[value=toggle]", navigates=True)
        assert "✔ <bdi>Borrow the tape measure</bdi>" in amina.html()
        amina.type_into("#text", "My map of the garden <b>beds</b>.")
        amina.command("DOM.setFileInputFiles", {"files": [str(photo)], "nodeId": amina.node("#photo")})
        amina.click("form[enctype='multipart/form-data'] button[type=submit]", navigates=True)
        assert "Sent to your coach" in amina.html() and "My map of the garden &lt;b&gt;beds&lt;/b&gt;." in amina.html()
        image_src = re.search(r'<img src="(/work/[^"]+/file)"', amina.html()).group(1)

        coach.goto(live_server + class_url + "/hand-ins")
        coach.click("td a[href*='/hand-ins/']", navigates=True)
        review_url = coach.url()[len(live_server):]
        coach.click("input[name='level-0'][value='got_it']")
        coach.click("input[name='level-1'][value='getting_there']")
        coach.type_into("#feedback", "Good measuring. Label each bed.")
        coach.click("input[name='finished']")
        coach.click(f"form[action='{review_url}'] button[type=submit]", navigates=True)
        assert "Your feedback was sent." in coach.html()
    finally:
        coach.close()
        amina.close()

    learner, staff = Visitor(live_server, "learner"), Visitor(live_server, "coach")
    learner.sign_in("amina", "1234")
    staff.sign_in("teacher", "teacher-demo")
    with learner.opener.open(learner.base + image_src, timeout=30) as response:  # the bytes, as served
        stored = (response.status, dict(response.headers), response.read())
    learner_id = re.search(r"/learners/([^/\"]+)", staff.fetch(class_url + "?pack=fractions").html).group(1)
    return {"photo": stored,
            "learner": [learner.fetch("/projects"), learner.fetch(project_url), learner.fetch("/me/portfolio")],
            "coach": [staff.fetch(class_url + "/projects"), staff.fetch(class_url + "/hand-ins"),
                      staff.fetch(review_url), staff.fetch(f"{class_url}/learners/{learner_id}/portfolio")]}


def test_the_photo_arrives_re_encoded_without_its_location(project_pages):
    status, headers, data = project_pages["photo"]
    headers = {k.lower(): v for k, v in headers.items()}
    assert status == 200 and headers["content-type"] == "image/jpeg"
    assert "sandbox" in headers["content-security-policy"]
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and max(img.size) == 1280 and len(img.getexif()) == 0 and b"Exif" not in data


def test_feedback_reaches_the_learner_and_the_portfolio(project_pages):
    project, portfolio = project_pages["learner"][1].html, project_pages["learner"][2].html
    assert "Good measuring. Label each bed." in project and "Got it" in project and "Getting there" in project
    assert "A map of the school garden" in portfolio and "Good measuring." in portfolio


def test_the_project_pages_are_valid_accessible_and_small(project_pages, chromium, live_server, axe_source,
                                                          vnu_command, stylesheets, tmp_path):
    pages = [(role, page) for role in ("learner", "coach") for page in project_pages[role]]
    assert all(page.status == 200 for _, page in pages), [(p.url, p.status) for _, p in pages]
    assert_valid_html(pages, vnu_command, tmp_path)
    assert_within_budgets(pages, stylesheets)
    assert_no_axe_violations(chromium, live_server, axe_source, pages)

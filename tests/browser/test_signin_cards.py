"""Printing a class's sign-in cards, in real Chromium on its own live server (resetting PINs would break
the shared crawl's learner): the admin asks for new PINs, the sheet passes axe at 360 px, and it prints
on A4 with the cards, PINs and QR codes, and none of the page around them."""
import base64
import re

import pytest

from tests.browser.conftest import running_live_server
from tests.browser.test_axe_every_page import WIDER_THAN_THE_SCREEN, axe_violations, describe, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_new_pins_print_as_cards_on_a4(chromium, axe_source, tmp_path):
    with running_live_server(tmp_path / "data") as base:
        page = chromium.page()
        try:
            page.emulate_phone(360, 640)
            sign_in(page, base, "admin", "admin-demo")
            page.goto(base + "/admin/classes")
            page.click("h2 + p + ul.cards a", navigates=True)
            assert "/cards" in page.url() and page.evaluate("document.querySelectorAll('.sheet li').length") == 6
            page.click("form[action$='/cards'] button[type=submit]", navigates=True)
            pins = page.evaluate("[...document.querySelectorAll('.sheet .pin')].map(n => n.textContent)")
            assert len(pins) == 6 and all(re.fullmatch(r"\d{4}", pin) for pin in pins)
            assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")  # the QR codes
            found = {}
            for v in axe_violations(page, axe_source):
                found.setdefault((v["id"], v["impact"], v["help"]), {}).update(
                    {(n["target"], n["html"], n["why"]): ["the fresh card sheet"] for n in v["nodes"]})
            assert not found, describe(found)
            assert page.evaluate(WIDER_THAN_THE_SCREEN) is None
            pdf = base64.b64decode(page.command("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                                   "preferCSSPageSize": True})["data"])
            assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # six cards: one A4 sheet, nothing else
        finally:
            page.close()

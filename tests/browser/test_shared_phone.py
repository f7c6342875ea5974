"""A shared phone on the school Wi-Fi, as it really is: a plain-HTTP address that is not loopback (Chromium
maps school.test to the live server), where browsers ignore Clear-Site-Data. After one learner signs out,
Back must not show their page to the next person; and a `next` never takes the phone to another site."""
import time

import pytest

from tests.browser.cdp import Chromium, find_chromium
from tests.browser.conftest import require
from tests.browser.test_axe_every_page import sign_in

pytestmark = [pytest.mark.browser]
HOST = "school.test"


@pytest.fixture(scope="module")
def school_phone():
    """A Chromium that reaches the live server as http://school.test:PORT (not a secure context)."""
    binary = require(find_chromium(), "Chromium (Debian package chromium)")
    browser = Chromium(binary, extra_flags=(f"--host-resolver-rules=MAP {HOST} 127.0.0.1",))
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def base(live_server) -> str:
    return live_server.replace("127.0.0.1", HOST)


def _back(tab) -> None:
    """Press Back, then give the browser time to show whatever it shows (a cached page fires no load)."""
    history = tab.command("Page.getNavigationHistory")
    entry = history["entries"][history["currentIndex"] - 1]["id"]
    tab.command("Page.navigateToHistoryEntry", {"entryId": entry})
    time.sleep(2)


def test_back_after_sign_out_does_not_show_the_previous_learners_page(school_phone, base):
    tab = school_phone.page()
    try:
        assert not tab.evaluate("window.isSecureContext === undefined")
        sign_in(tab, base, "amina", "1234")
        assert tab.evaluate("window.isSecureContext") is False, "the test must run on an insecure origin"
        tab.goto(base + "/profile")
        name = tab.evaluate("document.querySelector('form[action=\"/signout\"] button').textContent")
        assert "Amina" in name and "Amina" in tab.evaluate("document.body.innerText")
        tab.click("form[action='/signout'] button[type=submit]", navigates=True)
        assert tab.url().startswith(base + "/signin")
        _back(tab)
        shown = tab.evaluate("document.body.innerText")

        assert "Amina" not in shown, f"Back showed the signed-out learner's page at {tab.url()}:\n{shown[:300]}"
    finally:
        tab.close()


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%5C/evil.example", "/%0A/x", "/%09%09/evil.example",
                                    "%09//evil.example", "/\\evil.example"])
def test_a_next_never_takes_the_phone_to_another_site(school_phone, base, target):
    tab = school_phone.page()
    try:
        tab.goto(f"{base}/language?lang=en&next={target}")
        assert tab.url().startswith(base + "/"), tab.url()
    finally:
        tab.close()

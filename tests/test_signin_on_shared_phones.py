"""Signing in on a shared phone: poster → class list → your name → a greeting and a PIN field; two
learners with one name look different; the learner's own language, then the school's, then the phone's."""
import re

import pytest

from server.people.symbols import SYMBOLS, signin_tiles


class _Learner:
    def __init__(self, username, display_name, profile=None):
        self.username, self.display_name, self.profile = username, display_name, profile or {}


@pytest.mark.parametrize(("learners", "shown"), [
    ([("juma", "Juma Hassan", {}), ("juma2", "Juma Hassan", {})], [(None, "juma"), (None, "juma2")]),
    ([("juma", "Juma Hassan", {"symbol": "star"}), ("juma2", "juma hassan ", {})], [("★", None), (None, "juma2")]),
    ([("amina", "Amina", {}), ("juma", "Juma", {"symbol": "sun"})], [(None, None), ("☀", None)]),
    ([("amina", "Amina", {"symbol": "no-such"})], [(None, None)]),
])
def test_learners_sharing_a_name_are_told_apart(learners, shown):
    tiles = signin_tiles([_Learner(*row) for row in learners])
    assert [(t.symbol.char if t.symbol else None, t.tell_apart) for t in tiles] == shown


def _add_second_juma(admin_browser, class_id):
    from server.db import database
    from server.models import Account

    posted = admin_browser.post("/admin/accounts", data={"role": "learner", "name": "Juma", "username": "juma2",
                                                         "secret": "8642", "class_id": class_id})
    assert posted.status_code == 303
    with database.connection_context():
        return Account.get(Account.username == "juma2")


def test_admin_gives_a_symbol_and_the_class_list_shows_it(demo_app, browser_for, class_id, people):
    admin = browser_for("admin")
    second = _add_second_juma(admin, class_id)
    names = browser_for(None).get(f"/signin/class/{class_id}").get_data(as_text=True)
    assert "<bdi>Juma</bdi> <span class=\"tell-apart\">(<bdi>juma2</bdi>)</span>" in names
    saved = admin.post(f"/admin/accounts/{second.id}/symbol", data={"symbol": "star"})
    assert saved.status_code == 303
    names = browser_for(None).get(f"/signin/class/{class_id}").get_data(as_text=True)
    assert '<span class="symbol" role="img" aria-label="star">★</span> <bdi>Juma</bdi></a>' in names
    assert "(<bdi>juma</bdi>)" in names  # the other Juma, still without a symbol, shows his username
    bad = admin.post(f"/admin/accounts/{second.id}/symbol", data={"symbol": "<script>"})
    assert bad.status_code == 400 and "choose a symbol" in bad.get_data(as_text=True)
    from server.db import database
    from server.models import Account, AuditEntry
    with database.connection_context():
        assert Account.get_by_id(second.id).profile["symbol"] == "star"
        assert AuditEntry.select().where(AuditEntry.action == "set_symbol").count() == 1


def test_the_pin_page_greets_the_learner_and_asks_only_for_the_pin(demo_app, browser_for, class_id):
    visitor = browser_for(None)
    page = visitor.get("/signin?username=amina").get_data(as_text=True)
    assert "<h1>Hello, <bdi>Amina</bdi></h1>" in page
    pin = re.search(r'<input id="password"[^>]*>', page).group(0)
    for attribute in ('inputmode="numeric"', 'autocomplete="one-time-code"', "autofocus", 'type="password"'):
        assert attribute in pin
    assert '<input type="hidden" name="username" value="amina">' in page
    assert f'href="/signin/class/{class_id}"' in page  # "Not you?" goes back to the names
    wrong = visitor.post("/signin", data={"username": "amina", "password": "9999"})
    assert wrong.status_code == 400
    html = wrong.get_data(as_text=True)
    assert "<bdi>Amina</bdi>" in html and 'aria-describedby="signin-error"' in html
    assert visitor.post("/signin", data={"username": "amina", "password": "1234"}).status_code == 302


def test_staff_names_get_the_plain_form(demo_app, browser_for):
    page = browser_for(None).get("/signin?username=teacher").get_data(as_text=True)
    assert 'autocomplete="current-password"' in page and 'value="teacher"' in page and "Hello" not in page


def test_the_poster_opens_the_class_list(demo_app, browser_for):
    page = browser_for("admin").get("/admin/poster").get_data(as_text=True)
    address = re.search(r'class="address">([^<]+)</p>', page).group(1)
    assert address.startswith("http://") and address.endswith("/signin") and f"QR code for {address}" in page
    assert "Learners: choose your class" in browser_for(None).get("/signin").get_data(as_text=True)


def _html_lang(html):
    return re.search(r'<html lang="([a-z]+)"', html).group(1)


def test_the_footer_switch_works_for_a_learner_with_a_profile_language(demo_app, browser_for, people):
    from server.db import database

    with database.connection_context():
        people["amina"].profile = {**people["amina"].profile, "language": "sw"}
        people["amina"].save()
    amina = browser_for("amina")
    assert _html_lang(amina.get("/me").get_data(as_text=True)) == "sw"
    assert amina.get("/language?lang=fr&next=/me").status_code == 302
    amina.client.delete_cookie("lantern_lang")  # the profile alone carries the choice
    assert _html_lang(amina.get("/me").get_data(as_text=True)) == "fr"
    assert 'value="fr" lang="fr" dir="ltr" selected' in amina.get("/profile").get_data(as_text=True)


def test_the_schools_language_beats_the_phones(app):
    from server.db import database
    from server.models import School

    with database.connection_context():
        School.update(language="sw").execute()
    html = app.test_client().get("/signin", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert _html_lang(html) == "sw"


def test_every_symbol_has_a_distinct_character():
    assert len({char for char, _ in SYMBOLS.values()}) == len(SYMBOLS)

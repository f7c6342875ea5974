"""The admin's first run: setup lands on a checklist whose steps tick themselves from the data, and
sign-in cards (name, class, PIN, the class's QR code) printed for a class, PINs made fresh by a reset."""
import io
import re

from server.content.packs.install import Library, import_pack
from server.db import database
from server.models import Account, AuditEntry, Classroom
from tests.conftest import Browser

STEP_WORDS = {"classes": "Make the classes", "learners": "Add the learners", "cards": "Print the sign-in cards",
              "content": "Install lessons", "backup": "Save a first backup", "poster": "Print the poster"}


def _ticks(html: str) -> dict[str, bool]:
    """Each checklist step on the admin home, and whether it says Done."""
    found = {}
    for key, words in STEP_WORDS.items():
        row = re.search(r'<li class="(done|todo)">.*?' + re.escape(words) + r'</a>.*?</li>', html)
        assert row, f"no checklist step {words!r}"
        found[key] = row.group(1) == "done"
    return found


class _Admin:
    """The first admin, signed in by the setup form, posting forms with the page's CSRF token."""

    def __init__(self, app):
        self.client = app.test_client()
        self.csrf = re.search(r'name="csrf" value="([^"]+)"', self.get("/setup").get_data(as_text=True)).group(1)

    def get(self, url):
        return self.client.get(url)

    def post(self, url, data):
        response = self.client.post(url, data={"csrf": self.csrf, **data})
        page = self.client.get("/admin/classes").get_data(as_text=True)  # the session's token, once signed in
        self.csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        return response


def test_setup_lands_on_the_checklist_and_each_step_ticks_itself(fresh_app, built_packs):
    client = _Admin(fresh_app)
    form = {"school_name": "Shule ya Msingi Tumaini", "language": "en", "username": "head",
            "display_name": "Head", "password": "a-long-password", "password2": "a-long-password"}
    done = client.post("/setup", form)
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin")
    home = client.get("/admin").get_data(as_text=True)
    assert "6 steps left before learners can start" in home
    assert _ticks(home) == dict.fromkeys(STEP_WORDS, False)
    assert 'href="/admin/usb#save"' in home and 'href="/admin/poster"' in home

    client.post("/admin/classes", {"name": "Darasa la 4"})
    with database.connection_context():
        class_id = Classroom.get(Classroom.name == "Darasa la 4").id
    client.post("/admin/accounts", {"role": "learner", "name": "Rehema", "username": "rehema",
                                    "secret": "4829", "class_id": class_id})
    assert client.get("/admin/poster").status_code == 200
    with database.connection_context():
        import_pack(built_packs["fractions-en"], Library(fresh_app.config["DATA_DIR"], fresh_app.config["MIN_FREE_BYTES"]))
    ticks = _ticks(client.get("/admin").get_data(as_text=True))
    assert ticks == {"classes": True, "learners": True, "cards": False, "content": True, "backup": False,
                     "poster": True}
    assert client.get(f"/admin/classes/{class_id}/cards").status_code == 200
    (fresh_app.config["DATA_DIR"] / "last_backup.json").write_text('{"at": "20261206-040000"}')
    home = client.get("/admin").get_data(as_text=True)
    assert "All the first steps are done" in home and "steps left" not in home


def test_opening_a_printable_page_is_logged_once(demo_app, browser_for, class_id):
    admin = browser_for("admin")
    for _ in range(3):
        admin.get("/admin/poster")
        admin.get(f"/admin/classes/{class_id}/cards")
    with database.connection_context():
        actions = [e.action for e in AuditEntry.select()]
    assert sorted(actions) == ["print_cards", "print_poster"]


def test_the_card_sheet_names_every_learner_with_the_class_qr_code_and_no_pin(demo_app, browser_for, class_id):
    html = browser_for("admin").get(f"/admin/classes/{class_id}/cards").get_data(as_text=True)
    names = re.findall(r'<li><img src="/admin/classes/([^/]+)/qr.svg"[^>]*>\s*<p><strong><bdi translate="no">([^<]+)</bdi>', html)
    assert sorted(n for _, n in names) == ["Amina", "Baraka", "Jean", "Juma", "Neema", "Zawadi"]
    assert {c for c, _ in names} == {class_id}
    assert 'class="pin"' not in html and html.count('class="blank"') == 6  # a box to write each PIN in
    assert "give everyone in this class a new PIN" in html
    qr = browser_for("admin").get(f"/admin/classes/{class_id}/qr.svg")
    assert qr.status_code == 200 and qr.headers["Content-Type"] == "image/svg+xml"
    assert f"/signin/class/{class_id}" in qr.get_data(as_text=True)  # it opens the class's list of names


def test_resetting_a_class_prints_fresh_pins_that_work_and_signs_everyone_out(demo_app, browser_for, people,
                                                                              class_id):
    amina = Browser(demo_app, people["amina"])
    assert amina.get("/me").status_code == 200
    page = browser_for("admin").post(f"/admin/classes/{class_id}/cards")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "6 learners have a new PIN" in html
    cards = dict(re.findall(r'<bdi translate="no">([^<]+)</bdi></strong>.*?class="pin" translate="no">(\d+)<',
                            html, re.S))
    assert sorted(cards) == ["Amina", "Baraka", "Jean", "Juma", "Neema", "Zawadi"]
    assert amina.get("/me").status_code == 302  # signed out everywhere
    anonymous = Browser(demo_app, None)
    assert anonymous.post("/signin", data={"username": "amina", "password": "1234"}).status_code == 400
    assert anonymous.post("/signin", data={"username": "amina", "password": cards["Amina"]}).status_code == 302
    with database.connection_context():
        entries = [(e.action, e.detail) for e in AuditEntry.select()]
    assert entries == [("reset_class_pins", {"class_id": class_id, "count": 6})]  # no PIN in the log
    assert "gave every learner in a class a new PIN" in browser_for("admin").get("/admin/audit").get_data(as_text=True)


def test_an_empty_class_has_no_pins_to_reset_and_nothing_changes(demo_app, browser_for, people):
    admin = browser_for("admin")
    admin.post("/admin/classes", data={"name": "Class 6"})
    with database.connection_context():
        empty = Classroom.get(Classroom.name == "Class 6").id
        before = {a.id: a.password_hash for a in Account.select()}
    response = admin.post(f"/admin/classes/{empty}/cards")
    assert response.status_code == 400 and "There are no learners in Class 6 yet." in response.get_data(as_text=True)
    with database.connection_context():
        assert {a.id: a.password_hash for a in Account.select()} == before
    assert admin.post("/admin/classes/no-such-class/cards").status_code == 404


def test_an_import_shows_made_up_pins_on_cards_and_ticks_the_cards_step(demo_app, browser_for, class_id):
    admin = browser_for("admin")
    data = b"name,pin,class\nRehema,,Class 5\nHalima,4829,Class 5\n"
    html = admin.post("/admin/import", data={"file": (io.BytesIO(data), "register.csv"), "class_id": ""},
                      content_type="multipart/form-data").get_data(as_text=True)
    card = re.search(r'<ul class="sheet">(.*?)</ul>', html, re.S).group(1)
    assert "Rehema" in card and "Halima" not in card and re.search(r'class="pin" translate="no">\d{4}<', card)
    assert f"/admin/classes/{class_id}/qr.svg" in card
    assert "<table>\n<caption id=\"made-caption\">" not in html
    assert _ticks(admin.get("/admin").get_data(as_text=True))["cards"]

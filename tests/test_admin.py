"""The admin's tasks over real HTTP: classes, accounts one by one and from a spreadsheet (all rows
or none), PIN resets, moving a learner, and the audit log that records each of them."""
import io
import re
import uuid

import pytest

from server.db import database
from server.models import Account, AuditEntry, Classroom, CoachClass, School
from tests.conftest import Browser


def _count(model, *where):
    with database.connection_context():
        query = model.select()
        for condition in where:
            query = query.where(condition)
        return query.count()


def _class_id(name="Class 5"):
    with database.connection_context():
        return Classroom.get(Classroom.name == name).id


def _upload(browser, data: bytes, filename="register.csv", class_id=""):
    return browser.post("/admin/import", data={"file": (io.BytesIO(data), filename), "class_id": class_id},
                        content_type="multipart/form-data")


def _audit_actions():
    with database.connection_context():
        return [(e.action, e.detail) for e in AuditEntry.select().order_by(AuditEntry.id)]


@pytest.fixture
def admin(demo_app, browser_for):
    return browser_for("admin")


def test_create_a_class_and_refuse_a_duplicate_name(admin):
    response = admin.post("/admin/classes", data={"name": "  Class   6 "})
    assert response.status_code == 303
    assert "Class created: Class 6" in admin.get(response.headers["Location"]).get_data(as_text=True)
    again = admin.post("/admin/classes", data={"name": "class 6"})
    assert again.status_code == 400 and "There is already a class called “class 6”" in again.get_data(as_text=True)
    assert _count(Classroom, Classroom.name == "Class 6") == 1
    assert [a for a, _ in _audit_actions()] == ["create_class"]


def test_create_a_learner_and_a_coach_one_by_one(admin, demo_app):
    class5 = _class_id()
    learner = admin.post("/admin/accounts", data={"role": "learner", "name": "Halima", "username": "halima",
                                                  "secret": "4821", "class_id": class5})
    assert learner.status_code == 303
    coach = admin.post("/admin/accounts", data={"role": "coach", "name": "Mr Otieno", "username": "otieno",
                                                "secret": "long-enough", "class_id": class5})
    assert coach.status_code == 303
    with database.connection_context():
        halima = Account.get(Account.username == "halima")
        otieno = Account.get(Account.username == "otieno")
        assert halima.classroom_id == class5 and halima.role == "learner"
        assert CoachClass.get(CoachClass.coach == otieno).classroom_id == class5
    assert Browser(demo_app, None).post("/signin", data={"username": "halima", "password": "4821"}).status_code == 302
    assert [a for a, _ in _audit_actions()] == ["create_account", "create_account"]
    html = admin.get(f"/admin/accounts?class={class5}").get_data(as_text=True)
    assert '>Halima</a></th><td translate="no">halima</td><td>learner</td><td translate="no">Class 5</td>' in html


@pytest.mark.parametrize("form, field, message", [
    ({"role": "learner", "name": "X", "username": "xx", "secret": "12", "class_id": "CLASS"}, "password", "PIN has 4 to 12 digits"),
    ({"role": "learner", "name": "X", "username": "amina", "secret": "4821", "class_id": "CLASS"}, "username", "is taken"),
    ({"role": "learner", "name": "X", "username": "xx", "secret": "1234", "class_id": ""}, "class_id", "Choose the learner"),
    ({"role": "admin", "name": "X", "username": "xx", "secret": "long-enough"}, "role", "Choose learner or coach"),
    ({"role": "coach", "name": "X", "username": "xx", "secret": "short"}, "password", "at least 8 characters"),
])
def test_bad_accounts_are_refused_next_to_the_field(admin, form, field, message):
    form = {k: (_class_id() if v == "CLASS" else v) for k, v in form.items()}
    response = admin.post("/admin/accounts", data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    if field:
        assert f'id="{field}-error" role="alert"' in html and f'aria-describedby="{field}-error"' in html
    assert _count(Account, Account.username == "xx") == 0 and _audit_actions() == []


def test_csv_import_with_bom_makes_usernames_and_pins_and_everyone_can_sign_in(admin, demo_app):
    admin.post("/admin/classes", data={"name": "Class 6"})
    data = ("name,username,pin,class,role\nJuma Hassan,,,Class 6,\nJuma Hassan,,0042,class 6,\n"
            "Mr Otieno,otieno,long-password,Class 6,coach\n").encode("utf-8-sig")
    response = _upload(admin, data)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # the page shows PINs
    html = response.get_data(as_text=True)
    assert "Imported 3 accounts from register.csv." in html
    made_up = re.search(r'>Juma Hassan</bdi></strong> <span class="meta" translate="no">juma\.hassan</span><br>Class: '
                        r'<bdi translate="no">Class 6</bdi><br>PIN: <strong class="pin" translate="no">(\d{4})</strong>',
                        html).group(1)  # on a sign-in card
    assert '<li><bdi translate="no">Juma Hassan</bdi> (<bdi translate="no">juma.hassan2</bdi>)</li>' in html  # PIN from the file
    assert "has the same name as row 2; they are told apart by username (juma.hassan2)" in html
    with database.connection_context():
        class6 = Classroom.get(Classroom.name == "Class 6")
        assert {a.username for a in Account.select().where(Account.classroom == class6)} == {"juma.hassan", "juma.hassan2"}
        assert CoachClass.select().join(Account).where(Account.username == "otieno").get().classroom_id == class6.id
    for username, pin in (("juma.hassan", made_up), ("juma.hassan2", "0042")):
        assert Browser(demo_app, None).post("/signin", data={"username": username, "password": pin}).status_code == 302
    imported = [d for a, d in _audit_actions() if a == "import_accounts"]
    assert imported == [{"file": "register.csv", "count": 3, "usernames": ["juma.hassan", "juma.hassan2", "otieno"],
                         "cards": 1}]


def test_csv_import_reads_latin1_with_semicolons_and_a_class_for_the_whole_file(admin):
    data = "Nom;PIN\r\nZéphyrine Ndayisaba;2691\r\nAndré;1470\r\n".encode("latin-1")
    response = _upload(admin, data, "registre.csv", class_id=_class_id())
    assert response.status_code == 200, response.get_data(as_text=True)
    with database.connection_context():
        names = {a.username: a.display_name for a in Account.select().where(Account.username.in_(
            ["zephyrine.ndayisaba", "andre"]))}
    assert names == {"zephyrine.ndayisaba": "Zéphyrine Ndayisaba", "andre": "André"}


def test_csv_import_with_any_bad_row_imports_nothing_and_says_which_rows(admin):
    before = _count(Account)
    data = ("name,username,pin,class\n"
            "Rehema,rehema,4829,Class 5\n"     # fine
            "Rehema Two,rehema,2345,Class 5\n"  # duplicate username in the file
            "Baraka B,baraka,3456,Class 5\n"    # already on the server
            "Said,said,12,Class 5\n"            # PIN too short
            "=HYPERLINK(\"http://x\"),evil,4567,Class 5\n"  # a formula
            "Tumaini,tumaini,5678,Class 9\n").encode("latin-1")  # no such class
    response = _upload(admin, data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing was imported." in html
    problems = dict(re.findall(r'<tr><th scope="row">(\d+)</th><td><span class="bad">.*?Problem:</span> ([^<]+)</td>', html))
    assert set(problems) == {"3", "4", "5", "6", "7"}
    assert "already used by row 2" in problems["3"]
    assert "already used by an account already on this server" in problems["4"]
    assert "dropped a leading 0" in problems["5"]
    assert "formula" in problems["6"]
    assert "no class called “Class 9”" in problems["7"]
    assert _count(Account) == before and _audit_actions() == []


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."), (b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV text file"),
    (b"username,pin\namina2,1234\n", "The first row must name the columns"),
])
def test_unreadable_uploads_say_why(admin, data, message):
    response = _upload(admin, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and "Nothing was imported." in html
    assert 'enctype="multipart/form-data"' in html  # the form is right there to try again


def test_reset_pin_signs_the_learner_out_and_only_the_new_pin_works(admin, demo_app, people):
    juma = Browser(demo_app, people["juma"])
    assert juma.get("/me").status_code == 200
    page = admin.post(f"/admin/accounts/{people['juma'].id}/pin", data={"pin": ""})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    new_pin = re.search(r"New PIN for <bdi>Juma</bdi>: <strong>(\d{4})</strong>", page.get_data(as_text=True)).group(1)
    assert juma.get("/me").status_code == 302  # signed out everywhere
    assert Browser(demo_app, None).post("/signin", data={"username": "juma", "password": "2345"}).status_code == 400
    assert Browser(demo_app, None).post("/signin", data={"username": "juma", "password": new_pin}).status_code == 302
    chosen = admin.post(f"/admin/accounts/{people['juma'].id}/pin", data={"pin": "24680"})
    assert "New PIN for <bdi>Juma</bdi>: <strong>24680</strong>" in chosen.get_data(as_text=True)
    bad = admin.post(f"/admin/accounts/{people['juma'].id}/pin", data={"pin": "12"})
    assert bad.status_code == 400 and "A PIN has 4 to 12 digits" in bad.get_data(as_text=True)
    coach = admin.post(f"/admin/accounts/{people['teacher'].id}/pin", data={"pin": "1234"})
    assert coach.status_code == 400 and "Only learners have PINs" in coach.get_data(as_text=True)
    actions = _audit_actions()
    assert [a for a, _ in actions] == ["reset_pin", "reset_pin"]
    assert all(new_pin not in str(d) and "24680" not in str(d) for _, d in actions)  # no PIN in the log


def test_move_a_learner_to_another_class(admin, demo_app, people):
    admin.post("/admin/classes", data={"name": "Class 6"})
    class6 = _class_id("Class 6")
    response = admin.post(f"/admin/accounts/{people['neema'].id}/move", data={"class_id": class6})
    assert response.status_code == 303
    assert "Moved." in admin.get(response.headers["Location"]).get_data(as_text=True)
    with database.connection_context():
        neema = Account.get_by_id(people["neema"].id)
    assert neema.classroom_id == class6 and neema.version == people["neema"].version + 1
    overview = admin.get(f"/coach/classes/{class6}").get_data(as_text=True)
    assert ">Neema</a></th>" in overview
    again = admin.post(f"/admin/accounts/{people['neema'].id}/move", data={"class_id": class6})
    assert again.status_code == 400 and "already in Class 6" in again.get_data(as_text=True)
    assert _audit_actions()[-1][0] == "move_learner"


def test_every_admin_action_is_in_the_audit_log_with_who_and_what(admin, people):
    admin.post("/admin/classes", data={"name": "Class 6"})
    admin.post("/admin/accounts", data={"role": "learner", "name": "Halima", "username": "halima", "secret": "4821",
                                        "class_id": _class_id("Class 6")})
    admin.post(f"/admin/accounts/{people['amina'].id}/pin", data={"pin": "5825"})
    admin.post(f"/admin/accounts/{people['amina'].id}/move", data={"class_id": _class_id("Class 6")})
    _upload(admin, b"name,pin,class\nRehema,4829,Class 6\n")
    html = admin.get("/admin/audit").get_data(as_text=True)
    rows = [(who, what, re.sub(r"<[^>]+>", "", detail)) for who, what, detail in re.findall(
        r'<tr><th scope="row"><time[^>]*>[^<]+</time></th><td translate="no">([^<]+)</td><td>([^<]+)</td><td>(.*?)</td></tr>',
        html)]
    assert rows == [
        ("Head teacher", "imported accounts from a file", "file: register.csv; count: 1; usernames: rehema"),
        ("Head teacher", "moved a learner to another class", "username: amina; from class: Class 5; to class: Class 6"),
        ("Head teacher", "reset a PIN", "username: amina"),
        ("Head teacher", "created an account", "username: halima; role: learner; class: Class 6"),
        ("Head teacher", "created a class", "class: Class 6; name: Class 6"),
    ]
    home = admin.get("/admin").get_data(as_text=True)
    assert '<bdi translate="no">Head teacher</bdi> imported accounts from a file' in home and "2 classes" in home


def test_add_a_coach_to_a_class_and_take_them_off_it(admin, demo_app, people, browser_for):
    admin.post("/admin/classes", data={"name": "Class 6"})
    class6, teacher = _class_id("Class 6"), people["teacher"]
    coach = browser_for("teacher")
    assert coach.get(f"/coach/classes/{class6}").status_code == 404
    page = admin.get(f"/admin/accounts/{teacher.id}").get_data(as_text=True)
    assert "Classes this coach teaches" in page and "Class 5" in page
    added = admin.post(f"/admin/accounts/{teacher.id}/classes", data={"class_id": class6, "teach": "1"})
    assert added.status_code == 303
    assert coach.get(f"/coach/classes/{class6}").status_code == 200  # at once, no new sign-in
    again = admin.post(f"/admin/accounts/{teacher.id}/classes", data={"class_id": class6, "teach": "1"})
    assert again.status_code == 400 and "already teaches Class 6" in again.get_data(as_text=True)
    # A learner is moved, not added; a class of another school or none is refused.
    for who, form in ((people["amina"].id, {"class_id": class6, "teach": "1"}),
                      (teacher.id, {"class_id": "no-such-class", "teach": "1"}), (teacher.id, {"teach": "1"})):
        assert admin.post(f"/admin/accounts/{who}/classes", data=form).status_code in (400, 404)
    removed = admin.post(f"/admin/accounts/{teacher.id}/classes", data={"class_id": class6, "teach": "0"})
    assert removed.status_code == 303
    assert coach.get(f"/coach/classes/{class6}").status_code == 404
    assert _count(CoachClass, CoachClass.coach == teacher.id) == 1
    assert [a for a, _ in _audit_actions()] == ["create_class", "add_coach", "remove_coach"]
    log = admin.get("/admin/audit").get_data(as_text=True)
    assert "added a coach to a class" in log and "took a coach off a class" in log and 'username: <bdi translate="no">teacher</bdi>' in log


def test_an_admin_only_reaches_their_own_school(admin, people):
    with database.connection_context():
        other = School.create(id=str(uuid.uuid4()), name="Another school")
        elsewhere = Classroom.create(id=str(uuid.uuid4()), school=other, name="Far class")
        stranger = Account.create(id=str(uuid.uuid4()), school=other, username="stranger", display_name="Stranger",
                                  role="learner", password_hash="x", classroom=elsewhere)
    assert admin.get(f"/admin/accounts/{stranger.id}").status_code == 404
    assert admin.post(f"/admin/accounts/{stranger.id}/pin", data={"pin": "1234"}).status_code == 404
    assert admin.post(f"/admin/accounts/{people['amina'].id}/move", data={"class_id": elsewhere.id}).status_code == 404
    assert admin.get(f"/coach/classes/{elsewhere.id}").status_code == 404
    assert "Far class" not in admin.get("/admin/classes").get_data(as_text=True)
    assert "Stranger" not in admin.get("/admin/accounts").get_data(as_text=True)


ADMIN_ROUTES = [("GET", "/admin"), ("GET", "/admin/classes"), ("POST", "/admin/classes"), ("GET", "/admin/accounts"),
                ("POST", "/admin/accounts"), ("GET", "/admin/accounts/{id}"), ("POST", "/admin/accounts/{id}/pin"),
                ("POST", "/admin/accounts/{id}/move"), ("GET", "/admin/import"), ("POST", "/admin/import"),
                ("GET", "/admin/audit")]


@pytest.mark.parametrize("username, allowed", [(None, False), ("amina", False), ("teacher", False), ("admin", True)])
def test_only_admins_open_admin_pages(demo_app, browser_for, people, username, allowed):
    browser = browser_for(username)
    for method, url in ADMIN_ROUTES:
        url = url.format(id=people["juma"].id)
        response = browser.get(url) if method == "GET" else browser.post(url, data={})
        if allowed:
            assert response.status_code in (200, 400), (method, url, response.status_code)
        elif username is None:
            assert response.status_code == (302 if method == "GET" else 401), (method, url)
        else:
            assert response.status_code == 403, (username, method, url)
    if not allowed:
        assert _audit_actions() == []

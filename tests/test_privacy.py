"""A learner's data can be exported and erased — here, and on the hub by sync."""
import csv
import io
import json
import re
import sqlite3

from server.db import database
from server.models import Account, Answer, Event, Outbox, Session, SkillState
from server.learning.progress import record_event
from sync.bundle import export_school_bundle
from tests.test_cli import run


def _answer(learner_id, item, response="=HYPERLINK(\"http://evil\")"):
    with database.connection_context():
        record_event(learner_id, "answer", {"pack_id": "fractions", "item_id": item, "skill_id": "fraction-meaning",
                                            "correct": False, "score": 0, "response": response})


def test_learner_downloads_their_own_data(demo_app, browser_for, people):
    _answer(people["amina"].id, "q1")
    response = browser_for("amina").get("/me/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["username"] == "amina"
    assert [e["kind"] for e in data["events"]] == ["answer"]
    assert data["skills"][0]["skill"] == "fraction-meaning"


def test_admin_csv_export_neutralizes_formulas(demo_app, browser_for, people):
    _answer(people["amina"].id, "q1")
    response = browser_for("admin").get(f"/admin/learners/{people['amina'].id}/answers.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "answered_at" and len(rows) == 2
    assert rows[1][-1].startswith("'=")  # shown as text in a spreadsheet, never run


def test_erasure_removes_everything_and_tells_the_hub(demo_app, browser_for, people, tmp_path):
    amina, juma = people["amina"].id, people["juma"].id
    for n in range(3):
        _answer(amina, f"a{n}")
    _answer(juma, "j1")
    hub_data = tmp_path / "hub"
    code = re.search(r"Pairing code: (\S+)", run("hub", "add-school", "--data", str(hub_data), "Shule").stdout).group(1)
    with database.connection_context():
        first = export_school_bundle(demo_app.config["DATA_DIR"], tmp_path / "stick", code=code)
    run("sync", "import", "--data", str(hub_data), str(first.path))

    admin = browser_for("admin")
    assert "cannot be undone" in admin.get(f"/admin/learners/{amina}/erase").get_data(as_text=True)
    assert admin.post(f"/admin/learners/{amina}/erase").status_code == 303
    with database.connection_context():
        assert Event.select().where((Event.learner_id == amina) & (Event.kind != "erased")).count() == 0
        assert Answer.select().where(Answer.learner_id == amina).count() == 0
        assert SkillState.select().where(SkillState.learner_id == amina).count() == 0
        assert Session.select().where(Session.account == amina).count() == 0
        account = Account.get_by_id(amina)
        assert account.deleted and account.username.startswith("erased-") and account.password_hash is None
        assert Event.select().where(Event.learner_id == juma).count() == 1  # nobody else is touched
        second = export_school_bundle(demo_app.config["DATA_DIR"], tmp_path / "stick")
    run("sync", "import", "--data", str(hub_data), str(second.path))
    run("sync", "import", "--data", str(hub_data), str(first.path))  # a stale bundle must not revive her
    connection = sqlite3.connect(hub_data / "lantern.db")
    kinds = connection.execute("SELECT kind FROM received_event WHERE learner_id = ?", (amina,)).fetchall()
    connection.close()
    assert kinds == [("erased",)]
    erased_login = browser_for(None).post("/signin", data={"username": "amina", "password": "1234"})
    assert erased_login.status_code == 400

"""Roster and packs by USB stick, and the hub's results across schools (operator pages)."""
import re
import sqlite3
import uuid

import pytest

from server.db import database
from server.models import Classroom
from server.models.sync_pull import SentRecord
from server.web.access import policy_of
from sync import records
from sync.bundle import export_school_bundle, import_return_bundle
from tests.test_cli import run


@pytest.fixture
def district(tmp_path, demo_app, people):
    hub_data, stick = tmp_path / "hub", tmp_path / "stick"
    out = run("hub", "add-school", "--data", str(hub_data), "Shule ya Pwani").stdout
    school_id, code = re.search(r"\(id (\S+)\)\. Pairing code: (\S+)", out).groups()
    return {"hub": hub_data, "stick": stick, "school_id": school_id, "code": code, "data": demo_app.config["DATA_DIR"]}


def _hub_sql(hub_data, sql: str, *args):
    connection = sqlite3.connect(hub_data / "lantern.db")
    try:
        with connection:
            return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def test_roster_and_packs_travel_by_usb_both_ways(district, built_packs):
    d = district
    with database.connection_context():
        sent = export_school_bundle(d["data"], d["stick"], code=d["code"])
        own = len(records.local_records())
    out = run("sync", "import", "--data", str(d["hub"]), str(sent.path)).stdout
    assert f"{own} roster changes" in out
    assert _hub_sql(d["hub"], "SELECT COUNT(*) FROM hub_record WHERE school_id = ?", d["school_id"])[0][0] == own
    assert f"0 roster changes" in run("sync", "import", "--data", str(d["hub"]), str(sent.path)).stdout  # twice
    # A change made at the hub (e.g. by the school's other server): the class is renamed, version + 1.
    with database.connection_context():
        classroom = Classroom.select().first()
    _hub_sql(d["hub"], "UPDATE hub_record SET version = version + 1, data = ? WHERE kind = 'class' AND id = ?",
             '{"name": "Darasa la Pwani"}', classroom.id)
    run("hub", "offer-pack", "--data", str(d["hub"]), str(built_packs["sante-fr"]))
    reply = run("sync", "export", "--data", str(d["hub"]), "--for", d["school_id"], "--to", str(d["stick"])).stdout
    assert f"{own} roster records" in reply and "1 pack files beside it" in reply
    assert len(list(d["stick"].glob("lantern-pack-*"))) == 1  # the USB page imports it from there
    return_path = re.search(r"\((/[^)]+\.lsync)\)", reply).group(1)
    with database.connection_context():
        result = import_return_bundle(return_path)
        assert "1 roster changes applied" in result.message
        assert Classroom.get_by_id(classroom.id).name == "Darasa la Pwani"
        assert SentRecord.select().count() == own  # the hub holds every record: the next bundle carries none
        assert records.changed_records() == []
        assert "0 roster changes applied" in import_return_bundle(return_path).message  # repeated: no change


def test_results_across_schools_per_school_class_and_skill(tmp_path):
    from server import create_app
    from server.config import load_config
    from server.models import ReceivedEvent
    from server.models.sync_pull import HubRecord

    hub_app = create_app(load_config(tmp_path / "hub", ROLE="hub"))
    for endpoint in ("hub.results_overview", "hub.school_results", "hub.offered_packs"):
        assert policy_of(hub_app, endpoint) == frozenset({"operator"})
    for endpoint in ("hub.roster", "hub.catalogue", "hub.pack_file"):
        assert policy_of(hub_app, endpoint) == frozenset({"public"})  # signed by the device instead
    client = hub_app.test_client()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/setup").get_data(as_text=True)).group(1)
    client.post("/setup", data={"csrf": token, "school_name": "Pwani District", "language": "en",
                                "username": "operator", "password": "district-pass", "password2": "district-pass"})
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/hub").get_data(as_text=True)).group(1)
    client.post("/hub/schools", data={"csrf": token, "name": "Shule ya Bahari"})
    with database.connection_context():
        from server.models import HubSchool

        school = HubSchool.get(HubSchool.name == "Shule ya Bahari")
        learners = [str(uuid.uuid4()) for _ in range(2)]
        HubRecord.insert_many([
            {"school_id": school.id, "kind": "class", "id": "c1", "seq": 1, "version": 1, "updated_at": "x",
             "updated_by": "d", "deleted": False, "data": {"name": "Darasa la Nne"}},
            *({"school_id": school.id, "kind": "account", "id": l, "seq": 2 + n, "version": 1, "updated_at": "x",
               "updated_by": "d", "deleted": False, "data": {"classroom_id": "c1"}} for n, l in enumerate(learners))
        ]).execute()
        answers = [(learners[0], True), (learners[0], True), (learners[1], False)]
        ReceivedEvent.insert_many(
            [{"school_id": school.id, "id": str(uuid.uuid4()), "device_id": "d", "learner_id": who, "kind": "answer",
              "payload": {"pack_id": "fractions", "skill_id": "halves", "correct": ok}, "created_at": "2026-01-01"}
             for who, ok in answers]
            + [{"school_id": school.id, "id": str(uuid.uuid4()), "device_id": "d", "learner_id": learners[0],
                "kind": "mastered", "payload": {"pack_id": "fractions", "skill_id": "halves"},
                "created_at": "2026-01-01"}]).execute()
    overview = client.get("/hub/results").get_data(as_text=True)
    row = re.search(r"Shule ya Bahari(?:</bdi>)?</a>(?:</bdi>)?</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", overview)
    assert row and row.groups() == ("2", "3", "1")
    page = client.get(f"/hub/results/{school.id}").get_data(as_text=True)
    assert re.search(r"Darasa la Nne</th><td>fractions</td><td>halves</td><td>3</td><td>67 %</td><td>1</td>", page)
    assert client.get("/hub/results/no-such-school").status_code == 404
    assert "No pack is offered yet" in client.get("/hub/packs").get_data(as_text=True)
    anonymous = hub_app.test_client()
    for url in ("/hub/results", f"/hub/results/{school.id}", "/hub/packs"):
        assert anonymous.get(url).status_code == 302

"""Roster authority (issue 18, item 7), against a real hub process on 127.0.0.1: a paired device cannot make
a learner a coach (or move people between classes) unless an admin it declared did it; the school refuses
such a pulled change too; revoking a device lists what it changed."""
import sqlite3

from server.db import database
from server.models import Account, CoachClass
from server.models.base import utcnow
from sync import protocol, records
from sync.client import _reply_message
from tests.test_sync import hub, new_code  # noqa: F401  (the module-scoped hub fixture)
from tests.test_sync_pull import _exchange, _wire, school  # noqa: F401


def _promote(learner, device_id: str, set_by: str | None = None) -> dict:
    record = _wire("account", learner)
    data = {**record["data"], "role": "coach", "classroom_id": None, "classes": []}
    if set_by:
        data["set_by"] = set_by
    return {**record, "version": record["version"] + 1, "updated_at": records.stamp(utcnow()),
            "updated_by": device_id, "data": data}


def test_a_device_cannot_make_a_learner_a_coach_without_an_admin(school, hub):  # noqa: F811
    other, amina = school["other"], school["people"]["amina"]
    reply = other.send([_promote(amina, other.device_id)])
    assert reply.status == 200
    assert _reply_message(reply, "roster-changes")["refused"] == [amina.id]
    reply = other.send([_promote(amina, other.device_id, set_by="an-admin-it-never-declared")])
    assert _reply_message(reply, "roster-changes")["refused"] == [amina.id]
    _exchange(hub, school)
    with database.connection_context():
        assert Account.get_by_id(amina.id).role == "learner"


def test_an_admins_change_on_a_device_that_declared_them_travels(school, hub):  # noqa: F811
    other, juma = school["other"], school["people"]["juma"]
    message = {"type": "roster", "school_id": other.school_id, "since": 0,
               "records": [_promote(juma, other.device_id, set_by="admin-on-laptop")],
               "admins": [{"id": "admin-on-laptop", "username": "mwalimu.mkuu"}]}
    body = protocol.encode(message)
    from sync.client import _signed_headers
    reply = other.transport.post("/sync/v1/roster", body, _signed_headers(other.key, other.device_id,
                                                                           "/sync/v1/roster", body))
    assert reply.status == 200 and _reply_message(reply, "roster-changes")["refused"] == []
    _exchange(hub, school)
    with database.connection_context():
        assert Account.get_by_id(juma.id).role == "coach"


def test_the_school_refuses_a_pulled_promotion_no_admin_made(school):  # noqa: F811
    neema = school["people"]["neema"]
    with database.connection_context():
        forged = _promote(neema, "rogue-device")
        assert records.apply_records([forged]) == 0
        assert Account.get_by_id(neema.id).role == "learner"
        assert not CoachClass.select().where(CoachClass.coach == neema.id).exists()


def test_the_schools_own_admin_actions_travel_with_the_admins_id(school, people):  # noqa: F811
    from server.people import admin as admin_ops
    with database.connection_context():
        created = admin_ops.create_account(people["admin"], {"role": "coach", "name": "Bw. Said", "username": "said",
                                                             "secret": "long-password-1", "class_id": ""})
        sent = next(r for r in records.local_records() if r["id"] == created.id)
        assert sent["data"]["set_by"] == people["admin"].id
        assert {"id": people["admin"].id, "username": "admin"} in records.local_admins()


def test_the_hub_keeps_which_device_sent_each_standing_record(school, hub):  # noqa: F811
    other, baraka = school["other"], school["people"]["baraka"]
    renamed = {**_wire("account", baraka)}
    renamed.update(version=renamed["version"] + 1, updated_at=records.stamp(utcnow()), updated_by=other.device_id,
                   data={**renamed["data"], "display_name": "Baraka the Changed"})
    assert other.send([renamed]).status == 200
    connection = sqlite3.connect(hub["data"] / "lantern.db")
    try:
        sent_by = dict(connection.execute("SELECT id, sent_by FROM hub_record WHERE kind = 'account'").fetchall())
    finally:
        connection.close()
    assert sent_by[baraka.id] == other.device_id
    assert sent_by[school["people"]["amina"].id] != other.device_id  # sent by the school's own server

"""A nearly full disk: new work is refused with a clear message before anything half-writes,
reading goes on, and everything works again once space is freed."""
from server.db import database
from server.models import Event
from server.storage import free_bytes
from tests.factories import correct_response, form_fields
from tests.test_learner_flow import _first_skill, _items_by_id


def test_answers_are_refused_while_the_disk_is_nearly_full_and_accepted_after(demo_app, browser_for):
    browser = browser_for("amina")
    skill, _ = _first_skill()
    page = browser.get(f"/practice/fractions/{skill}")
    fields = form_fields(page.get_data(as_text=True))
    answer = {**fields, **correct_response(_items_by_id()[fields["item"]])}

    demo_app.config["MIN_FREE_BYTES"] = free_bytes(demo_app.config["DATA_DIR"]) + 10**12  # "full"
    refused = browser.post(f"/practice/fractions/{skill}", data=answer)
    assert refused.status_code == 507
    assert "storage is nearly full" in refused.get_data(as_text=True)
    assert browser.get("/packs/fractions/lessons/what-is-a-fraction").status_code == 200  # reading goes on
    assert browser.post("/signout").status_code == 302  # and signing out always works
    with database.connection_context():
        assert Event.select().where(Event.kind == "answer").count() == 0

    demo_app.config["MIN_FREE_BYTES"] = 0  # space freed
    browser = browser_for("amina")
    accepted = browser.post(f"/practice/fractions/{skill}", data={**answer, "csrf": browser.csrf})
    assert accepted.status_code == 303
    with database.connection_context():
        assert Event.select().where(Event.id == fields["attempt"]).count() == 1

"""The hub's routes × roles, generated from the hub app's URL map like tests/test_access.py: a new hub route
without an entry here fails. Operator pages let in only the hub operator; the sync endpoints are "public"
to the session layer because each request is signed by a device instead, and unsigned they are refused."""
import re

import pytest

from server.web.access import policy_of
from tests.test_access import EXPECTED

HUB_EXPECTED = {
    "hub.schools": {"operator"}, "hub.add_school": {"operator"}, "hub.revoke": {"operator"},
    "hub.device_changes": {"operator"},
    "hub.results_overview": {"operator"}, "hub.school_results": {"operator"}, "hub.offered_packs": {"operator"},
    # signed by the device (Ed25519 over method, path, time, nonce and body hash), not a session:
    "hub.pair": {"public"}, "hub.push": {"public"}, "hub.upload": {"public"}, "hub.roster": {"public"},
    "hub.catalogue": {"public"}, "hub.pack_file": {"public"},
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A hub app on a real SQLite file, set up with its operator; yields (app, anonymous, operator clients)."""
    from server import create_app
    from server.config import load_config

    app = create_app(load_config(tmp_path_factory.mktemp("hub"), ROLE="hub"))
    app.config["TESTING"] = True
    operator = app.test_client()
    token = re.search(r'name="csrf" value="([^"]+)"', operator.get("/setup").get_data(as_text=True)).group(1)
    operator.post("/setup", data={"csrf": token, "school_name": "Pwani District", "language": "en",
                                  "username": "operator", "password": "district-pass", "password2": "district-pass"})
    return app, app.test_client(), operator


def test_every_hub_route_has_a_declared_policy_matching_this_table(hub):
    app = hub[0]
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED) | set(HUB_EXPECTED), "add new hub routes to HUB_EXPECTED (and give them @allow)"
    for endpoint, allowed in HUB_EXPECTED.items():
        assert policy_of(app, endpoint) == frozenset(allowed), endpoint


def test_operator_pages_keep_out_everyone_but_the_operator_and_unsigned_sync_is_refused(hub):
    app, anonymous, operator = hub
    tokens = {who: re.search(r'name="csrf" value="([^"]+)"', client.get(page).get_data(as_text=True)).group(1)
              for who, client, page in (("anonymous", anonymous, "/signin"), ("operator", operator, "/hub"))}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("hub."):
            continue
        url = re.sub(r"<(?:\w+:)?\w+>", "0" * 64, rule.rule)
        method = "GET" if "GET" in rule.methods else "POST"
        for who, client in (("anonymous", anonymous), ("operator", operator)):
            signed = HUB_EXPECTED[rule.endpoint] == {"public"}
            form = b"x" if signed else {"csrf": tokens[who]}  # a valid form: only the role decides
            response = client.get(url) if method == "GET" else client.post(url, data=form)
            kept_out = response.status_code in (401, 403) or (
                response.status_code == 302 and "/signin" in response.headers.get("Location", ""))
            if HUB_EXPECTED[rule.endpoint] == {"operator"}:
                assert kept_out == (who == "anonymous"), (who, method, url, response.status_code)
            else:  # a device's signature is the credential: without one, a clear 4xx, never a 500 or a page
                assert 400 <= response.status_code < 500 and response.get_json()["error"], (who, url)


def test_the_operator_sees_which_school_sync_is_refused_and_why(hub):
    """A refused signed push is logged for its school; the schools page says so until a sync succeeds."""
    import gzip
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from server.db import database
    from sync.apply import pair_device, register_school
    from tests.test_sync_fuzz import signed_post

    app, _anonymous, operator = hub
    key = Ed25519PrivateKey.generate()
    with database.connection_context():
        school, code = register_school("Shule ya Milimani")
        device = pair_device(code, key.public_key().public_bytes_raw().hex(), "office laptop")
    target = {"client": app.test_client(), "key": key, "device": device.id}

    def push(through_seq):
        body = gzip.compress(json.dumps({"protocol": 1, "type": "push", "school_id": school.id,
                                         "through_seq": through_seq, "events": []}).encode())
        return signed_post(target, body)

    assert push(-1).status_code == 400
    page = operator.get("/hub").get_data(as_text=True)
    row = page[page.index("Shule ya Milimani"):].split("</tr>")[0]
    assert "Last sync refused" in row and "through_seq must be a whole number" in row
    assert push(0).status_code == 200  # a later success clears the warning
    row = operator.get("/hub").get_data(as_text=True).split("Shule ya Milimani")[1].split("</tr>")[0]
    assert "Last sync refused" not in row


def test_revoking_a_device_shows_what_it_changed_for_review(hub):
    """Issue 18: after a revoke the operator sees the roster records that device sent and the admins it named."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from server.db import database
    from sync.apply import pair_device, register_school
    from sync.roster_hub import declare_admins, merge_records

    app, _anonymous, operator = hub
    key = Ed25519PrivateKey.generate()
    with database.connection_context():
        school, code = register_school("Shule ya Bonde")
        device = pair_device(code, key.public_key().public_bytes_raw().hex(), "borrowed laptop")
        declare_admins(device, [{"id": "adm-1", "username": "mkuu"}])
        record = {"kind": "account", "id": "acc-zz", "version": 1, "updated_at": "2026-03-02T07:00:00.000000",
                  "updated_by": device.id, "deleted": False,
                  "data": {"username": "zuberi", "display_name": "Zuberi Mwinyi", "role": "coach", "classes": [],
                           "set_by": "adm-1"}}
        assert merge_records(device.school_id, [record], device.id) == 1
    csrf = re.search(r'name="csrf" value="([^"]+)"', operator.get("/hub").get_data(as_text=True)).group(1)
    revoked = operator.post(f"/hub/devices/{device.id}/revoke", data={"csrf": csrf})
    assert revoked.status_code == 303 and revoked.headers["Location"].endswith(f"/hub/devices/{device.id}/changes")
    page = operator.get(revoked.headers["Location"]).get_data(as_text=True)
    assert "Zuberi Mwinyi" in page and "mkuu" in page and "revoked" in page

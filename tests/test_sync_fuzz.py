"""Hypothesis against the sync messages (issue 7 item 4): the protocol decoder and event validator, and the
hub's real push and pair endpoints (a hub app on a real SQLite file, correctly signed requests carrying
arbitrary bytes and arbitrary JSON). Only our own clear errors come out: SyncError in code, over HTTP an ack
or one of the named 4xx statuses with a JSON `error` sentence; a refused request stores no event and moves no ack.
"""
import gzip
import json
import secrets
import time
import zlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.db import database
from server.errors import LanternError, SyncError
from server.models import HubDevice, PairingCode, ReceivedEvent
from sync import protocol

from tests.conftest import examples

FUZZ = settings(max_examples=examples(75), deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=40))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
uuid_text = st.uuids().map(str)
ids = st.one_of(uuid_text, uuid_text.map(lambda u: u + "\n"), uuid_text.map(str.upper), st.text(max_size=70),
                json_leaf)
dates = st.one_of(st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=30), json_leaf)
kinds = st.one_of(st.sampled_from(sorted(protocol.EVENT_KINDS)), st.text(max_size=12), json_leaf)
payloads = st.one_of(st.dictionaries(st.text(max_size=10), json_value, max_size=5), json_value,
                     st.just({"big": "x" * (protocol.MAX_PAYLOAD + 1)}), st.just({"nan": float("nan")}),
                     st.just({"s": "\ud800"}))


@st.composite
def wire_events(draw):
    """An event as a school might send it, with any field possibly wrong, missing or hostile."""
    event = {"id": draw(st.one_of(uuid_text, ids)), "device_id": draw(st.one_of(uuid_text, ids)),
             "learner_id": draw(st.one_of(uuid_text, ids)), "kind": draw(kinds), "payload": draw(payloads),
             "created_at": draw(dates)}
    for key in draw(st.lists(st.sampled_from(sorted(event)), max_size=2)):
        event.pop(key, None)
    return event


def push_messages(school_id: str):
    return st.fixed_dictionaries({
        "protocol": st.one_of(st.just(1), st.just(1.0), st.just(True), json_leaf),
        "type": st.one_of(st.just("push"), st.text(max_size=10), json_leaf),
        "school_id": st.one_of(st.just(school_id), st.text(max_size=40), json_leaf),
        "through_seq": st.one_of(st.integers(-5, 10**6), st.integers(2**62, 2**80), json_leaf),
        "events": st.one_of(st.lists(wire_events(), max_size=6), json_value),
    })


def gz(value) -> bytes:
    return gzip.compress(json.dumps(value).encode())


# --- the pure protocol ---------------------------------------------------------------------------------

@FUZZ
@given(st.binary(max_size=2000))
def test_decode_arbitrary_bytes_is_a_message_or_a_sync_error(data):
    try:
        message = protocol.decode(data, "push")
    except SyncError as err:
        assert err.message
    else:
        assert message["protocol"] == 1 and message["type"] == "push"


@FUZZ
@given(json_value)
def test_decode_arbitrary_json_is_a_message_or_a_sync_error(value):
    try:
        message = protocol.decode(gz(value), "push")
    except SyncError:
        return
    assert isinstance(message, dict) and type(message["protocol"]) is int


@FUZZ
@given(st.one_of(st.lists(wire_events(), max_size=8), json_value))
def test_check_events_accepts_only_storable_events(events):
    try:
        checked = protocol.check_events(events)
    except SyncError as err:
        assert err.message.startswith(("event", "events"))
        return
    for event in checked:
        assert protocol.UUID.fullmatch(event["id"]) and event["kind"] in protocol.EVENT_KINDS
        json.dumps(event["payload"], allow_nan=False).encode()  # storable anywhere
        for key in ("id", "device_id", "learner_id"):
            event[key].encode()


@pytest.mark.parametrize("raw, words", [
    (b"[" * 200_000 + b"]" * 200_000, "not valid compressed JSON"),  # deeper than Python's recursion limit
    (b'{"protocol":1,"type":"push","x":' + b"[" * 200_000 + b"]" * 200_000 + b"}", "not valid compressed JSON"),
    (b"\x00" * (protocol.MAX_DECOMPRESSED + 1), "too large once decompressed"),  # a gzip bomb (~32 KB)
    (b'{"protocol":1.0,"type":"push"}', "unknown sync protocol"),
    (b'{"protocol":true,"type":"push"}', "unknown sync protocol"),
    (b'{"protocol":2,"type":"push"}', "unknown sync protocol 2"),
])
def test_hostile_shapes_are_refused_in_plain_words(raw, words):
    with pytest.raises(SyncError, match=words):
        protocol.decode(gzip.compress(raw), "push")


def test_an_event_id_with_a_trailing_newline_is_not_a_second_copy():
    good = {"id": "0190a000-0000-7000-8000-000000000000", "device_id": "d", "learner_id": "l", "kind": "answer",
            "payload": {}, "created_at": "2026-01-01T00:00:00"}
    assert protocol.check_events([good])
    with pytest.raises(SyncError, match="id is not a UUID|id is missing or malformed"):
        protocol.check_events([{**good, "id": good["id"] + "\n"}])


# --- the hub's endpoints ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hub_app(tmp_path_factory):
    """A hub app on a real SQLite file with one school and one paired device (its private key kept here)."""
    from server import create_app
    from server.config import load_config
    from sync.apply import pair_device, register_school

    application = create_app(load_config(tmp_path_factory.mktemp("fuzz-hub") / "hub", ROLE="hub"))
    application.config["TESTING"] = False  # errors go through the real handlers, as in production
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw().hex()
    with database.connection_context():
        school, code = register_school("Fuzz school")
        device = pair_device(code, public, "fuzz device")
    return {"app": application, "client": application.test_client(), "key": key, "device": device.id,
            "school": school.id}


def signed_post(hub, body: bytes, path: str = "/sync/v1/push", **header_changes):
    stamp, nonce = str(int(time.time())), secrets.token_hex(16)
    headers = {"X-Lantern-Device": hub["device"], "X-Lantern-Timestamp": stamp, "X-Lantern-Nonce": nonce,
               "X-Lantern-Signature": protocol.sign(hub["key"], protocol.signing_bytes("POST", path, stamp, nonce, body)),
               "Content-Encoding": "gzip", "Content-Type": "application/json"}
    return hub["client"].post(path, data=body, headers={**headers, **header_changes})


def hub_state(hub) -> tuple[int, int]:
    with database.connection_context():
        return ReceivedEvent.select().count(), HubDevice.get_by_id(hub["device"]).acked_seq


# What a signed push may get back, and nothing else (a 500, 502 or 404 fails the test).
PUSH_STATUSES = {200: "acknowledged (bad events refused by name inside the ack)",
                 400: "not a push message (our SyncError)", 403: "a school this device does not belong to",
                 413: "too large"}


def assert_clear_refusal_or_ack(response, before, after, message=None):
    assert response.status_code in PUSH_STATUSES, (response.status_code, response.get_data())
    if response.status_code == 200:
        ack = protocol.decode(response.get_data(), "ack")
        assert after[0] - before[0] == ack["new"] <= len(message["events"])
    else:
        assert response.get_json()["error"]
        assert after == before, "a refused request changed the hub"


@FUZZ
@given(data=st.data())
def test_signed_pushes_of_arbitrary_messages_get_an_ack_or_a_clear_4xx(hub_app, data):
    message = data.draw(push_messages(hub_app["school"]))
    before = hub_state(hub_app)
    response = signed_post(hub_app, gz(message))
    assert_clear_refusal_or_ack(response, before, hub_state(hub_app), message)


@FUZZ
@given(st.binary(max_size=3000))
def test_signed_pushes_of_arbitrary_bytes_are_refused_clearly(hub_app, body):
    before = hub_state(hub_app)
    response = signed_post(hub_app, body)
    assert response.status_code == 400 and response.get_json()["error"]
    assert hub_state(hub_app) == before


header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@FUZZ
@given(body=st.binary(max_size=500), device=header_text, stamp=header_text, nonce=header_text, sig=header_text)
def test_forged_headers_are_refused_with_403(hub_app, body, device, stamp, nonce, sig):
    before = hub_state(hub_app)
    response = signed_post(hub_app, body, **{"X-Lantern-Device": device, "X-Lantern-Timestamp": stamp,
                                            "X-Lantern-Nonce": nonce, "X-Lantern-Signature": sig})
    assert response.status_code in (400, 403) and response.get_json()["error"]
    assert hub_state(hub_app) == before


@FUZZ
@given(st.one_of(json_value, st.fixed_dictionaries({
    "protocol": st.just(1), "type": st.just("pair"), "code": json_leaf, "public_key": st.one_of(json_leaf, st.just(
        "ab" * 32)), "name": json_value})))
def test_pairing_with_arbitrary_messages_pairs_nothing(hub_app, message):
    with database.connection_context():
        devices, codes_used = HubDevice.select().count(), PairingCode.select().where(PairingCode.used_at.is_null(False)).count()
    response = hub_app["client"].post("/sync/v1/pair", data=gz(message))
    assert response.status_code in (400, 403) and response.get_json()["error"]
    with database.connection_context():
        assert HubDevice.select().count() == devices
        assert PairingCode.select().where(PairingCode.used_at.is_null(False)).count() == codes_used


def test_oversized_bodies_are_refused_before_they_are_read(hub_app):
    before = hub_state(hub_app)
    too_big = signed_post(hub_app, secrets.token_bytes(protocol.MAX_COMPRESSED + 1))
    assert too_big.status_code == 400 and "too large" in too_big.get_json()["error"]
    beyond_the_app_limit = signed_post(hub_app, b"\x00" * (hub_app["app"].config["MAX_CONTENT_LENGTH"] + 1))
    assert beyond_the_app_limit.status_code == 413 and beyond_the_app_limit.get_json()["error"]
    bomb = zlib.compress(b"{}", 9)  # not gzip framing at all
    assert signed_post(hub_app, bomb).status_code == 400
    assert hub_state(hub_app) == before


def test_a_huge_through_seq_is_a_clear_error_not_a_crash(hub_app):
    before = hub_state(hub_app)
    response = signed_post(hub_app, protocol.encode({"type": "push", "school_id": hub_app["school"],
                                                    "through_seq": 2**64, "events": []}))
    assert response.status_code == 400 and "through_seq" in response.get_json()["error"]
    assert hub_state(hub_app) == before
    assert issubclass(SyncError, LanternError)


@pytest.mark.parametrize("field, value", [("learner_id", "\ud800"), ("device_id", "a\x00b"),
                                          ("payload", {"score": float("nan")}), ("payload", {"s": "\udfff"}),
                                          ("id", "0190a000-0000-7000-8000-000000000000\n")])
def test_values_a_database_cannot_store_are_refused_not_crashed_on(hub_app, field, value):
    event = {"id": "0190a000-0000-7000-8000-00000000abcd", "device_id": hub_app["device"], "learner_id": "l1",
             "kind": "answer", "payload": {}, "created_at": "2026-01-01T00:00:00", field: value}
    before = hub_state(hub_app)
    body = gzip.compress(json.dumps({"protocol": 1, "type": "push", "school_id": hub_app["school"],
                                     "through_seq": 1, "events": [event]}).encode())
    response = signed_post(hub_app, body)
    # Refused by name in the acknowledgement (one bad event must not block the school's others); not stored.
    assert response.status_code == 200
    ack = protocol.decode(response.get_data(), "ack")
    assert ack["new"] == 0 and ack["refused_count"] == 1 and ack["refused"][0]["reason"].startswith("event 0")
    assert hub_state(hub_app)[0] == before[0]

"""Sync by USB stick: a school that never gets a signal, a bus driver, and the district hub.

The hub runs as its own command-line process on its own data folder, as the operator would.
"""
import base64
import json
import re
import sqlite3

import pytest

from server.db import database
from server.errors import Forbidden, SyncError
from server.models import Event, Outbox
from server.learning.progress import record_event
from sync.bundle import export_school_bundle, import_return_bundle
from tests.test_cli import run


def _answers(learner_id: str, count: int) -> None:
    with database.connection_context():
        for n in range(count):
            record_event(learner_id, "answer", {"pack_id": "fractions", "item_id": f"u{n}", "skill_id": None,
                                                "correct": True, "score": 1.0})


def _hub_count(hub_data) -> int:
    connection = sqlite3.connect(hub_data / "lantern.db")
    try:
        return connection.execute("SELECT COUNT(*) FROM received_event").fetchone()[0]
    finally:
        connection.close()


@pytest.fixture
def district(tmp_path, demo_app, people):
    hub_data, stick = tmp_path / "hub", tmp_path / "stick"
    out = run("hub", "add-school", "--data", str(hub_data), "Shule ya Mlimani").stdout
    school_id, code = re.search(r"\(id (\S+)\)\. Pairing code: (\S+)", out).groups()
    _answers(people["amina"].id, 6)
    return {"hub": hub_data, "stick": stick, "school_id": school_id, "code": code,
            "data": demo_app.config["DATA_DIR"], "amina": people["amina"].id}


def test_round_trip_by_usb_pairs_delivers_and_acknowledges(district):
    d = district
    with database.connection_context():
        sent = export_school_bundle(d["data"], d["stick"], code=d["code"])
        local = {e.id for e in Event.select()}
    assert sent.events == len(local) == 6
    assert "6 new events of 6" in run("sync", "import", "--data", str(d["hub"]), str(sent.path)).stdout
    assert "0 new events of 6" in run("sync", "import", "--data", str(d["hub"]), str(sent.path)).stdout  # twice: no change
    assert _hub_count(d["hub"]) == 6
    reply = run("sync", "export", "--data", str(d["hub"]), "--for", d["school_id"], "--to", str(d["stick"])).stdout
    return_path = re.search(r"\((/[^)]+\.lsync)\)", reply).group(1)
    with database.connection_context():
        assert import_return_bundle(return_path).events == 6
        assert Outbox.select().count() == 0
        assert import_return_bundle(return_path).events == 0  # an old or repeated reply changes nothing
    _answers(d["amina"], 3)
    with database.connection_context():
        second = export_school_bundle(d["data"], d["stick"])  # paired now: no code needed
    assert second.events == 3
    assert "3 new events of 3" in run("sync", "import", "--data", str(d["hub"]), str(second.path)).stdout
    assert _hub_count(d["hub"]) == 9


def test_a_tampered_bundle_is_refused_and_applies_nothing(district):
    d = district
    with database.connection_context():
        sent = export_school_bundle(d["data"], d["stick"], code=d["code"])
    run("sync", "import", "--data", str(d["hub"]), str(sent.path))
    before = _hub_count(d["hub"])
    _answers(d["amina"], 2)
    with database.connection_context():
        second = export_school_bundle(d["data"], d["stick"])
    envelope = json.loads(second.path.read_bytes())
    import gzip
    message = json.loads(gzip.decompress(base64.b64decode(envelope["body"])))
    message["events"][-1]["payload"]["correct"] = False  # someone edits a result on the stick
    envelope["body"] = base64.b64encode(gzip.compress(json.dumps(message).encode())).decode()
    second.path.write_text(json.dumps(envelope))
    result = run("sync", "import", "--data", str(d["hub"]), str(second.path), check=False)
    assert result.returncode == 1 and "invalid signature" in result.stderr
    assert _hub_count(d["hub"]) == before


def test_a_return_bundle_not_signed_by_the_hub_is_refused(district, tmp_path):
    d = district
    with database.connection_context():
        sent = export_school_bundle(d["data"], d["stick"], code=d["code"])
    run("sync", "import", "--data", str(d["hub"]), str(sent.path))
    reply = run("sync", "export", "--data", str(d["hub"]), "--for", d["school_id"], "--to", str(d["stick"])).stdout
    path = re.search(r"\((/[^)]+\.lsync)\)", reply).group(1)
    from pathlib import Path
    envelope = json.loads(Path(path).read_text())
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sync import protocol
    body = base64.b64decode(envelope["body"])
    envelope["signature"] = protocol.sign(Ed25519PrivateKey.generate(), b"lantern-bundle-v1\n" + body)
    forged = tmp_path / "forged.lsync"
    forged.write_text(json.dumps(envelope))
    with database.connection_context():
        with pytest.raises(Forbidden, match="not signed by your district hub"):
            import_return_bundle(forged)
        assert Outbox.select().count() == 6


def test_a_bundle_with_a_wrong_code_pairs_nothing(district):
    d = district
    with database.connection_context():
        sent = export_school_bundle(d["data"], d["stick"], code="WRONG-CODE1")
    result = run("sync", "import", "--data", str(d["hub"]), str(sent.path), check=False)
    assert result.returncode == 1 and "pairing code is not valid" in result.stderr
    assert _hub_count(d["hub"]) == 0


@pytest.mark.parametrize("content", [b"", b"{}", b"not json", b'{"protocol": 1, "type": "bundle", "body": "***"}'])
def test_damaged_bundle_files_get_a_clear_message(district, tmp_path, content):
    bad = tmp_path / "bad.lsync"
    bad.write_bytes(content)
    result = run("sync", "import", "--data", str(district["hub"]), str(bad), check=False)
    assert result.returncode == 1 and "Error:" in result.stderr and "Traceback" not in result.stderr


def test_export_needs_a_code_until_paired(demo_app, tmp_path):
    with database.connection_context():
        with pytest.raises(SyncError, match="not paired yet"):
            export_school_bundle(demo_app.config["DATA_DIR"], tmp_path)

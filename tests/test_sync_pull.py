"""Pull half of sync against a real hub process on 127.0.0.1: roster records (last-writer-wins,
tombstones, repeats) and packs offered by the hub (catalogue, Range download that resumes,
hash check, import)."""
import json
import re
import sqlite3
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.db import database
from server.errors import SyncError
from server.identity import public_key_hex
from server.models import Account, Classroom, Event, PackVersion, SyncState
from server.models.base import utcnow
from server.content.packs.install import Library
from server.learning.progress import record_event
from sync import protocol, records
from sync.client import _reply_message, _signed_headers, pair
from sync.packs import downloads_dir
from sync.pull import exchange_roster, fetch_packs
from sync.state import set_state
from sync.transport import HttpTransport
from tests.test_cli import run
from tests.test_sync import hub, new_code  # noqa: F401  (the module-scoped hub fixture)


def _state(key):
    return SyncState.get(SyncState.key == key).value


class OtherDevice:
    """A second server of the same school, reduced to its key and its roster messages."""

    def __init__(self, hub_url: str, code: str):
        self.transport, self.key = HttpTransport(hub_url), Ed25519PrivateKey.generate()
        body = protocol.encode({"type": "pair", "code": code, "public_key": public_key_hex(self.key), "name": "laptop"})
        paired = _reply_message(self.transport.post("/sync/v1/pair", body, {}), "paired")
        self.device_id, self.school_id = paired["device_id"], paired["school_id"]

    def send(self, records_: list[dict], since: int = 0, school_id: str | None = None, protocol_version=1):
        message = {"type": "roster", "school_id": school_id or self.school_id, "since": since, "records": records_}
        body = protocol.encode(message)
        if protocol_version != 1:
            import gzip
            import json
            body = gzip.compress(json.dumps({**message, "protocol": protocol_version}).encode())
        return self.transport.post("/sync/v1/roster", body,
                                   _signed_headers(self.key, self.device_id, "/sync/v1/roster", body))


def _hub_records(hub, school_id: str) -> dict:
    connection = sqlite3.connect(hub["data"] / "lantern.db")
    try:
        return {(k, i): (v, d) for k, i, v, d in connection.execute(
            "SELECT kind, id, version, deleted FROM hub_record WHERE school_id = ?", (school_id,))}
    finally:
        connection.close()


@pytest.fixture
def school(demo_app, people, hub):  # noqa: F811
    """The demo school paired with the hub, its roster sent once; and a second device of the same school."""
    data_dir = demo_app.config["DATA_DIR"]
    with database.connection_context():
        pair(HttpTransport(hub["url"]), new_code(hub), data_dir)
        school_id = _state("hub_school_id")
        first = exchange_roster(HttpTransport(hub["url"]), data_dir)
    out = run("hub", "new-code", "--data", str(hub["data"]), school_id).stdout
    code = re.search(r"Pairing code: (\S+)", out).group(1)
    return {"data": data_dir, "school_id": school_id, "first": first, "other": OtherDevice(hub["url"], code),
            "people": people}


def _wire(kind: str, row) -> dict:
    with database.connection_context():
        return next(r for r in records.local_records() if r["kind"] == kind and r["id"] == row.id)


def _exchange(hub, school):  # noqa: F811
    with database.connection_context():
        return exchange_roster(HttpTransport(hub["url"]), school["data"])


def test_the_school_roster_reaches_the_hub_and_a_second_pass_sends_nothing(school, hub):  # noqa: F811
    held = _hub_records(hub, school["school_id"])
    with database.connection_context():
        learners = Account.select().where(Account.role == "learner").count()
    assert school["first"].sent == len(held) >= learners + 1
    assert sum(1 for kind, _ in held if kind == "account") >= learners
    again = _exchange(hub, school)
    assert (again.sent, again.applied) == (0, 0)


def test_learner_profiles_stay_on_the_school_server(school, hub):  # noqa: F811
    """Language, interests and accessibility needs are personal and the hub needs none of them: they do
    not travel, and a pulled account change keeps the profile this server has."""
    amina = school["people"]["amina"]
    with database.connection_context():
        Account.update(profile={"language": "sw", "captions": True, "interests": ["health"]}).where(
            Account.id == amina.id).execute()
        mine = _wire("account", Account.get_by_id(amina.id))
    assert "profile" not in mine["data"]
    _exchange(hub, school)
    connection = sqlite3.connect(hub["data"] / "lantern.db")
    try:
        held = [json.loads(d) for (d,) in connection.execute(
            "SELECT data FROM hub_record WHERE school_id = ? AND kind = 'account'", (school["school_id"],))]
    finally:
        connection.close()
    assert held and not any("profile" in data for data in held)
    renamed = {**mine, "version": mine["version"] + 1, "updated_by": school["other"].device_id,
               "data": {**mine["data"], "display_name": "Amina N."}}
    school["other"].send([renamed])
    _exchange(hub, school)
    with database.connection_context():
        after = Account.get_by_id(amina.id)
    assert after.display_name == "Amina N." and after.profile["captions"] is True


def test_a_change_made_elsewhere_arrives_and_applying_it_twice_changes_nothing(school, hub):  # noqa: F811
    with database.connection_context():
        classroom = Classroom.select().first()
    renamed = _wire("class", classroom)
    renamed.update(version=renamed["version"] + 1, updated_by=school["other"].device_id,
                   data={"name": "Darasa la Saba"})
    newcomer = {"kind": "account", "id": "0190a0a0-0000-7000-8000-000000000001", "version": 1,
                "updated_at": records.stamp(utcnow()), "updated_by": school["other"].device_id, "deleted": False,
                "data": {"username": "wanjiku", "display_name": "Wanjiku", "role": "learner",
                         "classroom_id": classroom.id, "profile": {}}}
    assert school["other"].send([renamed, newcomer]).status == 200
    assert _exchange(hub, school).applied == 2
    with database.connection_context():
        assert Classroom.get_by_id(classroom.id).name == "Darasa la Saba"
        neema = Account.get_by_id(newcomer["id"])
        assert (neema.username, neema.classroom_id, neema.password_hash) == ("wanjiku", classroom.id, None)
        assert records.apply_records([renamed, newcomer]) == 0  # the same change again: nothing
    assert school["other"].send([renamed, newcomer]).status == 200  # delivered twice to the hub
    assert _exchange(hub, school).applied == 0
    assert _hub_records(hub, school["school_id"])[("class", classroom.id)] == (renamed["version"], 0)


def test_conflicting_edits_resolve_last_writer_wins_everywhere(school, hub):  # noqa: F811
    with database.connection_context():
        classroom = Classroom.select().first()
        base = _wire("class", classroom)
        # Here: renamed without a version bump (the admin page's way); the sync pass bumps it.
        Classroom.update(name="Here").where(Classroom.id == classroom.id).execute()
    later = utcnow() + timedelta(hours=3)  # the other device's clock runs hours ahead
    theirs = {**base, "version": base["version"] + 1, "updated_at": records.stamp(later),
              "updated_by": school["other"].device_id, "data": {"name": "There"}}
    assert school["other"].send([theirs]).status == 200
    _exchange(hub, school)
    with database.connection_context():
        assert Classroom.get_by_id(classroom.id).name == "There"  # same version: the later write wins
        local = _wire("class", classroom)
    older = {**theirs, "version": base["version"], "data": {"name": "Stale"}}
    reply = school["other"].send([older])  # an old change arriving late
    assert reply.status == 200 and _reply_message(reply, "roster-changes")["taken"] == 0
    _exchange(hub, school)
    with database.connection_context():
        assert Classroom.get_by_id(classroom.id).name == "There"
    assert _hub_records(hub, school["school_id"])[("class", classroom.id)][0] == local["version"]
    with database.connection_context():  # out of order on the school too: an older version never wins
        assert records.apply_records([{**older, "updated_at": records.stamp(later + timedelta(days=1))}]) == 0


def test_a_tombstone_deletes_the_record_but_never_the_learners_events(school, hub):  # noqa: F811
    juma = school["people"]["juma"]
    with database.connection_context():
        for n in range(3):
            record_event(juma.id, "answer", {"pack_id": "fractions", "item_id": f"t{n}", "skill_id": None,
                                             "correct": True, "score": 1.0})
        events = Event.select().where(Event.learner_id == juma.id).count()
        tomb = _wire("account", Account.get_by_id(juma.id))
    tomb.update(version=tomb["version"] + 1, deleted=True, updated_by=school["other"].device_id)
    assert school["other"].send([tomb]).status == 200
    assert _exchange(hub, school).applied == 1
    with database.connection_context():
        assert Account.get_by_id(juma.id).deleted
        assert Event.select().where(Event.learner_id == juma.id).count() == events
    assert _hub_records(hub, school["school_id"])[("account", juma.id)][1] == 1


@pytest.mark.parametrize("problem", ["protocol", "oversized", "malformed", "admin", "forged", "other_school"])
def test_bad_roster_messages_are_refused_and_store_nothing(school, hub, problem):  # noqa: F811
    other = school["other"]
    good = {"kind": "class", "id": "c-new", "version": 1, "updated_at": records.stamp(utcnow()),
            "updated_by": other.device_id, "deleted": False, "data": {"name": "Nope"}}
    before = _hub_records(hub, school["school_id"])
    if problem == "protocol":
        reply = other.send([good], protocol_version=9)
        expected = (400, b"unknown sync protocol")
    elif problem == "oversized":
        reply = other.send([good] * (records.MAX_RECORDS + 1))
        expected = (400, b"at most 2000")
    elif problem == "malformed":
        reply = other.send([good, {**good, "id": "c-2", "version": "two"}])
        expected = (400, b"version must be a positive whole number")
    elif problem == "admin":  # a device may not hand out admin accounts to the school's other servers
        admin = {**good, "kind": "account", "id": "a-new", "data": {"username": "boss", "display_name": "Boss",
                                                                   "role": "admin", "profile": {}}}
        reply = other.send([good, admin])
        expected = (400, b"learner or a coach")
    elif problem == "forged":
        body = protocol.encode({"type": "roster", "school_id": other.school_id, "since": 0, "records": [good]})
        headers = _signed_headers(Ed25519PrivateKey.generate(), other.device_id, "/sync/v1/roster", body)
        reply = other.transport.post("/sync/v1/roster", body, headers)
        expected = (403, b"signature")
    else:
        reply = other.send([good], school_id="00000000-0000-4000-8000-000000000000")
        expected = (403, b"another school")
    assert (reply.status, expected[1] in reply.body) == (expected[0], True)
    assert _hub_records(hub, school["school_id"]) == before


# --- packs -------------------------------------------------------------------------------------

class RecordingTransport(HttpTransport):
    """The real HTTP transport, noting each download's Range and status; optionally cut after N bytes."""

    def __init__(self, url: str, cut_after: int | None = None):
        super().__init__(url, timeout=10)
        self.cut_after, self.downloads = cut_after, []

    def open(self, path, headers):
        download, outer = super().open(path, headers), self

        class Cut:
            def __enter__(self):
                self.inner, self.read_so_far = download.__enter__(), 0
                outer.downloads.append((headers.get("Range"), self.inner.status))
                return self

            @property
            def status(self):
                return self.inner.status

            def read(self, size):
                if outer.cut_after is not None and self.read_so_far >= outer.cut_after:
                    raise ConnectionResetError("connection reset by peer")
                chunk = self.inner.read(min(size, outer.cut_after - self.read_so_far) if outer.cut_after else size)
                self.read_so_far += len(chunk)
                return chunk

            def __exit__(self, *exc):
                return download.__exit__(*exc)

        return Cut()


@pytest.fixture
def offered(app, built_packs, hub):  # noqa: F811
    """A school without packs, paired with the hub, which offers one pack."""
    data_dir = app.config["DATA_DIR"]
    with database.connection_context():
        pair(HttpTransport(hub["url"]), new_code(hub), data_dir)
        set_state("hub_url", hub["url"])
    pack_file = built_packs["fractions-en"]
    out = run("hub", "offer-pack", "--data", str(hub["data"]), str(pack_file)).stdout
    sha = re.search(r"SHA-256 ([0-9a-f]{64})", out).group(1)
    yield {"data": data_dir, "sha": sha, "size": pack_file.stat().st_size, "file": pack_file}
    run("hub", "withdraw-pack", "--data", str(hub["data"]), "fractions")


def _installed() -> list[str]:
    with database.connection_context():
        return [p.pack_id for p in PackVersion.select().where(PackVersion.is_active)]


def test_a_cut_download_resumes_with_a_range_request_then_imports(offered, hub):  # noqa: F811
    half = offered["size"] // 2
    cutting = RecordingTransport(hub["url"], cut_after=half)
    with database.connection_context(), pytest.raises(SyncError, match="interrupted"):
        fetch_packs(cutting, offered["data"], Library(offered["data"]))
    part = downloads_dir(offered["data"]) / f"{offered['sha']}.part"
    assert part.stat().st_size == half and cutting.downloads == [("bytes=0-", 206)]
    assert _installed() == []
    resuming = RecordingTransport(hub["url"])
    with database.connection_context():
        result = fetch_packs(resuming, offered["data"], Library(offered["data"]))
    assert resuming.downloads == [(f"bytes={half}-", 206)]  # only the rest was asked for
    assert result.imported and _installed() == ["fractions"] and not part.exists()
    with database.connection_context():  # a second pass: nothing wanted, nothing downloaded
        again = fetch_packs(resuming, offered["data"], Library(offered["data"]))
    assert again.imported == [] and len(resuming.downloads) == 1


def test_a_download_that_does_not_match_its_hash_is_refused(offered, hub):  # noqa: F811
    stored = next((hub["data"] / "offered-packs").glob(f"{offered['sha']}*"))
    original = stored.read_bytes()
    stored.write_bytes(original[:-10] + bytes(10))  # damaged on the hub's disk, same size
    try:
        with database.connection_context(), pytest.raises(SyncError, match="SHA-256 does not match"):
            fetch_packs(RecordingTransport(hub["url"]), offered["data"], Library(offered["data"]))
    finally:
        stored.write_bytes(original)
    assert _installed() == [] and list(downloads_dir(offered["data"]).iterdir()) == []


def test_a_pack_that_fails_to_import_is_not_downloaded_again(app, built_packs, hub, tmp_path):  # noqa: F811
    """A pixel bomb passes the hub's checks (verification) but not the school's import (preparing images):
    the school remembers that file and does not spend its metered bytes on it every pass."""
    import hashlib

    from tests.packtools import rewrite_pack
    from tests.test_packs import _png_header

    bomb = _png_header(64250, 64250)

    def add_bomb(m):
        m["files"].append({"path": "images/bomb.png", "size": len(bomb), "sha256": hashlib.sha256(bomb).hexdigest()})

    bad = rewrite_pack(built_packs["fractions-en"], tmp_path / "bomb.lantern", edit_manifest=add_bomb,
                       extra={"images/bomb.png": bomb})
    data_dir = app.config["DATA_DIR"]
    with database.connection_context():
        pair(HttpTransport(hub["url"]), new_code(hub), data_dir)
    run("hub", "offer-pack", "--data", str(hub["data"]), str(bad))
    try:
        transport = RecordingTransport(hub["url"])
        with database.connection_context():
            first = fetch_packs(transport, data_dir, Library(data_dir))
            assert first.imported == [] and "images/bomb.png" in first.refused[0]
            again = fetch_packs(transport, data_dir, Library(data_dir))
        assert again.refused == [] and len(transport.downloads) == 1  # not fetched a second time
        assert _installed() == [] and list(downloads_dir(data_dir).iterdir()) == []
    finally:
        run("hub", "withdraw-pack", "--data", str(hub["data"]), "fractions")


def test_partial_downloads_of_packs_no_longer_offered_are_removed(offered, hub):  # noqa: F811
    folder = downloads_dir(offered["data"])
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / f"{'a' * 64}.part"
    stale.write_bytes(b"x" * 1000)
    run("hub", "withdraw-pack", "--data", str(hub["data"]), "fractions")
    with database.connection_context():
        result = fetch_packs(RecordingTransport(hub["url"]), offered["data"], Library(offered["data"]))
    assert result.imported == [] and not stale.exists()


def test_an_unsigned_pack_download_is_refused(offered, hub):  # noqa: F811
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{hub['url']}/sync/v1/packs/{offered['sha']}", timeout=10)
    refused.value.close()
    assert refused.value.code == 403


def test_sync_run_does_the_whole_pass_and_resumes_after_a_restart(offered, hub):  # noqa: F811
    with database.connection_context(), pytest.raises(SyncError, match="interrupted"):
        fetch_packs(RecordingTransport(hub["url"], cut_after=1000), offered["data"], Library(offered["data"]))
    part = downloads_dir(offered["data"]) / f"{offered['sha']}.part"
    run("pack", "list", "--data", str(offered["data"]))  # a process start (housekeeping) keeps the partial file
    assert part.stat().st_size == 1000
    out = run("sync", "run", "--data", str(offered["data"])).stdout
    assert re.search(r"Sent \d+ events, \d+ uploads and \d+ roster changes", out) and "imported" in out
    assert _installed() == ["fractions"] and not part.exists()


@pytest.mark.parametrize("bad", [
    {"role": "admin"}, {"username": ""}, {"classroom_id": 7}, {"profile": "x"},
])
def test_a_malformed_pulled_batch_is_refused_whole(demo_app, people, bad):
    with database.connection_context():
        classroom = Classroom.select().first()
        renamed = {**_wire("class", classroom), "data": {"name": "Never applied"}}
        renamed["version"] += 1
        account = _wire("account", Account.get_by_id(people["amina"].id))
        account["version"] += 1
        account["data"] = {**account["data"], **bad}
        with pytest.raises(SyncError):
            with database.atomic():
                records.apply_records([renamed, account])
        assert Classroom.get_by_id(classroom.id).name != "Never applied"
        assert Account.get_by_id(people["amina"].id).role == "learner"


@pytest.mark.parametrize("catalogue", [
    None, "packs", [{"pack_id": "../etc", "version": "1", "sha256": "0" * 64, "size": 10}],
    [{"pack_id": "p", "version": "1", "sha256": "xyz", "size": 10}],
    [{"pack_id": "p", "version": "1", "sha256": "0" * 64, "size": 10 * 1024**3}],
])
def test_a_malformed_catalogue_is_refused(catalogue):
    from sync.packs import check_catalogue

    with pytest.raises(SyncError):
        check_catalogue(catalogue)


@pytest.mark.parametrize("bad", [
    {"id": "c\x00"}, {"id": "\ud800"}, {"updated_by": "d\x00"}, {"data": {"name": "\ud800x"}},
    {"data": {"name": float("nan")}}, {"updated_at": "yesterday"}, {"deleted": "no"}, {"kind": "school"},
])
def test_records_a_database_could_not_store_are_refused(bad):
    good = {"kind": "class", "id": "c1", "version": 1, "updated_at": "2026-01-01T00:00:00", "updated_by": "",
            "deleted": False, "data": {"name": "Darasa"}}
    assert records.check_records([good])[0]["updated_at"] == "2026-01-01T00:00:00.000000"
    with pytest.raises(SyncError):
        records.check_records([{**good, **bad}])

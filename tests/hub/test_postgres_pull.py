"""The pull half of sync on real PostgreSQL, through two hub processes sharing one database:
roster changes sent to one process arrive through the other, last-writer-wins, and a pack
offered on the shared data folder downloads (with Range) from either."""
import re
import subprocess

import pytest

from server.db import database
from server.errors import SyncError
from server.models import Classroom, PackVersion, SyncState
from server.content.packs.install import Library
from sync import records
from sync.client import pair
from sync.pull import exchange_roster, fetch_packs
from sync.transport import HttpTransport
from tests.hub.test_postgres_hub import _code, hubs, pg_url  # noqa: F401  (module-scoped fixtures)
from tests.test_cli import LANTERN
from tests.test_sync_pull import OtherDevice, RecordingTransport


def _lantern(hubs, *args) -> str:  # noqa: F811
    return subprocess.run([LANTERN, *args, "--data", str(hubs["data"])], env=hubs["env"], capture_output=True,
                          text=True, timeout=120, check=True).stdout


def test_roster_and_packs_through_two_hub_processes_on_postgresql(hubs, app, people, built_packs):  # noqa: F811
    data = app.config["DATA_DIR"]
    first, second = (HttpTransport(url) for url in hubs["urls"])
    with database.connection_context():
        pair(first, _code(hubs), data)
        school_id = SyncState.get(SyncState.key == "hub_school_id").value
        sent = exchange_roster(first, data)
        classroom = Classroom.select().first()
        wire = next(r for r in records.local_records() if r["id"] == classroom.id)
    assert sent.sent > 1
    code = re.search(r"Pairing code: (\S+)", _lantern(hubs, "hub", "new-code", school_id)).group(1)
    other = OtherDevice(hubs["urls"][1], code)
    for name, version in (("Ziwa B", wire["version"] + 2), ("Too old", wire["version"] + 1)):
        change = {**wire, "version": version, "updated_by": other.device_id, "data": {"name": name}}
        assert other.send([change]).status == 200
    with database.connection_context():
        assert exchange_roster(second, data).applied == 1
        assert Classroom.get_by_id(classroom.id).name == "Ziwa B"
        assert exchange_roster(first, data).applied == 0

    out = _lantern(hubs, "hub", "offer-pack", str(built_packs["hesabu-sw"]))
    assert "Offering" in out
    half = built_packs["hesabu-sw"].stat().st_size // 2
    cutting = RecordingTransport(hubs["urls"][0], cut_after=half)
    with database.connection_context():
        with pytest.raises(SyncError, match="interrupted"):
            fetch_packs(cutting, data, Library(data))
        resuming = RecordingTransport(hubs["urls"][1])
        result = fetch_packs(resuming, data, Library(data))
        assert resuming.downloads == [(f"bytes={half}-", 206)] and result.imported
        assert PackVersion.select().where(PackVersion.is_active).count() == 1


def test_results_pages_on_postgresql(hubs, demo_app, people):  # noqa: F811
    import http.cookiejar
    import urllib.parse
    import urllib.request

    from server.learning.progress import record_event
    from sync.client import push_pending

    data = demo_app.config["DATA_DIR"]
    with database.connection_context():
        pair(HttpTransport(hubs["urls"][0]), _code(hubs), data)
        school_id = SyncState.get(SyncState.key == "hub_school_id").value
        for n in range(4):
            record_event(people["amina"].id, "answer", {"pack_id": "fractions", "item_id": f"r{n}",
                                                        "skill_id": "halves", "correct": n < 3, "score": 1.0})
        push_pending(HttpTransport(hubs["urls"][0]), data)
        exchange_roster(HttpTransport(hubs["urls"][0]), data)
        class_name = Classroom.get_by_id(people["amina"].classroom_id).name
    base = hubs["urls"][1]
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    token = re.search(r'name="csrf" value="([^"]+)"', opener.open(base + "/setup").read().decode()).group(1)
    opener.open(base + "/setup", urllib.parse.urlencode(
        {"csrf": token, "school_name": "Ziwa District", "language": "en", "username": "operator",
         "password": "district-pass", "password2": "district-pass"}).encode())
    assert school_id in opener.open(base + "/hub/results").read().decode()
    page = opener.open(f"{base}/hub/results/{school_id}").read().decode()
    assert re.search(re.escape(class_name) + r"</th><td>fractions</td><td>halves</td><td>4</td><td>75 %</td>", page)

"""A learner's uploaded work (a hand-in's photo) travels to a real hub after its event, once; the hub keeps
only files a hand-in of that school names, and erases them with the learner."""
import hashlib

from server.db import database
from server.identity import device_key
from server.models import Account
from server.content.packs.install import Library
from server.privacy import erase_learner
from sync.client import _signed_headers, pair
from sync.pull import sync_pass
from sync.state import get_state
from sync.transport import HttpTransport
from tests.test_sync import hub, new_code  # noqa: F401  (the module-scoped hub fixture)
from tests.test_uploads import hand_in, handins_of, jpeg_with_gps, project  # noqa: F401  (fixture)


def _hub_has(hub, sha: str) -> bool:  # noqa: F811
    return (hub["data"] / "blobs" / sha[:2] / sha).is_file()


def _post_upload(hub, data_dir, sha: str, data: bytes):  # noqa: F811
    with database.connection_context():
        device = get_state("hub_device_id")
    path = f"/sync/v1/upload/{sha}"
    return HttpTransport(hub["url"]).post(path, data, _signed_headers(device_key(data_dir), device, path, data))


def test_a_photo_reaches_the_hub_once_and_is_erased_there_with_the_learner(demo_app, people, browser_for,
                                                                          project, hub):  # noqa: F811
    data_dir = demo_app.config["DATA_DIR"]
    with database.connection_context():
        pair(HttpTransport(hub["url"]), new_code(hub), data_dir)
    assert hand_in(browser_for("amina"), project.id, photo=(jpeg_with_gps((800, 600)), "garden.jpg")).status_code == 303
    sha = handins_of(people["amina"])[0].upload_sha256
    # Before its event is on the hub, the upload is refused (404) and nothing is stored.
    assert _post_upload(hub, data_dir, sha, (data_dir / "blobs" / sha[:2] / sha).read_bytes()).status == 404
    assert not _hub_has(hub, sha)
    with database.connection_context():
        first = sync_pass(HttpTransport(hub["url"]), data_dir, Library(data_dir))
        second = sync_pass(HttpTransport(hub["url"]), data_dir, Library(data_dir))
    assert first.uploads == 1 and second.uploads == 0 and _hub_has(hub, sha)
    # A file no hand-in names, or bytes that do not match their address, are refused and not stored.
    stray = b"not a hand-in" * 100
    assert _post_upload(hub, data_dir, hashlib.sha256(stray).hexdigest(), stray).status == 404
    assert _post_upload(hub, data_dir, "0" * 64, stray).status == 400
    assert not _hub_has(hub, hashlib.sha256(stray).hexdigest())
    with database.connection_context():
        erase_learner(Account.get_by_id(people["amina"].id), people["admin"], data_dir)
        sync_pass(HttpTransport(hub["url"]), data_dir, Library(data_dir))
    assert not _hub_has(hub, sha)


def test_by_usb_stick_the_photos_travel_beside_the_bundle_and_only_named_intact_ones_are_kept(
        demo_app, people, browser_for, project, tmp_path):  # noqa: F811
    import re

    from sync.bundle import export_school_bundle
    from tests.test_cli import run

    hub_data, stick = tmp_path / "hub", tmp_path / "stick"
    code = re.search(r"Pairing code: (\S+)", run("hub", "add-school", "--data", str(hub_data), "Shule").stdout).group(1)
    hand_in(browser_for("amina"), project.id, photo=(jpeg_with_gps((640, 480)), "a.jpg"))
    hand_in(browser_for("juma"), project.id, photo=(jpeg_with_gps((480, 640)), "b.jpg"))
    amina_sha = handins_of(people["amina"])[0].upload_sha256
    juma_sha = handins_of(people["juma"])[0].upload_sha256
    with database.connection_context():
        sent = export_school_bundle(demo_app.config["DATA_DIR"], stick, code=code)
    assert "2 uploaded files beside it" in sent.message
    beside = stick / f"lantern-upload-{juma_sha}.bin"
    beside.write_bytes(beside.read_bytes()[:-100] + b"\0" * 100)  # damaged on the way: same name, wrong bytes
    stray = stick / f"lantern-upload-{'e' * 64}.bin"
    stray.write_bytes(b"a file nobody's hand-in names")
    out = run("sync", "import", "--data", str(hub_data), str(sent.path)).stdout
    assert "1 uploaded files" in out
    assert _hub_has({"data": hub_data}, amina_sha)
    assert not _hub_has({"data": hub_data}, juma_sha) and not _hub_has({"data": hub_data}, "e" * 64)

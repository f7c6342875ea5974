"""Saving to a USB stick from the admin page: a verified backup, the results for the hub, and clear
refusals for a full or read-only stick with nothing half-written. Temp folders are the mount roots;
the full and read-only sticks are real small filesystems (tmpfs) where the machine allows mounting."""
import contextlib
import subprocess
import time
from pathlib import Path

import pytest

from server.device.backup import verify_backup
from server.db import database
from server.learning.progress import record_event
from server.device.usb_export import find_drives, prune_backups
from sync.state import set_state


@pytest.fixture
def sticks(tmp_path, demo_app):
    root = tmp_path / "media"
    (root / "usb0").mkdir(parents=True)
    demo_app.config["USB_ROOTS"] = [str(root)]
    return root


def _finish(browser, response):
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    url = response.headers["Location"]
    for _ in range(200):
        page = browser.get(url)
        if "Refresh" not in page.headers:
            return page.get_data(as_text=True)
        assert page.headers["Refresh"] == "2"  # the page refreshes itself; no JavaScript
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_usb_page_offers_backup_and_says_how_to_pair(demo_app, browser_for, sticks):
    html = browser_for("admin").get("/admin/usb").get_data(as_text=True)
    assert str(sticks / "usb0") in html and "Save a backup to this stick" in html
    assert "Save results for the hub to this stick" not in html  # not paired yet
    assert "this server must first be paired with the hub" in html


def test_backup_to_the_stick_is_verified_and_shown_in_device_status(demo_app, browser_for, people, sticks):
    with database.connection_context():
        record_event(people["amina"].id, "lesson_opened", {"pack_id": "fractions", "lesson_id": "x"})
    admin = browser_for("admin")
    text = _finish(admin, admin.post("/admin/usb/backup", data={"drive": str(sticks / "usb0")}))
    assert "Backup saved and checked" in text and "MB" in text
    folders = list((sticks / "usb0" / "lantern-backups").glob("test-school-*"))
    assert len(folders) == 1 and str(folders[0]) in text
    assert verify_backup(folders[0])["events"] >= 1
    assert not list((sticks / "usb0" / "lantern-backups").glob(".partial-*"))
    status = admin.get("/admin/status").get_data(as_text=True)
    assert "No backup has been made" not in status


def test_results_for_the_hub_go_to_the_stick_when_paired(demo_app, browser_for, people, sticks):
    with database.connection_context():
        set_state("pending_code", "ABCD-1234")  # pairing by USB started with the district's code
        record_event(people["amina"].id, "lesson_opened", {"pack_id": "fractions", "lesson_id": "x"})
    admin = browser_for("admin")
    assert "Save results for the hub to this stick" in admin.get("/admin/usb").get_data(as_text=True)
    text = _finish(admin, admin.post("/admin/usb/bundle", data={"drive": str(sticks / "usb0")}))
    assert "Results saved for the hub" in text
    bundles = list((sticks / "usb0" / "lantern-sync").glob("lantern-results-*.lsync"))
    assert len(bundles) == 1 and not list((sticks / "usb0" / "lantern-sync").glob(".*.part"))


def test_unpaired_bundle_and_foreign_paths_are_refused(demo_app, browser_for, sticks, tmp_path):
    admin = browser_for("admin")
    refused = admin.post("/admin/usb/bundle", data={"drive": str(sticks / "usb0")})
    assert refused.status_code == 400 and "not paired" in refused.get_data(as_text=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for drive in (str(outside), str(sticks / "usb0" / ".." / ".." / "elsewhere"), ""):
        response = admin.post("/admin/usb/backup", data={"drive": drive})
        assert response.status_code == 400 and "no longer there" in response.get_data(as_text=True)
    assert not list(outside.iterdir())


def test_a_stick_without_room_is_refused_with_nothing_written(demo_app, browser_for, sticks):
    demo_app.config["USB_RESERVE_BYTES"] = 10**15  # "full": keep more free than any stick has
    admin = browser_for("admin")
    text = _finish(admin, admin.post("/admin/usb/backup", data={"drive": str(sticks / "usb0")}))
    assert "Nothing was written." in text and "too full" in text
    assert list((sticks / "usb0").iterdir()) == []


@contextlib.contextmanager
def _tmpfs(where: Path, options: str):
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small test filesystem here ({done.stderr.decode().strip()}); "
                    "the full and read-only stick checks need root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_read_only_stick_is_refused(demo_app, browser_for, sticks):
    with _tmpfs(sticks / "locked", "ro,size=1m") as locked:
        drives = {d.path: d for d in find_drives([sticks])}
        assert drives[locked].writable is False and drives[sticks / "usb0"].writable is True
        admin = browser_for("admin")
        html = admin.get("/admin/usb").get_data(as_text=True)
        assert "read-only or locked" in html
        text = _finish(admin, admin.post("/admin/usb/backup", data={"drive": str(locked)}))
        assert "read-only" in text and "Nothing was written." in text


def test_a_really_full_stick_is_refused_and_left_clean(demo_app, browser_for, sticks):
    demo_app.config["USB_RESERVE_BYTES"] = 0
    with _tmpfs(sticks / "tiny", "size=256k") as tiny:
        admin = browser_for("admin")
        text = _finish(admin, admin.post("/admin/usb/backup", data={"drive": str(tiny)}))
        assert "too full" in text and list(tiny.iterdir()) == []
        with database.connection_context():
            set_state("pending_code", "ABCD-1234")
        (tiny / "filler").write_bytes(b"\0" * (256 * 1024 - 8192))  # leave a few KB: the bundle does not fit
        from server.models import Account
        with database.connection_context():
            amina = Account.get(Account.username == "amina")
            for n in range(400):
                record_event(amina.id, "lesson_opened", {"pack_id": "fractions", "lesson_id": f"lesson-{n}-{'x' * 40}"})
        text = _finish(admin, admin.post("/admin/usb/bundle", data={"drive": str(tiny)}))
        assert "became full" in text and "Nothing was written." in text
        assert sorted(p.name for p in tiny.rglob("*") if p.is_file()) == ["filler"]


def test_old_backups_are_pruned_and_their_media_dropped(demo_app, tmp_path):
    from datetime import datetime

    from server.device.backup import make_backup

    dest = tmp_path / "stick" / "lantern-backups"
    for day in range(1, 5):
        make_backup(demo_app.config["DATA_DIR"], dest, now=datetime(2030, 1, day), name=f"test-school-2030-01-0{day}")
    (dest / "blobs" / "ff").mkdir()
    (dest / "blobs" / "ff" / ("f" * 64)).write_bytes(b"orphan")
    removed = prune_backups(dest, "Test School", keep=2)
    assert [p.name for p in removed] == ["test-school-2030-01-01", "test-school-2030-01-02"]
    assert sorted(p.name for p in dest.glob("test-school-*")) == ["test-school-2030-01-03", "test-school-2030-01-04"]
    assert not (dest / "blobs" / "ff" / ("f" * 64)).exists()
    for folder in dest.glob("test-school-*"):
        verify_backup(folder)  # the kept backups still have every media file they need

"""The automatic daily backup: once a day to a plugged-in stick, verified, the newest seven kept.
Temp folders are the mount roots and the clock is injected: nothing sleeps."""
from datetime import datetime, timedelta

import pytest

from server.device.auto_backup import DailyBackup
from server.device.backup import last_backup, verify_backup


class Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


@pytest.fixture
def media(tmp_path, demo_app):
    root = tmp_path / "media"
    root.mkdir()
    demo_app.config["USB_ROOTS"] = [str(root)]
    return root


def test_no_stick_no_backup_then_one_a_day_keeping_seven(demo_app, media, browser_for):
    clock = Clock(datetime(2030, 3, 1, 14, 0))
    agent = DailyBackup(demo_app.config, clock=clock)
    assert agent.try_once() == "no writable USB stick with enough room"
    assert last_backup(demo_app.config["DATA_DIR"]) is None

    stick = media / "usb0"
    stick.mkdir()
    assert agent.try_once().startswith("saved ")
    folder = stick / "lantern-backups" / "test-school-2030-03-01"
    assert verify_backup(folder)["created_at"] == "20300301-140000"
    assert agent.try_once() == "already backed up today"
    clock.now += timedelta(hours=9)  # still the same day
    assert agent.try_once() == "already backed up today"

    for _ in range(9):
        clock.now += timedelta(days=1)
        assert agent.try_once().startswith("saved ")
    kept = sorted(p.name for p in (stick / "lantern-backups").glob("test-school-*"))
    assert len(kept) == 7 and kept[0] == "test-school-2030-03-04" and kept[-1] == "test-school-2030-03-10"
    for name in kept:
        verify_backup(stick / "lantern-backups" / name)

    # The device status page shows this backup as the last one.
    assert last_backup(demo_app.config["DATA_DIR"])["folder"].endswith("test-school-2030-03-10")
    html = browser_for("admin").get("/admin/status").get_data(as_text=True)
    assert "No backup has been made" not in html


def test_a_stick_without_room_is_skipped_and_another_used(demo_app, media):
    (media / "full").mkdir()
    agent = DailyBackup(demo_app.config, clock=Clock(datetime(2030, 3, 1, 9, 0)))
    demo_app.config["USB_RESERVE_BYTES"] = 10**15
    assert agent.try_once() == "no writable USB stick with enough room"
    assert list((media / "full").iterdir()) == []
    demo_app.config["USB_RESERVE_BYTES"] = 0
    assert agent.try_once().startswith(f"saved {media / 'full'}")


def test_the_thread_stops_when_asked(demo_app, media):
    agent = DailyBackup(demo_app.config, clock=Clock(datetime(2030, 3, 1)))
    agent.stop()
    agent.start()  # stopping before the first look: it returns at once
    agent.join(timeout=5)
    assert not agent.is_alive()

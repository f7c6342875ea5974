"""Backups: verified copies that restore to a working server; damage is detected, not restored."""
import sqlite3

import pytest

from server.device.backup import BackupError, last_backup, make_backup, restore_backup, verify_backup
from server.db import database
from server.models import Event
from server.learning.progress import record_event
from tests.test_cli import run


@pytest.fixture
def school_with_answers(demo_app, people):
    with database.connection_context():
        for n in range(5):
            record_event(people["amina"].id, "answer", {"pack_id": "fractions", "item_id": f"x{n}",
                                                        "skill_id": None, "correct": True, "score": 1})
        return Event.select().count()


def test_backup_is_verified_shares_media_and_restores(demo_app, school_with_answers, tmp_path):
    data = demo_app.config["DATA_DIR"]
    stick = tmp_path / "stick"
    first = make_backup(data, stick)
    assert first.events == school_with_answers and first.blobs > 0
    assert verify_backup(first.folder)["events"] == school_with_answers
    blob_files = sorted(p.name for p in (stick / "blobs").rglob("*") if p.is_file())
    from datetime import datetime
    second = make_backup(data, stick, now=datetime(2030, 1, 1))
    assert second.folder != first.folder
    assert sorted(p.name for p in (stick / "blobs").rglob("*") if p.is_file()) == blob_files  # shared, not copied twice
    assert last_backup(data)["folder"] == str(second.folder)

    fresh = tmp_path / "restored"
    fresh.mkdir()
    restore_backup(first.folder, fresh)
    connection = sqlite3.connect(fresh / "lantern.db")
    assert connection.execute("SELECT COUNT(*) FROM event").fetchone()[0] == school_with_answers
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()


@pytest.mark.parametrize("damage", ["blob", "database", "manifest"])
def test_damaged_backups_are_refused_with_a_reason(demo_app, school_with_answers, tmp_path, damage):
    report = make_backup(demo_app.config["DATA_DIR"], tmp_path / "stick")
    if damage == "blob":
        victim = next(p for p in (tmp_path / "stick" / "blobs").rglob("*") if p.is_file())
        victim.write_bytes(victim.read_bytes() + b"x")
        expected = "missing or damaged on the stick"
    elif damage == "database":
        with open(report.folder / "lantern.db", "r+b") as fh:
            fh.seek(200)
            fh.write(b"\xff" * 16)
        expected = "database copy is damaged"
    else:
        (report.folder / "backup.json").write_text("{")
        expected = "not a Lantern backup"
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(BackupError, match=expected):
        restore_backup(report.folder, target)
    assert not (target / "lantern.db").exists()


def test_backup_and_restore_commands(tmp_path):
    data, stick = tmp_path / "data", tmp_path / "stick"
    from tests.conftest import REPO

    pack = tmp_path / "f.lantern"
    run("pack", "build", str(REPO / "content_packs" / "fractions-en"), "-o", str(pack))
    run("pack", "import", "--data", str(data), str(pack))
    out = run("backup", "--data", str(data), "--to", str(stick)).stdout
    assert "Backup written and verified" in out
    folder = next(stick.glob("lantern-backup-*"))
    restored = run("restore", "--data", str(tmp_path / "other"), str(folder)).stdout
    assert "Restored the backup" in restored
    assert run("pack", "list", "--data", str(tmp_path / "other")).stdout.startswith("fractions\t")

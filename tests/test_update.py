"""Offline kit and update: `lantern wheelhouse` writes what a machine with no internet needs, and
`lantern update --from KIT` installs it beside the current version, keeps every bit of data (the
previous release's database, a fixture), and puts everything back when a step fails.

Making the kit downloads the pinned wheels once (pip, from the package registry): those tests are
skipped, saying so, when the registry cannot be reached. The update itself then runs offline."""
import gzip
import json
import shutil
import sqlite3
import subprocess
import tarfile

import pytest

from server.device.update import UpdateError, apply_update, copy_database, write_kit
from tests.conftest import REPO
from tests.test_cli import run

FIXTURE = REPO / "tests" / "fixtures" / "release-0.1.db.gz"


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """An offline kit of this checkout (wheels for this machine), made once for the module."""
    dest = tmp_path_factory.mktemp("kit") / "lantern-kit"
    try:
        write_kit(dest, REPO)
    except Exception as err:  # noqa: BLE001 - any failure here is "no registry"
        pytest.skip(f"making the kit needs the package registry (pip download), unreachable here: {err}")
    return dest


def _data_from_fixture(folder):
    folder.mkdir(parents=True)
    with gzip.open(FIXTURE) as src, open(folder / "lantern.db", "wb") as dest:
        shutil.copyfileobj(src, dest)
    return folder


def _dump(database):
    connection = sqlite3.connect(database)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def _rows(database, table):
    connection = sqlite3.connect(database)
    try:
        return sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    finally:
        connection.close()


def test_the_kit_holds_wheels_source_and_instructions(kit):
    info = json.loads((kit / "kit.json").read_text())
    names = set(info["wheels"])
    for pinned in ("flask", "peewee", "waitress", "cryptography", "setuptools"):
        assert any(n.lower().startswith(pinned) for n in names), pinned
    with tarfile.open(kit / "lantern-source.tar.gz") as archive:
        members = set(archive.getnames())
    assert {"lantern/install.sh", "lantern/server/cli/commands.py", "lantern/requirements.txt",
            "lantern/server/device/update.py"} <= members
    assert not any("/.venv/" in m or "/.git/" in m or "__pycache__" in m for m in members)
    readme = (kit / "README.txt").read_text()
    assert f"sudo ./install.sh --wheels {kit.resolve()}/wheels --service" in readme and "update.sh" in readme
    assert (kit / "update.sh").read_text().startswith("#!/bin/sh")


def test_update_from_the_previous_release_keeps_everything(kit, tmp_path):
    data = _data_from_fixture(tmp_path / "data")
    before = {t: _rows(data / "lantern.db", t) for t in ("account", "event", "answer", "skill_state",
                                                         "assignment", "pack_version")}
    current = tmp_path / "opt" / "lantern"
    current.mkdir(parents=True)
    lines = []
    report = apply_update(kit, data, current, service=None, progress=lines.append)
    assert report.new_root.parent == current.parent and (report.new_root / ".venv" / "bin" / "lantern").is_file()
    assert lines[0].startswith("1/5") and any(line.startswith("3/5") for line in lines)
    assert "up to date" in report.migrations
    for table, rows in before.items():
        after = _rows(data / "lantern.db", table)
        if table == "skill_state":  # recomputed from the event log by the new learner model (migration 7):
            rows, after = {r[:5] for r in rows}, {r[:5] for r in after}  # the same learners, skills and counts
        assert set(rows) <= set(after), table  # nothing lost
    assert _rows(report.database_copy, "event") == before["event"]  # the copy is the data as it was
    assert not list((data / "backups").glob("trial-*"))
    # The new install runs offline and sees the updated data.
    listed = subprocess.run([str(report.new_root / ".venv" / "bin" / "lantern"), "pack", "list", "--data", str(data)],
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and "fractions" in listed.stdout


def test_an_update_that_fails_changes_nothing(kit, tmp_path):
    broken = tmp_path / "broken-kit"
    shutil.copytree(kit, broken)
    shutil.rmtree(broken / "wheels")
    (broken / "wheels").mkdir()  # no wheels: the offline install of the new version fails
    data = _data_from_fixture(tmp_path / "data")
    original = (data / "lantern.db").read_bytes()
    current = tmp_path / "opt" / "lantern"
    current.mkdir(parents=True)
    with pytest.raises(UpdateError, match="stopped before changing anything"):
        apply_update(broken, data, current, service=None, progress=lambda _: None)
    assert (data / "lantern.db").read_bytes() == original
    assert sorted(p.name for p in current.parent.iterdir()) == ["lantern"]  # the half-made install is gone


def test_a_damaged_database_is_refused_before_anything_starts(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "lantern.db").write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    with pytest.raises(UpdateError):
        copy_database(data / "lantern.db", data / "backups" / "copy.db")
    assert not (data / "backups" / "copy.db").exists()


def test_not_a_kit_is_refused_in_plain_words(tmp_path):
    (tmp_path / "data").mkdir()
    result = run("update", "--from", str(tmp_path), "--data", str(tmp_path / "data"), check=False)
    assert result.returncode != 0 and "not a Lantern update kit" in result.stderr


def test_migrate_command_says_the_data_is_up_to_date(tmp_path):
    data = _data_from_fixture(tmp_path / "data")
    out = run("migrate", "--data", str(data)).stdout
    assert "is up to date" in out


def test_a_failure_while_changing_the_real_data_puts_the_database_back(kit, tmp_path):
    data = _data_from_fixture(tmp_path / "data")
    (data / "index").write_text("a file where the search index folder belongs")  # the new version cannot open it
    original = _dump(data / "lantern.db")
    current = tmp_path / "opt" / "lantern"
    current.mkdir(parents=True)
    lines = []
    with pytest.raises(UpdateError, match="previous version and its database are back") as failure:
        apply_update(kit, data, current, service=None, progress=lines.append)
    assert any(line.startswith("4/5") for line in lines)  # it got past the trial on a copy
    assert _dump(data / "lantern.db") == original  # every table and row as before, the schema too
    assert "before-update-" in failure.value.message and next((data / "backups").glob("before-update-*.db"))
    assert sorted(p.name for p in current.parent.iterdir()) == ["lantern"]


def test_update_sh_runs_the_new_code_with_the_installed_libraries(kit, tmp_path):
    broken = tmp_path / "kit-without-wheels"
    shutil.copytree(kit, broken, ignore=shutil.ignore_patterns("*.whl"))  # the install step will fail
    current = tmp_path / "opt" / "lantern"
    current.mkdir(parents=True)
    (current / ".venv").symlink_to(REPO / ".venv")  # an installed Lantern's libraries
    data = _data_from_fixture(tmp_path / "data")
    before = _dump(data / "lantern.db")
    done = subprocess.run(["sh", str(broken / "update.sh"), str(current), str(data)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and "stopped before changing anything" in done.stderr
    assert "1/5 Copying and checking the database" in done.stdout
    assert _dump(data / "lantern.db") == before
    assert sorted(p.name for p in current.parent.iterdir()) == ["lantern"]

"""Offline installation and updates: the kit a USB stick carries, and an update that can go back.

`write_kit(DIR)` (the `lantern wheelhouse --to DIR` command) writes:
  DIR/wheels/                every pinned dependency as a wheel (pip download; needs internet once)
  DIR/lantern-source.tar.gz  this version's source
  DIR/kit.json               the version and when the kit was made
  DIR/update.sh              updates an install (runs this module's update with the new code)
  DIR/README.txt             the commands to install or update with no internet

`apply_update(DIR, …)` (the `lantern update --from DIR` command), in this order:
  1. a verified copy of the database (SQLite online backup + integrity check) into DATA/backups/;
  2. the new version unpacked beside the current one (…/lantern-<version>-<time>) and installed there
     from the kit's wheels with its own install.sh (the current install is not touched);
  3. the new code's migrations tried on a copy of the database;
  4. the service stopped (if it runs under systemd), the database copied again (so a rollback loses no
     answer given meanwhile), the migrations run on the real database;
  5. the service switched to the new version and started, and checked (/healthz).
If any step fails, the database is put back from the copy of step 1, the service runs the previous
version again, and the command says what failed. Media files are never changed by an update.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from server.device import backup
from server.errors import LanternError
from server.models.base import utcnow

SOURCE = "lantern-source.tar.gz"
EXCLUDE = {".venv", ".git", "__pycache__", "lantern-data", "lantern-demo", ".pytest_cache", "node_modules"}
README = """\
Lantern {version}: install or update with no internet
=====================================================

This folder holds everything needed: the source ({source}) and every library it needs (wheels/).

Install on a new machine (a Raspberry Pi with Python 3.11 or newer), into /opt/lantern:

    sudo tar xzf {kit}/{source} -C /opt && cd /opt/lantern && sudo ./install.sh --wheels {kit}/wheels --service

(If the stick appears somewhere else than {kit}, use that folder instead.)

Update a machine that already runs Lantern (the data is kept; a failed update goes back by itself):

    sudo sh {kit}/update.sh

(or say where Lantern and its data are: sudo sh update.sh /opt/lantern /var/lib/lantern).
It copies the database first, installs the new version beside the old one, and if anything
fails it puts the old version and the database back by itself.

Made {made} on {platform}. The wheels are for {target}.
"""

UPDATE_SH = """\
#!/bin/sh
# Update Lantern from this kit, keeping all data. Run:  sudo sh update.sh [LANTERN_FOLDER] [DATA_FOLDER]
# Without arguments: the folder the lantern service runs from, and /var/lib/lantern.
set -eu
kit=$(cd "$(dirname "$0")" && pwd)
unit=/etc/systemd/system/lantern.service
current=${1:-$(sed -n 's|^ExecStart=\\(.*\\)/\\.venv/bin/lantern .*|\\1|p' "$unit" 2>/dev/null || true)}
data=${2:-/var/lib/lantern}
if [ -z "$current" ] || [ ! -x "$current/.venv/bin/python" ]; then
  echo "update.sh: say where Lantern is installed: sudo sh update.sh /path/to/lantern $data" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar xzf "$kit/lantern-source.tar.gz" -C "$tmp"
# The new version's update code runs with the current install's libraries.
PYTHONPATH="$tmp/lantern" "$current/.venv/bin/python" -c 'from server.cli.commands import main; main()' \\
  update --from "$kit" --data "$data" --current "$current"
"""


class UpdateError(LanternError):
    """An update step failed; the previous version and data are back in place."""

    status = 500


@dataclass(frozen=True)
class UpdateReport:
    new_root: Path
    database_copy: Path
    migrations: str
    service: str


# --- the kit -------------------------------------------------------------------------------------

def write_kit(dest: Path, repo: Path, *, platforms: tuple[str, ...] = (), python_version: str | None = None,
              extra_requirements: tuple[str, ...] = ()) -> dict:
    """Write wheels, source, kit.json and README.txt into dest; return kit.json's content."""
    dest, repo = Path(dest), Path(repo)
    (dest / "wheels").mkdir(parents=True, exist_ok=True)
    version = _version(repo)
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
               "-d", str(dest / "wheels"), "-r", str(repo / "requirements.txt"),
               "-r", str(repo / "requirements-build.txt")]
    for extra in extra_requirements:
        command += ["-r", str(repo / extra)]
    if platforms or python_version:  # wheels for another machine (e.g. a Pi): binary wheels only
        command += ["--only-binary=:all:"] + [f"--platform={p}" for p in platforms]
        command += [f"--python-version={python_version}"] if python_version else []
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise LanternError("Downloading the libraries failed (this step needs internet): "
                           + (done.stderr.strip().splitlines() or ["no reason given"])[-1])
    _write_source(repo, dest / SOURCE)
    info = {"version": version, "made_at": utcnow().isoformat(timespec="seconds"), "source": SOURCE,
            "wheels": sorted(p.name for p in (dest / "wheels").iterdir()),
            "target": ", ".join(platforms) or f"this machine's kind ({sys.platform}, Python "
                                                f"{sys.version_info.major}.{sys.version_info.minor})"}
    (dest / "kit.json").write_text(json.dumps(info, indent=1))
    (dest / "update.sh").write_text(UPDATE_SH)
    (dest / "README.txt").write_text(README.format(version=version, source=SOURCE, kit=dest.resolve(),
                                                   made=info["made_at"], platform=sys.platform,
                                                   target=info["target"]))
    return info


def _version(repo: Path) -> str:
    for line in (repo / "pyproject.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    return "unknown"


def _source_files(repo: Path) -> list[str]:
    """The checkout's files: tracked and new ones (git), or everything but the usual leftovers."""
    try:
        listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], capture_output=True, check=True, timeout=60).stdout
        return sorted({name for name in listed.decode().split("\0") if name and (repo / name).is_file()})
    except (OSError, subprocess.SubprocessError):
        return sorted(str(p.relative_to(repo)) for p in repo.rglob("*")
                      if p.is_file() and not EXCLUDE.intersection(p.relative_to(repo).parts))


def _write_source(repo: Path, target: Path) -> None:
    partial = target.with_name(f".{target.name}.part")
    with tarfile.open(partial, "w:gz") as archive:
        for name in _source_files(repo):
            archive.add(repo / name, arcname=f"lantern/{name}", recursive=False)
    os.replace(partial, target)


# --- the update ----------------------------------------------------------------------------------

class Systemd:
    """The lantern.service unit: stop, start, switch versions, check it answers."""

    def __init__(self, unit_path: Path = Path("/etc/systemd/system/lantern.service"), port: int = 8080,
                 user: str = "lantern"):
        self.unit_path, self.port, self.user = Path(unit_path), port, user

    @staticmethod
    def present() -> bool:
        """True when this machine runs systemd and has the lantern service installed."""
        return Path("/run/systemd/system").is_dir() and Path("/etc/systemd/system/lantern.service").is_file()

    def _ctl(self, *args: str) -> None:
        subprocess.run(["systemctl", *args], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        self._ctl("stop", "lantern.service")

    def switch_to(self, root: Path, data_dir: Path) -> None:
        unit = subprocess.run([str(root / ".venv" / "bin" / "lantern"), "service-unit", "--data", str(data_dir),
                               "--user", self.user, "--port", str(self.port)],
                              check=True, capture_output=True, text=True, timeout=120).stdout
        partial = self.unit_path.with_name(f".{self.unit_path.name}.part")
        partial.write_text(unit)
        os.replace(partial, self.unit_path)
        self._ctl("daemon-reload")

    def start(self) -> None:
        self._ctl("start", "lantern.service")

    def healthy(self, wait: float = 60.0) -> bool:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(1)
        return False


def apply_update(kit: Path, data_dir: Path, current_root: Path, service: Systemd | None = None,
                 progress=print) -> UpdateReport:
    """Install the kit's version beside the current one and move the data to it; go back on failure."""
    kit, data_dir, current_root = Path(kit).resolve(), Path(data_dir).resolve(), Path(current_root).resolve()
    info = _read_kit(kit)
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    database = data_dir / "lantern.db"
    if not database.is_file():
        raise UpdateError(f"There is no Lantern database in {data_dir}: check --data.")
    progress("1/5 Copying and checking the database…")
    copy = data_dir / "backups" / f"before-update-{stamp}.db"
    copy_database(database, copy)
    new_root = current_root.parent / f"lantern-{info['version']}-{stamp}"
    try:
        progress(f"2/5 Installing Lantern {info['version']} in {new_root} from the kit's wheels…")
        _install(kit, info, new_root)
        progress("3/5 Trying the database changes on a copy…")
        _trial(new_root, copy, data_dir / "backups" / f"trial-{stamp}")
        if service:
            progress("4/5 Stopping the server for a moment…")
            service.stop()
        # Copy again now that nothing writes: answers given during steps 1-3 are in the copy a rollback restores.
        copy_database(database, copy)
    except (UpdateError, OSError, subprocess.SubprocessError) as err:
        if service:
            service.start()  # harmless when it was never stopped
        shutil.rmtree(new_root, ignore_errors=True)
        raise UpdateError(f"The update stopped before changing anything: {_words(err)} "
                          "Lantern keeps running the previous version.") from None
    migrations = _switch(new_root, current_root, data_dir, copy, service, progress)
    return UpdateReport(new_root, copy, migrations, "restarted" if service else "not a service")


def _trial(new_root: Path, copy: Path, trial: Path) -> None:
    """Run the new version's migrations on a throw-away copy of the database."""
    try:
        trial.mkdir(parents=True)
        shutil.copyfile(copy, trial / "lantern.db")
        _migrate(new_root, trial)
    finally:
        shutil.rmtree(trial, ignore_errors=True)


def _switch(new_root: Path, current_root: Path, data_dir: Path, copy: Path, service: Systemd | None,
            progress) -> str:
    """Migrate the real database and start the new version; on failure put the old one back and raise."""
    try:
        progress("4/5 Updating the database…")
        migrations = _migrate(new_root, data_dir)
        if service:
            progress("5/5 Starting the new version…")
            service.switch_to(new_root, data_dir)
            service.start()
            if not service.healthy():
                raise UpdateError("the new version did not answer after starting.")
        return migrations
    except (UpdateError, OSError, subprocess.SubprocessError) as err:
        progress("Something went wrong: putting the previous version and database back…")
        backup.put_database_back(copy, data_dir / "lantern.db")
        if service:
            try:
                service.stop()
            except (OSError, subprocess.SubprocessError):
                pass
            service.switch_to(current_root, data_dir)
            service.start()
        shutil.rmtree(new_root, ignore_errors=True)
        raise UpdateError(f"The update failed ({_words(err)}). The previous version and its database are back; "
                          f"nothing was lost. The copy made before the update is {copy}.") from None


def _read_kit(kit: Path) -> dict:
    try:
        info = json.loads((kit / "kit.json").read_text())
    except (OSError, ValueError):
        raise UpdateError(f"{kit} is not a Lantern update kit (kit.json is missing); make one with "
                          "`lantern wheelhouse --to DIR`.") from None
    if not (kit / info.get("source", SOURCE)).is_file() or not (kit / "wheels").is_dir():
        raise UpdateError(f"The update kit in {kit} is incomplete (the source or the wheels folder is missing).")
    return info


def _install(kit: Path, info: dict, new_root: Path) -> None:
    unpack = new_root.with_name(f".{new_root.name}.unpack")
    shutil.rmtree(unpack, ignore_errors=True)
    with tarfile.open(kit / info.get("source", SOURCE)) as archive:
        archive.extractall(unpack, filter="data")  # no absolute paths, links out or device files
    os.replace(unpack / "lantern", new_root)
    shutil.rmtree(unpack, ignore_errors=True)
    done = subprocess.run(["bash", str(new_root / "install.sh"), "--wheels", str(kit / "wheels")],
                          capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "PYTHON": getattr(sys, "_base_executable", sys.executable)})
    if done.returncode != 0:
        raise UpdateError("installing the new version failed: "
                          + (done.stderr.strip().splitlines() or ["no reason given"])[-1])


def _migrate(root: Path, data_dir: Path) -> str:
    done = subprocess.run([str(root / ".venv" / "bin" / "lantern"), "migrate", "--data", str(data_dir)],
                          capture_output=True, text=True, timeout=3600,
                          env={k: v for k, v in os.environ.items() if k not in ("LANTERN_DATA", "LANTERN_DATABASE")})
    if done.returncode != 0:
        raise UpdateError("the database changes failed: "
                          + (done.stderr.strip().splitlines() or ["no reason given"])[-1])
    return done.stdout.strip()


def copy_database(source: Path, dest: Path) -> None:
    """The checked copy an update starts from (server/device/backup.py makes it); refused if damaged."""
    try:
        backup.copy_database(source, dest, check=True)
    except sqlite3.DatabaseError:
        raise UpdateError("The database failed its integrity check, so no update was started. "
                          "Restore a backup first (lantern restore).") from None


def _words(err: Exception) -> str:
    return getattr(err, "message", None) or str(err) or type(err).__name__

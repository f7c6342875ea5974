"""The `lantern` command: serve, pack build|verify|import|list|remove, backup, restore, rebuild, migrate,
wheelhouse, update; `sync` and `hub` come from server/cli/sync_hub.py.

Imports inside functions: each command loads only what it uses, so `lantern --help` and the short commands
start in 0.24 s and 32 MB instead of 0.66 s and 52 MB with every command's modules loaded (measured here;
about five times longer on a Pi 4).
"""
import logging
import sys
from pathlib import Path

import click

from server.cli.common import _data_option, _fail, _open
from server.cli.sync_hub import hub, sync
from server.config import default_data_dir, load_config
from server.errors import LanternError, PackError


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool):
    """Lantern, an offline-first learning server."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@_data_option
@click.option("--host", default="0.0.0.0", envvar="LANTERN_HOST", show_default=True)
@click.option("--port", default=8080, type=int, envvar="LANTERN_PORT", show_default=True)
@click.option("--demo", is_flag=True, help="Create a demo school with the bundled packs (in ./lantern-demo unless --data).")
@click.option("--role", type=click.Choice(["school", "hub"]), default="school", show_default=True)
@click.option("--threads", default=6, type=int, show_default=True, help="Request threads per worker.")
@click.option("--workers", type=click.IntRange(min=1), default=None, envvar="LANTERN_WORKERS",
              help="Processes serving the one port (default: one per core, 1 on a single-core board).")
@click.option("--sync-budget", type=int, default=None, envvar="LANTERN_SYNC_BUDGET",
              help="Daily byte budget for syncing over a metered link (default: none).")
@click.option("--connection-limit", type=click.IntRange(min=1), default=2000, envvar="LANTERN_CONNECTION_LIMIT",
              show_default=True, help="Open HTTP connections at once, per worker (phones keep idle ones open).")
@click.option("--idle-timeout", type=click.IntRange(min=1), default=60, envvar="LANTERN_IDLE_TIMEOUT",
              show_default=True, help="Seconds before an idle keep-alive connection is closed.")
def serve(data_dir, host, port, demo, role, threads, workers, sync_budget, connection_limit, idle_timeout):
    """Run the server under waitress."""
    from server.device.service import tune_memory
    from server.device.workers import Supervisor, default_workers, listening_socket, run_in_child

    tune_memory()  # before anything is allocated: the workers inherit the setting and the heap
    if demo and data_dir is None:
        data_dir = Path("lantern-demo")
    workers = workers or default_workers()
    config = load_config(data_dir or default_data_dir(), ROLE=role, DEMO=demo, WORKERS=workers, DATA_PREPARED=True)
    if workers == 1:
        _prepare(data_dir, role, demo)
    else:  # in a short-lived process, so the supervisor stays small (its workers start from its memory)
        run_in_child(lambda: _prepare(data_dir, role, demo))
    try:
        sock = listening_socket(host, port)
    except OSError as err:
        click.echo(f"Error: cannot listen on {host}:{port} ({err.strerror}).", err=True)
        sys.exit(1)
    options = {"threads": threads, "sync_budget": sync_budget, "connection_limit": connection_limit,
               "idle_timeout": idle_timeout}
    click.echo(f"Lantern is serving {config['DATA_DIR']} at http://{_display_host(host)}:{sock.getsockname()[1]}/"
               + (f" with {workers} workers" if workers > 1 else ""))
    if workers == 1:
        _serve_worker(config, sock, 0, **options)
        return
    sys.exit(Supervisor(workers, lambda index: _serve_worker(config, sock, index, **options)).run())


def _prepare(data_dir, role: str, demo: bool) -> None:
    """Bring the data folder up to date (migrations, leftovers, index) and make the demo school if asked."""
    config = _open(data_dir, ROLE=role, DEMO=demo)
    if demo:
        from server.cli.demo import ensure_demo

        for line in ensure_demo(config):
            click.echo(line)


def _serve_worker(config: dict, sock, index: int, threads: int, sync_budget, connection_limit: int,
                  idle_timeout: int) -> None:
    """One serving process: the app, its log, the once-per-device jobs in worker 0, waitress on `sock`."""
    import waitress

    from server import create_app
    from server.device.service import release_free_memory, waitress_options
    from server.web.request_log import setup_logging

    app = create_app({**config, "WORKER": index})
    # One line per request in DATA/logs/lantern.log, marked with the worker's number when there are several.
    setup_logging(config["DATA_DIR"], worker=index if config["WORKERS"] > 1 else None)
    if index == 0:  # once per device, not once per worker
        from server.device.maintenance import DailySweep

        DailySweep(config["DATA_DIR"]).start()  # orphan upload files, once a day
    if config["ROLE"] == "school" and index == 0:
        from server.device.auto_backup import DailyBackup
        from sync.agent import SyncAgent

        SyncAgent(config["DATA_DIR"], daily_budget=sync_budget).start()
        DailyBackup(config).start()  # a backup a day to a plugged-in USB stick
        logging.getLogger(__name__).info("worker %d runs the once-per-device jobs: sync agent, daily backup", index)
    release_free_memory()
    # Phones keep idle keep-alive connections open; at waitress's default limit of 100 a class of
    # 100+ phones locks the rest out (bench/answer_storm.py). See server/device/service.py.
    # waitress would read (and spool to disk) bodies up to 1 GB before Flask refuses them: a little over the
    # app's own limit, Flask still answers with its clear page; far over it, waitress closes the door.
    waitress.serve(app, sockets=[sock], threads=threads, ident="Lantern",
                   clear_untrusted_proxy_headers=True, _quiet=True,
                   max_request_body_size=4 * app.config["MAX_CONTENT_LENGTH"],
                   **waitress_options(connection_limit, idle_timeout))


def _display_host(host: str) -> str:
    from server.device.status import lan_address

    return lan_address() if host in ("0.0.0.0", "::") else host


@main.group()
def pack():
    """Build, verify, import, list and remove content packs."""


@pack.command("build")
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--id", "pack_id", help="Pack id (for sources without pack.yaml).")
@click.option("--version", help="Pack version, e.g. 1.0.0.")
@click.option("--language", help="Language tag, e.g. en, es, ja.")
@click.option("--strict", is_flag=True, help="Refuse a quiz file with any broken question instead of leaving it out.")
@click.option("--channel", help="Kolibri channel id, when the drive holds several.")
def pack_build(src, output, pack_id, version, language, strict, channel):
    """Turn a folder (pack.yaml, Carpentries lesson, GIFT/Aiken bank, Kolibri drive, H5P files) or an
    .imscc/.zip/.h5p file into a pack."""
    from server.content.packs.verify import verify_pack

    try:
        lines = _build_any(src, output, channel, strict=strict, id=pack_id, version=version, language=language)
        m = verify_pack(output).manifest
    except LanternError as err:
        _fail(err)
    for line in lines:
        click.echo(line)
    click.echo(f"Built {output}: {m.title} {m.version} ({len(m.lessons)} lessons, {m.item_count} practice items)")


def _build_any(src: Path, output: Path, channel: str | None, strict: bool = False, **overrides) -> list[str]:
    """Build from whichever source this is; return the lines to show (warnings, what was converted)."""
    from server.content.kolibri.drive import is_kolibri_drive

    if src.is_dir() and is_kolibri_drive(src):
        from server.content.kolibri.importing import build_channel_pack

        return build_channel_pack(src, output, channel).report()
    from server.content.h5p.convert import build_h5p_pack, h5p_sources

    if h5p_sources(src) and not (src / "pack.yaml").exists():
        return build_h5p_pack(src, output, overrides.get("id")).report()
    from server.content.packs.build import build_pack
    from server.content.packs.report import format_report

    return [format_report(build_pack(src, output, strict=strict, **overrides).report)]


@pack.command("verify")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def pack_verify(path):
    """Check a pack file or folder without installing it."""
    from server.content.packs.verify import verify_pack

    try:
        opened = verify_pack(path)
    except LanternError as err:
        _fail(err)
    m = opened.manifest
    click.echo(f"OK: {m.title} {m.version} [{m.language}], {len(m.lessons)} lessons, "
               f"{m.item_count} practice items, {opened.size_bytes / 1e6:.1f} MB, "
               f"{'signed by ' + opened.signed_by if opened.signed_by else 'unsigned'}")


@pack.command("import")
@_data_option
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--channel", help="Kolibri channel id, when the drive holds several.")
def pack_import(data_dir, path, channel):
    """Install a pack file or folder, a channel from a Kolibri drive, or .h5p files (e.g. from a USB stick)."""
    from server.content.h5p.convert import h5p_sources, import_h5p
    from server.content.kolibri.drive import is_kolibri_drive
    from server.content.kolibri.importing import import_channel
    from server.content.packs.install import Library, import_pack

    config = _open(data_dir)
    library = Library(config["DATA_DIR"], config["MIN_FREE_BYTES"])
    try:
        if path.is_dir() and is_kolibri_drive(path):
            result, _ = import_channel(path, library, channel, progress=click.echo)
        elif h5p_sources(path) and not (path / "manifest.json").exists():
            result, _ = import_h5p(path, library, progress=click.echo)
        else:
            result = import_pack(path, library, progress=click.echo)
    except LanternError as err:
        _fail(err)
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    click.echo(result.summary)


@pack.command("list")
@_data_option
def pack_list(data_dir):
    """List installed packs."""
    from server.content.packs.install import installed_packs

    _open(data_dir)
    packs = installed_packs()
    if not packs:
        click.echo("No packs installed.")
    for p in packs:
        click.echo(f"{p.pack_id}\t{p.version}\t{p.language}\t{p.lesson_count} lessons\t"
                   f"{p.item_count} items\t{'signed by ' + p.signed_by if p.signed_by else 'unsigned'}\t{p.title}")


@pack.command("remove")
@_data_option
@click.argument("pack_id")
def pack_remove(data_dir, pack_id):
    """Remove an installed pack (learners' records are kept)."""
    from server.content.packs.install import Library, remove_pack

    config = _open(data_dir)
    try:
        count = remove_pack(pack_id, Library(config["DATA_DIR"]))
    except LanternError as err:
        _fail(err)
    click.echo(f"Removed {pack_id} ({count} version(s)).")


@main.command()
@_data_option
@click.option("--to", "dest", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the backup into (e.g. a USB stick).")
def backup(data_dir, dest):
    """Copy the database and media to a folder, verified, while the server keeps running."""
    from server.device.backup import make_backup

    config = _open(data_dir)
    try:
        report = make_backup(config["DATA_DIR"], dest)
    except LanternError as err:
        _fail(err)
    click.echo(f"Backup written and verified: {report.folder} ({report.events} events, {report.blobs} files)")


@main.command()
@_data_option
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore(data_dir, folder):
    """Replace this server's data with a backup (stop the server first)."""
    from server.device.backup import restore_backup
    from server.config import load_config

    config = load_config(data_dir or default_data_dir())
    try:
        info = restore_backup(folder, config["DATA_DIR"])
    except LanternError as err:
        _fail(err)
    _open(data_dir)  # migrations and a fresh search index for the restored data
    click.echo(f"Restored the backup of {info['created_at']} ({info['events']} events).")


@main.command()
@_data_option
def migrate(data_dir):
    """Bring a data folder up to date with this version (database changes); say where it stands."""
    import sqlite3

    from server.migrations import latest_migration

    config = _open(data_dir)
    if "://" not in config["DATABASE"]:
        connection = sqlite3.connect(config["DATABASE"])
        try:
            if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                _fail(LanternError("The database failed its integrity check after the changes."))
        finally:
            connection.close()
    click.echo(f"The data in {config['DATA_DIR']} is up to date (schema {latest_migration()}).")


@main.command()
@click.option("--to", "dest", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the offline kit into (e.g. a USB stick).")
@click.option("--platform", "platforms", multiple=True,
              help="Wheels for another kind of machine, e.g. manylinux_2_28_aarch64 and manylinux2014_aarch64 for a "
                   "64-bit Raspberry Pi (repeat the option). Default: this machine.")
@click.option("--python-version", default=None, help="The other machine's Python, e.g. 3.11 (with --platform).")
@click.option("--hub", is_flag=True, help="Also the PostgreSQL driver, for a district hub.")
def wheelhouse(dest, platforms, python_version, hub):
    """Write everything needed to install or update Lantern with no internet (needs internet once)."""
    from server import REPO_ROOT
    from server.device.update import write_kit

    try:
        info = write_kit(dest, REPO_ROOT, platforms=tuple(platforms), python_version=python_version,
                         extra_requirements=("requirements-hub.txt",) if hub else ())
    except LanternError as err:
        _fail(err)
    click.echo(f"Offline kit for Lantern {info['version']} written to {dest}: {len(info['wheels'])} wheels, "
               f"the source and README.txt (the commands to install or update).")


@main.command()
@_data_option
@click.option("--from", "kit", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="The folder `lantern wheelhouse` wrote (e.g. on a USB stick).")
@click.option("--port", default=8080, type=int, show_default=True, help="The service's port (to check it after).")
@click.option("--user", default="lantern", show_default=True, help="The service's user.")
@click.option("--current", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="The Lantern folder in use now (default: the one this command comes from).")
def update(data_dir, kit, port, user, current):
    """Update to the kit's version: backup first, install beside this one, go back by itself on failure."""
    from server import REPO_ROOT
    from server.config import load_config
    from server.device.update import Systemd, apply_update

    config = load_config(data_dir or default_data_dir())
    service = Systemd(port=port, user=user) if Systemd.present() else None
    try:
        report = apply_update(kit, config["DATA_DIR"], current or REPO_ROOT, service, progress=click.echo)
    except LanternError as err:
        _fail(err)
    click.echo(f"Updated: {report.migrations}")
    click.echo(f"The new version is in {report.new_root}; the previous one stays in {current or REPO_ROOT} "
               "until you delete it.")
    click.echo(f"The database as it was before the update: {report.database_copy}")
    if service is None:
        click.echo(f"Start it with: {report.new_root / '.venv' / 'bin' / 'lantern'} serve --data {config['DATA_DIR']}")


@main.command("service-unit")
@click.option("--data", "data_dir", default="/var/lib/lantern", show_default=True)
@click.option("--user", default="lantern", show_default=True)
@click.option("--port", default=8080, type=int, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Serving processes (default: one per core).")
def service_unit(data_dir, user, port, workers):
    """Print the systemd unit that runs this install as a service."""
    from server.device.service import systemd_unit

    click.echo(systemd_unit(Path(sys.argv[0]).resolve(), Path(data_dir), user, port, workers), nl=False)


@main.command()
@_data_option
def rebuild(data_dir):
    """Recompute everything derived (progress, mastery, search index) from the source records."""
    from server.db import database
    from server.content.packs.install import Library, reindex_all
    from server.learning.progress import rebuild_all

    config = _open(data_dir)
    with database.connection_context():
        events = rebuild_all()
    count = reindex_all(Library(config["DATA_DIR"]))
    click.echo(f"Progress rebuilt from {events} events. Search index rebuilt: {count} lessons.")


main.add_command(sync)
main.add_command(hub)

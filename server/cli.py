"""The `lantern` command: serve, pack build|verify|import|list|remove, rebuild."""
import logging
import sys
from pathlib import Path

import click

from server.config import default_data_dir, load_config
from server.errors import LanternError



def _data_option(func):
    return click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
                        default=None, envvar="LANTERN_DATA", show_envvar=True,
                        help="Data folder (database, blobs, index). Default: ./lantern-data")(func)


def _open(data_dir: Path | None, **overrides) -> dict:
    """Load config for a data folder, open its database and bring it up to date."""
    from server.db import open_database
    from server.maintenance import prepare_data

    config = load_config(data_dir or default_data_dir(), **overrides)
    open_database(config["DATABASE"])
    prepare_data(config)
    return config


def _fail(err: LanternError):
    click.echo(f"Error: {err.message}", err=True)
    sys.exit(1)


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
@click.option("--threads", default=6, type=int, show_default=True)
@click.option("--sync-budget", type=int, default=None, envvar="LANTERN_SYNC_BUDGET",
              help="Daily byte budget for syncing over a metered link (default: none).")
@click.option("--connection-limit", type=click.IntRange(min=1), default=2000, envvar="LANTERN_CONNECTION_LIMIT",
              show_default=True, help="Open HTTP connections at once (phones keep idle ones open).")
@click.option("--idle-timeout", type=click.IntRange(min=1), default=60, envvar="LANTERN_IDLE_TIMEOUT",
              show_default=True, help="Seconds before an idle keep-alive connection is closed.")
def serve(data_dir, host, port, demo, role, threads, sync_budget, connection_limit, idle_timeout):
    """Run the server under waitress."""
    import waitress

    from server import create_app
    from server.service import waitress_options

    if demo and data_dir is None:
        data_dir = Path("lantern-demo")
    config = _open(data_dir, ROLE=role, DEMO=demo)
    if demo:
        from server.demo import ensure_demo

        for line in ensure_demo(config):
            click.echo(line)
    app = create_app(config)
    from server.request_log import setup_logging

    setup_logging(config["DATA_DIR"])  # one line per request in DATA/logs/lantern.log, no personal data
    if role == "school":
        from server.auto_backup import DailyBackup
        from sync.agent import SyncAgent

        SyncAgent(config["DATA_DIR"], daily_budget=sync_budget).start()
        DailyBackup(config).start()  # a backup a day to a plugged-in USB stick
    click.echo(f"Lantern is serving {config['DATA_DIR']} at http://{_display_host(host)}:{port}/")
    # Phones keep idle keep-alive connections open; at waitress's default limit of 100 a class of
    # 100+ phones locks the rest out (bench/answer_storm.py). See server/service.py.
    # waitress would read (and spool to disk) bodies up to 1 GB before Flask refuses them: a little over the
    # app's own limit, Flask still answers with its clear page; far over it, waitress closes the door.
    waitress.serve(app, host=host, port=port, threads=threads, ident="Lantern",
                   clear_untrusted_proxy_headers=True, _quiet=True,
                   max_request_body_size=4 * app.config["MAX_CONTENT_LENGTH"],
                   **waitress_options(connection_limit, idle_timeout))


def _display_host(host: str) -> str:
    from server.device import lan_address

    return lan_address() if host in ("0.0.0.0", "::") else host


@main.group()
def pack():
    """Build, verify, import, list and remove content packs."""


@pack.command("build")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--id", "pack_id", help="Pack id (for sources without pack.yaml).")
@click.option("--version", help="Pack version, e.g. 1.0.0.")
@click.option("--language", help="Language tag, e.g. en, es, ja.")
def pack_build(src, output, pack_id, version, language):
    """Turn a folder of Markdown, media and quizzes into one pack file."""
    from server.packs.build import build_pack

    try:
        result = build_pack(src, output, id=pack_id, version=version, language=language)
    except LanternError as err:
        _fail(err)
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    m = result.manifest
    click.echo(f"Built {output}: {m.title} {m.version} ({len(m.lessons)} lessons, {m.item_count} practice items)")


@pack.command("verify")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def pack_verify(path):
    """Check a pack file or folder without installing it."""
    from server.packs.verify import verify_pack

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
def pack_import(data_dir, path):
    """Install a pack file or folder (e.g. from a USB stick)."""
    from server.packs.install import Library, import_pack

    config = _open(data_dir)
    try:
        result = import_pack(path, Library(config["DATA_DIR"], config["MIN_FREE_BYTES"]), progress=click.echo)
    except LanternError as err:
        _fail(err)
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    click.echo(result.summary)


@pack.command("list")
@_data_option
def pack_list(data_dir):
    """List installed packs."""
    from server.packs.install import installed_packs

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
    from server.packs.install import Library, remove_pack

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
    from server.backup import make_backup

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
    from server.backup import restore_backup
    from server.config import load_config

    config = load_config(data_dir or default_data_dir())
    try:
        info = restore_backup(folder, config["DATA_DIR"])
    except LanternError as err:
        _fail(err)
    _open(data_dir)  # migrations and a fresh search index for the restored data
    click.echo(f"Restored the backup of {info['created_at']} ({info['events']} events).")


@main.group()
def sync():
    """Pair with the district hub and send results to it."""


@sync.command("pair")
@_data_option
@click.argument("hub_url")
@click.argument("code")
def sync_pair(data_dir, hub_url, code):
    """Register this server with the hub using the one-time pairing code."""
    from sync.client import pair
    from sync.transport import HttpTransport

    from server.db import database
    from sync.state import set_state

    config = _open(data_dir)
    with database.connection_context():
        try:
            pair(HttpTransport(hub_url), code, config["DATA_DIR"])
        except LanternError as err:
            _fail(err)
        set_state("hub_url", hub_url)
    click.echo(f"Paired with {hub_url}.")


def _paired_hub_url() -> str:
    """The hub this server syncs with, or a clear failure saying how to pair (inside a connection)."""
    from sync.state import get_state

    hub_url = get_state("hub_url")
    if hub_url is None:
        _fail(LanternError("This server is not paired with a hub yet: run `lantern sync pair HUB_URL CODE`."))
    return hub_url


@sync.command("push")
@_data_option
@click.option("--budget", type=int, default=None, help="Stop after about this many bytes (metered links).")
def sync_push(data_dir, budget):
    """Send every result the hub has not acknowledged yet (one pass)."""
    from server.db import database
    from sync.client import push_pending, record_failure
    from sync.transport import HttpTransport

    config = _open(data_dir)
    with database.connection_context():
        hub_url = _paired_hub_url()
        try:
            report = push_pending(HttpTransport(hub_url), config["DATA_DIR"], byte_budget=budget)
        except LanternError as err:
            record_failure(err.message)
            _fail(err)
    click.echo(f"Sent {report.sent} events in {report.batches} batches ({report.bytes} bytes); "
               f"{report.pending} still waiting{' (byte budget spent)' if report.stopped_by_budget else ''}.")


@sync.command("run")
@_data_option
@click.option("--budget", type=int, default=None, help="Stop after about this many bytes (metered links).")
def sync_run(data_dir, budget):
    """One whole sync pass: send results, exchange roster changes, download new packs."""
    from server.db import database
    from server.packs.install import Library
    from sync.client import record_failure
    from sync.pull import sync_pass
    from sync.transport import HttpTransport

    config = _open(data_dir)
    with database.connection_context():
        hub_url = _paired_hub_url()
        try:
            report = sync_pass(HttpTransport(hub_url), config["DATA_DIR"],
                               Library(config["DATA_DIR"], config["MIN_FREE_BYTES"]), byte_budget=budget)
        except LanternError as err:
            record_failure(err.message)
            _fail(err)
    click.echo(report.summary)


@sync.command("export")
@_data_option
@click.option("--to", "dest", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--code", help="On a school not yet paired: the pairing code from the district.")
@click.option("--for", "school_id", help="On the hub: write the return bundle for this school id.")
def sync_export(data_dir, dest, code, school_id):
    """Write a sync bundle to a folder (a USB stick): results to the hub, or the hub's reply."""
    from server.db import database
    from sync.bundle import export_return_bundle, export_school_bundle

    config = _open(data_dir)
    with database.connection_context():
        try:
            result = (export_return_bundle(school_id, config["DATA_DIR"], dest) if school_id
                      else export_school_bundle(config["DATA_DIR"], dest, code))
        except LanternError as err:
            _fail(err)
    click.echo(f"{result.message} ({result.path})")


@sync.command("import")
@_data_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def sync_import(data_dir, path):
    """Read a sync bundle from a USB stick (on the hub: a school's results; on a school: the reply)."""
    import json as _json

    from server.db import database
    from sync.bundle import import_return_bundle, import_school_bundle

    config = _open(data_dir)
    with database.connection_context():
        try:
            direction = _json.loads(path.read_bytes()).get("direction") if path.stat().st_size < 64 * 1024**2 else None
        except ValueError:
            direction = None
        try:
            result = (import_school_bundle(path, config["DATA_DIR"]) if direction == "to-hub"
                      else import_return_bundle(path))
        except LanternError as err:
            _fail(err)
    click.echo(result.message)


@main.group()
def hub():
    """District hub tasks: register schools, revoke devices."""


@hub.command("add-school")
@_data_option
@click.argument("name")
def hub_add_school(data_dir, name):
    """Register a school and print its one-time pairing code."""
    from server.db import database
    from sync.apply import register_school

    _open(data_dir, ROLE="hub")
    with database.connection_context():
        school, code = register_school(name)
    click.echo(f"School {school.name} registered (id {school.id}). Pairing code: {code}")


@hub.command("new-code")
@_data_option
@click.argument("school_id")
def hub_new_code(data_dir, school_id):
    """A fresh one-time pairing code for a registered school (another or a replaced server)."""
    from server.db import database
    from server.models import HubSchool
    from sync.apply import new_pairing_code

    _open(data_dir, ROLE="hub")
    with database.connection_context():
        if HubSchool.get_or_none(HubSchool.id == school_id) is None:
            _fail(LanternError("No school with this id is registered on this hub."))
        code = new_pairing_code(school_id)
    click.echo(f"Pairing code: {code}")


@hub.command("offer-pack")
@_data_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def hub_offer_pack(data_dir, path):
    """Offer a pack archive to every school (they download it when they sync)."""
    from server.db import database
    from sync.packs import offer_pack

    config = _open(data_dir, ROLE="hub")
    with database.connection_context():
        try:
            row = offer_pack(path, config["DATA_DIR"])
        except LanternError as err:
            _fail(err)
    click.echo(f"Offering {row.title} {row.version} ({row.size} bytes, SHA-256 {row.sha256}).")


@hub.command("withdraw-pack")
@_data_option
@click.argument("pack_id")
def hub_withdraw_pack(data_dir, pack_id):
    """Stop offering a pack to schools."""
    from server.db import database
    from sync.packs import withdraw_pack

    config = _open(data_dir, ROLE="hub")
    with database.connection_context():
        count = withdraw_pack(pack_id, config["DATA_DIR"])
    click.echo(f"No longer offering {pack_id} ({count} archive(s) removed).")


@hub.command("revoke")
@_data_option
@click.argument("device_id")
def hub_revoke(data_dir, device_id):
    """Revoke a school device (it can no longer sync)."""
    from server.db import database
    from sync.apply import revoke_device

    _open(data_dir, ROLE="hub")
    with database.connection_context():
        try:
            revoke_device(device_id)
        except LanternError as err:
            _fail(err)
    click.echo(f"Device {device_id} revoked.")


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
    from server.update import write_kit

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
    from server.update import Systemd, apply_update

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
def service_unit(data_dir, user, port):
    """Print the systemd unit that runs this install as a service."""
    from server.service import systemd_unit

    click.echo(systemd_unit(Path(sys.argv[0]).resolve(), Path(data_dir), user, port), nl=False)


@main.command()
@_data_option
def rebuild(data_dir):
    """Recompute everything derived (progress, mastery, search index) from the source records."""
    from server.db import database
    from server.packs.install import Library, reindex_all
    from server.progress import rebuild_all

    config = _open(data_dir)
    with database.connection_context():
        events = rebuild_all()
    count = reindex_all(Library(config["DATA_DIR"]))
    click.echo(f"Progress rebuilt from {events} events. Search index rebuilt: {count} lessons.")

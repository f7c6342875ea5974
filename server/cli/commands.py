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
@click.option("--per-address-limit", type=click.IntRange(min=1), default=None, envvar="LANTERN_PER_ADDRESS_LIMIT",
              help="Open connections one client address may hold (default: a quarter of --connection-limit).")
@click.option("--header-timeout", type=click.FloatRange(min=0.5), default=20.0, show_default=True,
              help="Seconds a request's headers may take in all (not reset by each byte).")
@click.option("--spool-mb", type=click.IntRange(min=1), default=16, show_default=True, envvar="LANTERN_SPOOL_MB",
              help="MB of request bodies (uploads) held on disk at once, in DATA/spool.")
@click.option("--trusted-proxy", default=None, envvar="LANTERN_TRUSTED_PROXY",
              help="The address of the HTTPS reverse proxy in front of Lantern: only its X-Forwarded-For and "
                   "X-Forwarded-Proto are believed (the real client for throttling, Secure cookies).")
def serve(data_dir, host, port, demo, role, threads, workers, sync_budget, connection_limit, idle_timeout,
          per_address_limit, header_timeout, spool_mb, trusted_proxy):
    """Run the server under waitress (with Lantern's body limits and fair connections)."""
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
               "idle_timeout": idle_timeout, "per_address_limit": per_address_limit,
               "header_timeout": header_timeout, "spool_mb": spool_mb, "trusted_proxy": trusted_proxy}
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
                  idle_timeout: int, per_address_limit, header_timeout: float, spool_mb: int, trusted_proxy) -> None:
    """One serving process: the app, its log, the once-per-device jobs in worker 0, waitress on `sock`."""
    from server import create_app
    from server.device.http_server import Guard, make_server
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
    # Bodies are limited per route before they are stored, temporary files go to DATA/spool within a
    # budget, one address holds at most a share of the connections, and read deadlines are absolute
    # (server/device/http_server.py).
    options = waitress_options(connection_limit, idle_timeout)
    if trusted_proxy:  # waitress rewrites REMOTE_ADDR and the scheme only for connections from this address
        options.update(trusted_proxy=trusted_proxy, trusted_proxy_count=1,
                       trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"})
    guard = Guard(spool_dir=config["DATA_DIR"] / "spool" / f"w{index}",  # the budget is shared by the workers
                  spool_budget=spool_mb * 1024**2 // config["WORKERS"],
                  per_address=per_address_limit or max(1, options["connection_limit"] // 4),
                  header_seconds=header_timeout, exempt=frozenset({trusted_proxy} if trusted_proxy else ()))
    make_server(app, guard, sockets=[sock], threads=threads, ident="Lantern", clear_untrusted_proxy_headers=True,
                **options).run()


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
@click.option("--topic", "topics", multiple=True, metavar="ID_OR_TITLE",
              help="Only this topic of the Kolibri channel (and what it requires); repeat for several.")
def pack_build(src, output, pack_id, version, language, strict, channel, topics):
    """Turn a folder (pack.yaml, Carpentries lesson, GIFT/Aiken bank, Kolibri drive, H5P files) or an
    .imscc/.zip/.h5p file into a pack."""
    from server.content.packs.verify import verify_pack

    try:
        lines = _build_any(src, output, channel, strict=strict, topics=topics, id=pack_id, version=version,
                           language=language)
        m = verify_pack(output).manifest
    except LanternError as err:
        _fail(err)
    for line in lines:
        click.echo(line)
    click.echo(f"Built {output}: {m.title} {m.version} ({len(m.lessons)} lessons, {m.item_count} practice items)")


def _build_any(src: Path, output: Path, channel: str | None, strict: bool = False, topics: tuple[str, ...] = (),
               **overrides) -> list[str]:
    """Build from whichever source this is; return the lines to show (warnings, what was converted)."""
    from server.content.kolibri.drive import is_kolibri_drive

    if src.is_dir() and is_kolibri_drive(src):
        from server.content.kolibri.importing import build_channel_pack

        return build_channel_pack(src, output, channel, topics).report()
    if topics:
        raise click.BadParameter("only a Kolibri drive has topics to choose", param_hint="--topic")
    from server.content.h5p.convert import build_h5p_pack, h5p_sources

    if h5p_sources(src) and not (src / "pack.yaml").exists():
        return build_h5p_pack(src, output, overrides.get("id")).report()
    from server.content.packs.build import build_pack
    from server.content.packs.report import format_report

    return [format_report(build_pack(src, output, strict=strict, **overrides).report)]


@pack.command("verify")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Check the signer against this server's trusted publishers (default: signature only).")
def pack_verify(path, data_dir):
    """Check a pack file or folder (and its signature) without installing it."""
    from server.content.packs.publishers import provenance, without_trust_store
    from server.content.packs.verify import verify_pack

    if data_dir:
        _open(data_dir)
    try:
        opened = verify_pack(path, trust=provenance if data_dir else without_trust_store)
    except LanternError as err:
        _fail(err)
    m = opened.manifest
    click.echo(f"OK: {m.title} {m.version} [{m.language}], {len(m.lessons)} lessons, "
               f"{m.item_count} practice items, {opened.size_bytes / 1e6:.1f} MB, "
               f"{_origin_text(opened.provenance)}")


def _origin_text(origin) -> str:
    if origin.state == "trusted":
        return f"signed by {origin.name} (trusted)"
    if origin.state == "untrusted":
        return f"signed with key {origin.key_id}, not a trusted publisher's (or trust not checked: give --data)"
    return "unsigned"


@pack.command("keygen")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the private key (kept by the publisher, never on a school server).")
def pack_keygen(out):
    """Make an Ed25519 publisher key pair; print the public key schools trust."""
    from server.content.packs.signing import generate_key, key_id

    try:
        public = generate_key(out)
    except FileExistsError:
        _fail(LanternError(f"{out} already exists; choose another file (a key is never overwritten)."))
    click.echo(f"Private key written to {out} (keep it safe). Public key, for the admin's Publishers page:")
    click.echo(public)
    click.echo(f"Key id: {key_id(public)}")


@pack.command("sign")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the signed pack here (default: sign the file in place).")
def pack_sign(path, key_file, output):
    """Sign a pack archive with a publisher key (checks the pack first)."""
    from server.content.packs.signing import key_id, load_private_key, public_key_of, sign_pack_file
    from server.content.packs.verify import verify_pack

    try:
        private = load_private_key(key_file)
        verify_pack(path)
        target = sign_pack_file(path, private, output)
    except LanternError as err:
        _fail(err)
    click.echo(f"Signed {target} with key {key_id(public_key_of(private))}.")


@pack.group("trust")
def pack_trust():
    """The publisher keys whose signed packs this server trusts."""


@pack_trust.command("add")
@_data_option
@click.argument("public_key")
@click.option("--name", required=True, help="The publisher's name, shown as “signed by NAME (trusted)”.")
def pack_trust_add(data_dir, public_key, name):
    """Trust a publisher's public key."""
    from server.content.packs.publishers import trust_key

    _open(data_dir)
    try:
        row = trust_key(public_key, name)
    except LanternError as err:
        _fail(err)
    click.echo(f"Trusted {row.name} (key {row.key_id}).")


@pack_trust.command("list")
@_data_option
def pack_trust_list(data_dir):
    """List trusted publisher keys."""
    from server.content.packs.publishers import trusted_keys

    _open(data_dir)
    rows = trusted_keys()
    if not rows:
        click.echo("No publisher key is trusted.")
    for row in rows:
        click.echo(f"{row.key_id}\t{row.source}\t{row.name}\t{row.public_key}")


@pack_trust.command("remove")
@_data_option
@click.argument("key_id")
def pack_trust_remove(data_dir, key_id):
    """Stop trusting a publisher key (by its key id)."""
    from server.content.packs.publishers import distrust_key

    _open(data_dir)
    if not distrust_key(key_id):
        _fail(LanternError(f"No trusted key has the id {key_id}."))
    click.echo(f"Key {key_id} is no longer trusted.")


@pack.command("import")
@_data_option
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--channel", help="Kolibri channel id, when the drive holds several.")
@click.option("--topic", "topics", multiple=True, metavar="ID_OR_TITLE",
              help="Only this topic of the Kolibri channel (and what it requires); repeat for several.")
def pack_import(data_dir, path, channel, topics):
    """Install a pack file or folder, a channel from a Kolibri drive, or .h5p files (e.g. from a USB stick)."""
    from server.content.h5p.convert import h5p_sources, import_h5p
    from server.content.kolibri.drive import is_kolibri_drive
    from server.content.kolibri.importing import import_channel
    from server.content.packs.install import Library, import_pack

    config = _open(data_dir)
    library = Library(config["DATA_DIR"], config["MIN_FREE_BYTES"])
    try:
        if path.is_dir() and is_kolibri_drive(path):
            result, _ = import_channel(path, library, channel, progress=click.echo, topics=topics)
        elif topics:
            raise click.BadParameter("only a Kolibri drive has topics to choose", param_hint="--topic")
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

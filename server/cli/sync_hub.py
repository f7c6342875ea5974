"""`lantern sync …` (the school's side: pair, push, one whole pass, USB bundles) and `lantern hub …` (the
district's side: schools, pairing codes, offered packs, revoking devices). Registered on `lantern` by
server/cli/commands.py.

Imports inside functions: as in server/cli/commands.py, each command loads only the sync modules it uses.
"""
from pathlib import Path

import click

from server.cli.common import _data_option, opened
from server.errors import LanternError


@click.group()
def sync():
    """Pair with the district hub and send results to it."""


@sync.command("pair")
@_data_option
@click.argument("hub_url")
@click.argument("code")
def sync_pair(data_dir, hub_url, code):
    """Register this server with the hub using the one-time pairing code."""
    from sync.client import pair
    from sync.state import set_state
    from sync.transport import HttpTransport

    with opened(data_dir) as config:
        pair(HttpTransport(hub_url), code, config["DATA_DIR"])
        set_state("hub_url", hub_url)
    click.echo(f"Paired with {hub_url}.")


def _paired_hub_url() -> str:
    """The hub this server syncs with, or a clear error saying how to pair (inside a connection)."""
    from sync.state import get_state

    hub_url = get_state("hub_url")
    if hub_url is None:
        raise LanternError("This server is not paired with a hub yet: run `lantern sync pair HUB_URL CODE`.")
    return hub_url


def _recorded(err: LanternError) -> LanternError:
    """Note a failed sync for the admin's status page, then let it end the command."""
    from sync.client import record_failure

    record_failure(err.message)
    return err


@sync.command("push")
@_data_option
@click.option("--budget", type=int, default=None, help="Stop after about this many bytes (metered links).")
def sync_push(data_dir, budget):
    """Send every result the hub has not acknowledged yet (one pass)."""
    from sync.client import push_pending
    from sync.transport import HttpTransport

    with opened(data_dir) as config:
        hub_url = _paired_hub_url()
        try:
            report = push_pending(HttpTransport(hub_url), config["DATA_DIR"], byte_budget=budget)
        except LanternError as err:
            raise _recorded(err) from None
    click.echo(f"Sent {report.sent} events in {report.batches} batches ({report.bytes} bytes); "
               f"{report.pending} still waiting{' (byte budget spent)' if report.stopped_by_budget else ''}.")


@sync.command("run")
@_data_option
@click.option("--budget", type=int, default=None, help="Stop after about this many bytes (metered links).")
def sync_run(data_dir, budget):
    """One whole sync pass: send results, exchange roster changes, download new packs."""
    from server.content.packs.install import Library
    from sync.pull import sync_pass
    from sync.transport import HttpTransport

    with opened(data_dir) as config:
        hub_url = _paired_hub_url()
        try:
            report = sync_pass(HttpTransport(hub_url), config["DATA_DIR"],
                               Library(config["DATA_DIR"], config["MIN_FREE_BYTES"]), byte_budget=budget)
        except LanternError as err:
            raise _recorded(err) from None
    click.echo(report.summary)


@sync.command("export")
@_data_option
@click.option("--to", "dest", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--code", help="On a school not yet paired: the pairing code from the district.")
@click.option("--for", "school_id", help="On the hub: write the return bundle for this school id.")
def sync_export(data_dir, dest, code, school_id):
    """Write a sync bundle to a folder (a USB stick): results to the hub, or the hub's reply."""
    from sync.bundle import export_return_bundle, export_school_bundle

    with opened(data_dir) as config:
        result = (export_return_bundle(school_id, config["DATA_DIR"], dest) if school_id
                  else export_school_bundle(config["DATA_DIR"], dest, code))
    click.echo(f"{result.message} ({result.path})")


@sync.command("import")
@_data_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def sync_import(data_dir, path):
    """Read a sync bundle from a USB stick (on the hub: a school's results; on a school: the reply)."""
    import json as _json

    from sync.bundle import import_return_bundle, import_school_bundle

    with opened(data_dir) as config:
        try:
            direction = _json.loads(path.read_bytes()).get("direction") if path.stat().st_size < 64 * 1024**2 else None
        except ValueError:
            direction = None
        result = (import_school_bundle(path, config["DATA_DIR"]) if direction == "to-hub"
                  else import_return_bundle(path))
    click.echo(result.message)


@click.group()
def hub():
    """District hub tasks: register schools, revoke devices."""


@hub.command("add-school")
@_data_option
@click.argument("name")
def hub_add_school(data_dir, name):
    """Register a school and print its one-time pairing code."""
    from sync.apply import register_school

    with opened(data_dir, ROLE="hub"):
        school, code = register_school(name)
    click.echo(f"School {school.name} registered (id {school.id}). Pairing code: {code}")


@hub.command("new-code")
@_data_option
@click.argument("school_id")
def hub_new_code(data_dir, school_id):
    """A fresh one-time pairing code for a registered school (another or a replaced server)."""
    from server.models import HubSchool
    from sync.apply import new_pairing_code

    with opened(data_dir, ROLE="hub"):
        if HubSchool.get_or_none(HubSchool.id == school_id) is None:
            raise LanternError("No school with this id is registered on this hub.")
        code = new_pairing_code(school_id)
    click.echo(f"Pairing code: {code}")


@hub.command("offer-pack")
@_data_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def hub_offer_pack(data_dir, path):
    """Offer a pack archive to every school (they download it when they sync)."""
    from sync.packs import offer_pack

    with opened(data_dir, ROLE="hub") as config:
        row = offer_pack(path, config["DATA_DIR"])
    click.echo(f"Offering {row.title} {row.version} ({row.size} bytes, SHA-256 {row.sha256}).")


@hub.command("withdraw-pack")
@_data_option
@click.argument("pack_id")
def hub_withdraw_pack(data_dir, pack_id):
    """Stop offering a pack to schools."""
    from sync.packs import withdraw_pack

    with opened(data_dir, ROLE="hub") as config:
        count = withdraw_pack(pack_id, config["DATA_DIR"])
    click.echo(f"No longer offering {pack_id} ({count} archive(s) removed).")


@hub.command("revoke")
@_data_option
@click.argument("device_id")
def hub_revoke(data_dir, device_id):
    """Revoke a school device (it can no longer sync)."""
    from sync.apply import revoke_device

    with opened(data_dir, ROLE="hub"):
        revoke_device(device_id)
    click.echo(f"Device {device_id} revoked.")

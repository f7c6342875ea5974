"""What every `lantern` command shares: the --data option, opening a data folder, failing in one line.
Imports inside functions: as in server/cli/commands.py, opening a data folder loads the database layer
only for the commands that need one.
"""
import sys
from contextlib import contextmanager
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
    from server.device.maintenance import prepare_data

    config = load_config(data_dir or default_data_dir(), **overrides)
    open_database(config["DATABASE"])
    prepare_data(config)
    return config


def _fail(err: LanternError):
    click.echo(f"Error: {err.message}", err=True)
    sys.exit(1)


@contextmanager
def opened(data_dir: Path | None, **overrides):
    """A command's data folder, open and up to date, with a database connection; our own errors end the
    command with their one sentence and exit status 1. Yields the config."""
    from server.db import database

    config = _open(data_dir, **overrides)
    with database.connection_context():
        try:
            yield config
        except LanternError as err:
            _fail(err)

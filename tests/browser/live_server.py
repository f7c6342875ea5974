"""Run the real Lantern app under waitress on 127.0.0.1, on a demo data folder, for the browser tests.

    python tests/browser/live_server.py DATA_DIR [PACK ...]

Prints `LISTENING http://127.0.0.1:PORT/` once it accepts connections (the port is chosen by the
system), then serves until it is terminated. A subprocess keeps the app's database handle apart
from the other tests' apps in the pytest process.
"""
import sys
from pathlib import Path

import waitress

from server import create_app
from server.config import load_config
from server.cli.demo import ensure_demo


def main(data_dir: str, *packs: str) -> None:
    """Create the demo school in DATA_DIR (plus PACKs) and serve it on an ephemeral loopback port."""
    config = load_config(data_dir, DEMO=True)
    app = create_app(config)  # opens the database and applies migrations
    ensure_demo(config)
    if packs:
        _import(config, packs)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, ident="Lantern",
                                    clear_untrusted_proxy_headers=True)
    print(f"LISTENING http://127.0.0.1:{server.effective_port}/", flush=True)
    server.run()


def _import(config, packs) -> None:
    from server.content.packs.install import Library, import_pack
    from server.db import database

    with database.connection_context():
        library = Library(config["DATA_DIR"], config["MIN_FREE_BYTES"])
        for pack in packs:
            import_pack(Path(pack), library, progress=lambda _: None)


if __name__ == "__main__":
    main(*sys.argv[1:])

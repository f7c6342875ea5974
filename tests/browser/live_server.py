"""Run the real Lantern app under waitress on 127.0.0.1, on a demo data folder, for the browser tests.

    python tests/browser/live_server.py DATA_DIR

Prints `LISTENING http://127.0.0.1:PORT/` once it accepts connections (the port is chosen by the
system), then serves until it is terminated. A subprocess keeps the app's database handle apart
from the other tests' apps in the pytest process.
"""
import sys

import waitress

from server import create_app
from server.config import load_config
from server.cli.demo import ensure_demo


def main(data_dir: str) -> None:
    """Create the demo school in DATA_DIR and serve it on an ephemeral loopback port."""
    config = load_config(data_dir, DEMO=True)
    app = create_app(config)  # opens the database and applies migrations
    ensure_demo(config)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, ident="Lantern",
                                    clear_untrusted_proxy_headers=True)
    print(f"LISTENING http://127.0.0.1:{server.effective_port}/", flush=True)
    server.run()


if __name__ == "__main__":
    main(sys.argv[1])

"""Run the real Lantern app under waitress on 127.0.0.1, on a demo data folder, for the browser tests.

    python tests/browser/live_server.py DATA_DIR [PACK ...]

Prints `LISTENING http://127.0.0.1:PORT/` once it accepts connections (the port is chosen by the
system), then serves until it is terminated. A subprocess keeps the app's database handle apart
from the other tests' apps in the pytest process.
"""
import os
import sys
import tempfile
from pathlib import Path

import waitress

from server import create_app
from server.config import load_config
from server.cli.demo import ensure_demo

REPO = Path(__file__).resolve().parents[2]
# Imported from teachers' own formats, so their pages face the same checks as the bundled packs'.
IMPORTED_FIXTURES = ("packages/imscc-commonsyllabi/ThinCC_SU21_IM-UH_1011_AD_001_202242408.imscc",
                     "quizzes/moodle-qformat-fixtures/gift")


def _corpus() -> Path | None:
    candidates = [Path(os.environ["LANTERN_CORPUS"])] if os.environ.get("LANTERN_CORPUS") else []
    candidates += [REPO.parent / "shared" / "corpus", REPO.parent.parent / "shared" / "corpus"]
    return next((c for c in candidates if c.is_dir()), None)


def import_fixtures(config: dict) -> None:
    """Build and import the imported-format fixture packs when the shared corpus is there."""
    from server.content.packs.build import build_pack
    from server.content.packs.install import Library, import_pack
    from server.db import database

    corpus = _corpus()
    if corpus is None:
        return
    library = Library(config["DATA_DIR"], config["MIN_FREE_BYTES"])
    with database.connection_context(), tempfile.TemporaryDirectory(prefix="lantern-fixtures-") as tmp:
        for n, name in enumerate(IMPORTED_FIXTURES):
            built = build_pack(corpus / name, Path(tmp) / f"fixture-{n}.lantern")
            import_pack(built.path, library, progress=lambda _: None)


def main(data_dir: str, *packs: str) -> None:
    """Create the demo school in DATA_DIR (plus PACKs) and serve it on an ephemeral loopback port."""
    config = load_config(data_dir, DEMO=True)
    app = create_app(config)  # opens the database and applies migrations
    ensure_demo(config)
    import_fixtures(config)
    if packs:
        _import(config, packs)
    import_converted_content(config)
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
def import_converted_content(config) -> None:
    """The corpus Kolibri channel and H5P activities, converted, so the crawl checks their pages too
    (left out, with a line on the console, when ../shared/corpus is absent)."""
    from server.content.h5p.convert import import_h5p
    from server.content.kolibri.importing import import_channel
    from server.content.packs.install import Library
    from server.db import database

    packages = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "packages"
    if not packages.is_dir():
        print(f"corpus not found at {packages}: converted Kolibri/H5P pages are not crawled", flush=True)
        return
    library = Library(config["DATA_DIR"], 0)
    with database.connection_context():
        import_channel(packages / "kolibri-channel-usb" / "KOLIBRI_DATA", library, progress=lambda _: None)
        import_h5p(packages / "h5p-standalone" / "h5p-test.h5p", library)
        import_h5p(packages / "lumi-h5p-nodejs-library" / "valid" / "valid2.h5p", library)


if __name__ == "__main__":
    main(*sys.argv[1:])

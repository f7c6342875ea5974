"""Lantern: an offline-first learning server. `create_app` is the only entry point.

The packages, from the bottom layer up (docs/architecture.md draws them; tests/test_architecture.py
enforces that imports only go down):
    core       config, db, errors, ids, i18n, identity, storage, models/, migrations/
    content/   packs, quiz formats, library, blobs, search
    people/    accounts, sign-in, classes, school, roster, admin, audit
    learning/  the event log and what derives from it: mastery, learner model, practice, review, "what next"
    coaching/  class reports, item analysis, groups, assignments, projects, hand-ins, study buddies
    device/    USB sticks, backups, updates, the service, jobs, device status; privacy.py; sync/ (top level)
    web/       the delivery layer (views per audience, HTTP, errors)
    cli/       the `lantern` command

Imports inside functions: `create_app` loads the web layer when it is called, so that importing any
module of the package (every `import server.x` runs this file) does not load Flask views.
"""
from pathlib import Path

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent  # a checkout (install.sh, `lantern wheelhouse` and `lantern update` need one)
SHIPPED = ("templates", "static", "content_packs")  # top-level folders the wheel carries (setup.py)


def shipped(name: str) -> Path:
    """One of SHIPPED: inside the package when installed from a wheel, else at the top of the checkout.

    Decisions: the folders stay at the top of the repository (where designers and pack authors look for
    them); setup.py copies them into the wheel as server/_shipped/<name>, so `pip install .` and a built
    wheel serve every page, while an editable install reads them in place."""
    installed = PACKAGE_DIR / "_shipped" / name
    return installed if installed.is_dir() else REPO_ROOT / name


def create_app(config: dict) -> Flask:
    """Build the Flask app for a config made by `server.config.load_config`."""
    app = Flask(__name__, template_folder=str(shipped("templates")), static_folder=str(shipped("static")))
    app.config.update(config)

    from server import db
    from server.web import init_app as init_views

    from server.device.maintenance import prepare_data

    db.init_app(app)
    if not app.config.get("DATA_PREPARED"):  # `lantern serve` prepares once, before its workers start
        prepare_data(app.config)
    init_views(app)
    from server.web import request_log

    request_log.init_app(app)
    return app

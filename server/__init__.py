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

REPO_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict) -> Flask:
    """Build the Flask app for a config made by `server.config.load_config`."""
    app = Flask(__name__, template_folder=str(REPO_ROOT / "templates"),
                static_folder=str(REPO_ROOT / "static"))
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

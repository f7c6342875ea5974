"""Lantern: an offline-first learning server. `create_app` is the only entry point."""
from pathlib import Path

from flask import Flask

REPO_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict) -> Flask:
    """Build the Flask app for a config made by `server.config.load_config`."""
    app = Flask(__name__, template_folder=str(REPO_ROOT / "templates"),
                static_folder=str(REPO_ROOT / "static"))
    app.config.update(config)

    from server import db
    from server.views import init_app as init_views

    from server.maintenance import prepare_data

    db.init_app(app)
    prepare_data(app.config)
    init_views(app)
    from server import request_log

    request_log.init_app(app)
    return app

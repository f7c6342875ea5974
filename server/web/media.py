"""Blobs by hash (immutable, Range-capable, sandboxed) and the health check."""
import re

from flask import Blueprint, current_app, jsonify, send_file

from server.content.blobs import BlobStore, media_type_for
from server.db import database
from server.errors import NotFound
from server.i18n import N_
from server.models import Blob
from server.web.access import allow

bp = Blueprint("media", __name__)
SHA = re.compile(r"^[0-9a-f]{64}\Z")
# Media can be opened directly (an SVG, say): sandbox it so nothing in it can run.
MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; sandbox"


@bp.get("/media/<sha256>/<name>")
@allow("public")
def blob(sha256: str, name: str):
    """Serve one pack blob; the hash in the URL makes it cacheable forever. Learners' uploads share
    the store but are not pack blobs, so they are only served by the access-checked hand-in route."""
    store = BlobStore(current_app.config["DATA_DIR"] / "blobs")
    if not SHA.match(sha256) or not store.has(sha256) or not Blob.select().where(Blob.sha256 == sha256).exists():
        raise NotFound(N_("This file is not on this server."))
    response = send_file(store.path_for(sha256), mimetype=media_type_for(name), conditional=True,
                         etag=sha256, max_age=31536000, download_name=name)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = MEDIA_CSP
    return response


@bp.get("/healthz")
@allow("public")
def healthz():
    """200 once the server can read its database."""
    database.execute_sql("SELECT 1").fetchone()
    return jsonify(status="ok", role=current_app.config["ROLE"])

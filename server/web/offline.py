"""The service worker at the site's root (so it may look after every page): an enhancement only.

It lives in static/ but must be served from `/sw.js`, since a worker only controls the pages at or
below its own address. Its cache names carry a hash of the files it keeps, so a change to any of
them replaces the old caches. See docs/accessibility.md, "Offline on the phone".
"""
import hashlib
from pathlib import Path

from flask import Blueprint, current_app, make_response

from server.web.access import allow

bp = Blueprint("offline", __name__)
KEPT = ("sw.js", "offline.html", "saved.html", "style.css")
_built: dict[str, bytes] = {}


@bp.get("/sw.js")
@allow("public")
def service_worker():
    """The service worker script, its version filled in; revalidated on every check (no-cache)."""
    folder = Path(current_app.static_folder)
    if str(folder) not in _built:
        version = hashlib.sha256(b"".join((folder / name).read_bytes() for name in KEPT)).hexdigest()[:10]
        _built[str(folder)] = (folder / "sw.js").read_text().replace("__VERSION__", version).encode()
    response = make_response(_built[str(folder)])
    response.headers["Content-Type"] = "application/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response

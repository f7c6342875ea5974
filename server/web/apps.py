"""HTML5 apps from content packs (Kolibri html5 nodes, H5P players), served only inside a sandbox.

Decisions:
- This path serves app files and nothing else, each with a CSP `sandbox allow-scripts` (no
  allow-same-origin: the app runs in an opaque origin, cannot read the learner's cookies or pages, cannot
  submit forms, open pop-ups or navigate the top page), whatever page embeds or opens it.
- Scripts, styles, images, fonts and fetches may come only from this pack's own app folder; nothing from
  another site. `frame-ancestors 'self'`: only our lesson page may frame it (every other page stays DENY).
"""
from flask import Blueprint, current_app, request, send_file

from server.content import library
from server.content.blobs import BlobStore, media_type_for
from server.web.access import allow

bp = Blueprint("apps", __name__)


def app_csp(pack_id: str) -> str:
    """The policy for one pack's app files: its own folder only, sandboxed without same-origin."""
    own = f"{request.host_url}apps/{pack_id}/"
    return (f"default-src 'none'; script-src {own} 'unsafe-inline' 'unsafe-eval'; style-src {own} "
            f"'unsafe-inline'; img-src {own} data: blob:; media-src {own} data: blob:; font-src {own} data:; "
            f"connect-src {own}; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; "
            "sandbox allow-scripts")


@bp.get("/apps/<pack_id>/<path:path>")
@allow("public")
def app_file(pack_id: str, path: str):
    """One file of a pack's HTML5 app, sandboxed."""
    entry = library.app_file(pack_id, path)
    store = BlobStore(current_app.config["DATA_DIR"] / "blobs")
    response = send_file(store.path_for(entry.sha256), mimetype=media_type_for(path), conditional=True,
                         etag=entry.sha256, max_age=3600)
    response.headers["Content-Security-Policy"] = app_csp(pack_id)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response

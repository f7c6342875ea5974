"""HTTP hygiene for every response: security headers, ETags, compression, asset URLs."""
import gzip
import hashlib
from pathlib import Path

from flask import g, request

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; manifest-src 'self'; worker-src 'self'")
COMPRESSIBLE = ("text/", "application/json", "image/svg+xml", "application/javascript")
MIN_COMPRESS = 500


def init_app(app) -> None:
    """Install the after-request hooks and the `asset_url` template helper."""
    fingerprints: dict[str, str] = {}

    def asset_url(name: str) -> str:
        """A cache-busting URL for a static file (cached for a year by the browser)."""
        if name not in fingerprints:
            path = Path(app.static_folder) / name
            fingerprints[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        return f"/static/{name}?v={fingerprints[name]}"

    app.jinja_env.globals["asset_url"] = asset_url
    app.after_request(_finish)


def _finish(response):
    """Add headers, gzip what is worth it, and answer revalidations with 304.

    Decisions: the ETag is computed from the bytes as sent, after gzip, so the gzipped and the plain
    representation never share one strong ETag (a cache holding one must not be told it has the other)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
    if g.get("account") is not None and not request.path.startswith(("/static/", "/media/")):
        # A signed-in page is someone's: never kept, so Back on a shared phone after sign-out cannot show
        # it. Browsers ignore Clear-Site-Data on plain-HTTP LAN addresses; no-store is what holds there.
        headers["Cache-Control"] = "no-store"
    if request.path.startswith("/static/"):
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
        if response.status_code == 200 and response.mimetype.startswith(COMPRESSIBLE):
            # The stylesheet goes out gzipped too: it is a third of a first visit's bytes.
            response.direct_passthrough = False
            return _conditional(_gzip(response))
    if response.direct_passthrough or response.status_code != 200:
        return response
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "private, no-cache")
        return _conditional(_gzip(response))
    return _gzip(response)


def _conditional(response):
    """Tag the response with the hash of the bytes it sends and answer a matching If-None-Match with 304.

    A static file arrives with Flask's ETag of the file on disk, which is wrong once gzipped: replaced."""
    response.add_etag(overwrite=True)
    return response.make_conditional(request)


def _gzip(response):
    """Compress a compressible body of some size when the client takes gzip (Vary says it depends)."""
    if not response.mimetype.startswith(COMPRESSIBLE) or "Content-Encoding" in response.headers:
        return response
    body = response.get_data()
    if len(body) < MIN_COMPRESS:
        return response
    response.vary.add("Accept-Encoding")
    if "gzip" not in request.headers.get("Accept-Encoding", ""):
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response

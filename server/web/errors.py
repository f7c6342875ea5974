"""The one place errors become responses: a helpful page, or JSON for API clients."""
import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from server.errors import LanternError
from server.i18n import N_, localized, translate
from server.web.request_log import loggable_path

log = logging.getLogger(__name__)

PLAIN = {
    400: N_("The request could not be understood."),
    403: N_("You do not have access to this page."),
    404: N_("This page does not exist on this server."),
    405: N_("This page cannot be used that way."),
    413: N_("What you sent is too large (a photo or recording can be at most 8 MB). Nothing was saved."),
    429: N_("Too many tries. Please wait a little and try again."),
    500: N_("Something went wrong on the server. Your saved work is safe; please try again."),
}


def init_app(app) -> None:
    """Register the handlers."""
    app.register_error_handler(LanternError, _lantern_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _respond(status: int, message: str):
    if request.path.startswith(("/api/", "/sync/", "/healthz")):
        return jsonify(error=message, status=status), status
    return render_template("errors/error.html", status=status, message=message), status


def _lantern_error(err: LanternError):
    log.info("%s on %s: %s", type(err).__name__, loggable_path(err.status), err.template)
    return _respond(err.status, localized(err))


def _http_error(err: HTTPException):
    return _respond(err.code or 500, translate(PLAIN[err.code]) if err.code in PLAIN else err.description or "Error.")


def _unexpected(err: Exception):
    log.exception("unexpected error on %s %s", request.method, loggable_path())
    return _respond(500, translate(PLAIN[500]))

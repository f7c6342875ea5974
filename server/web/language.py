"""The language switcher: remember the chosen language in a cookie and go back to the page."""
from flask import Blueprint, redirect, request

from server.i18n import COOKIE, COOKIE_MAX_AGE, LANGUAGES
from server.web.access import allow
from server.web.redirects import safe_redirect_target

bp = Blueprint("language", __name__)


@bp.get("/language")
@allow("public")
def choose():
    """Set the interface language (a plain GET form, so it works without JavaScript) and return."""
    response = redirect(safe_redirect_target(request.args.get("next")))
    code = request.args.get("lang", "")
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response

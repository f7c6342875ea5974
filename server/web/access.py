"""Who may use each route, the signed-in account, and CSRF — checked before every request.

Every view declares its audience with `@allow(...)`; a route without a declaration is
refused (and a test walks the URL map so none slips through). Roles: public, learner,
coach, admin, operator; "signed_in" means any role.
"""
import secrets

from flask import current_app, g, redirect, request, url_for
from markupsafe import Markup

from server.people import auth
from server.errors import Forbidden, InvalidInput, SignInRequired
from server.i18n import N_
from server.storage import ensure_free_space

SESSION_COOKIE = "lantern_session"
CSRF_COOKIE = "lantern_csrf"
ROLES = {"public", "signed_in", "learner", "coach", "admin", "operator"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Writes that must work even on a nearly full disk (they free space or write almost nothing).
ALWAYS_WRITABLE = ("/signout", "/signin")


def allow(*roles: str):
    """Declare who may use a view."""
    unknown = set(roles) - ROLES
    assert not unknown, f"unknown roles {unknown}"

    def mark(view):
        view.lantern_roles = frozenset(roles)
        return view
    return mark


def policy_of(app, endpoint: str) -> frozenset | None:
    """The roles a route allows (None: undeclared)."""
    if endpoint == "static":
        return frozenset({"public"})
    view = app.view_functions.get(endpoint)
    return getattr(view, "lantern_roles", None)


def init_app(app) -> None:
    """Install the checks and the template helpers."""
    app.before_request(_load_and_check)
    app.after_request(_set_csrf_cookie)
    app.jinja_env.globals["csrf_field"] = lambda: Markup(
        f'<input type="hidden" name="csrf" value="{current_csrf()}">')


def _load_and_check():
    g.session_token = request.cookies.get(SESSION_COOKIE)
    g.account = auth.account_for_token(g.session_token) if g.session_token else None
    if request.method in UNSAFE and not request.path.startswith("/sync/"):
        if not auth.csrf_valid(current_app.config["SECRET_KEY"], _csrf_binding(),
                               request.form.get("csrf")):
            raise InvalidInput(N_("This form has expired. Please go back, reload the page and try again."))
    if request.method in UNSAFE and not request.path.startswith(ALWAYS_WRITABLE):
        ensure_free_space(current_app.config["DATA_DIR"], current_app.config["MIN_FREE_BYTES"])
    roles = policy_of(current_app, request.endpoint) if request.endpoint else frozenset({"public"})
    if roles is None:
        raise Forbidden(N_("This page has no access rule, so it is closed."))
    if "public" in roles:
        return None
    if g.account is None:
        if request.method == "GET":
            return redirect(url_for("account.signin", next=request.full_path.rstrip("?")))
        raise SignInRequired(N_("Please sign in first."))
    if "signed_in" not in roles and g.account.role not in roles:
        raise Forbidden(N_("Your account cannot open this page."))
    return None


def _csrf_binding() -> str:
    if g.get("session_token") and g.get("account"):
        return "s:" + g.session_token
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = g.setdefault("new_csrf_cookie", secrets.token_urlsafe(16))
    return "a:" + token


def current_csrf() -> str:
    """The CSRF token for forms on this page."""
    return auth.csrf_token(current_app.config["SECRET_KEY"], _csrf_binding())


def _set_csrf_cookie(response):
    token = g.get("new_csrf_cookie")
    if token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def set_session_cookie(response, token: str) -> None:
    """Put the session token in a HttpOnly, SameSite cookie (Secure over HTTPS)."""
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", secure=request.is_secure)


def clear_session_cookie(response) -> None:
    """Remove the session cookie (sign out)."""
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax", secure=request.is_secure)

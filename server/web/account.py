"""Signing in and out, the phone's device cookie, and the learner's own profile.

The device cookie (`lantern_device`, signed with the server's secret key, HttpOnly, a year) names this phone
with a random id and lists the accounts (at most 8) it signed in. Sign-in then throttles those accounts on
this phone's own allowance (server/people/auth.py), so guesses from another phone cannot lock them out here.
It holds no session and nothing a learner typed. (Over HTTPS, sign-out's Clear-Site-Data "cookies" clears it
too; on the school's plain-HTTP LAN browsers ignore that header and it stays.)
"""
import secrets

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from server.i18n import localized
from server.people import auth
from server.learning import profiles
from server.errors import InvalidInput
from server.web.access import allow, clear_session_cookie, set_session_cookie
from server.web.redirects import safe_redirect_target

bp = Blueprint("account", __name__)
SIGNED_OUT_COOKIE = "lantern_signed_out"
DEVICE_COOKIE = "lantern_device"
DEVICE_ACCOUNTS = 8


def _device_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lantern-device-v1")


def _device() -> tuple[str | None, frozenset]:
    """This phone's id and the accounts it signed in before (nothing when the cookie is absent or forged)."""
    try:
        data = _device_signer().loads(request.cookies.get(DEVICE_COOKIE, "")[:2000])
        return str(data["d"])[:32], frozenset(str(a) for a in data["a"][:DEVICE_ACCOUNTS])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None, frozenset()


def _remember_device(response, device: str | None, known: frozenset, account_id: str) -> None:
    """Add the account to this phone's device cookie (the newest first, at most 8)."""
    accounts = [account_id] + [a for a in sorted(known) if a != account_id][:DEVICE_ACCOUNTS - 1]
    value = _device_signer().dumps({"d": device or secrets.token_urlsafe(12), "a": accounts})
    response.set_cookie(DEVICE_COOKIE, value, max_age=365 * 86400, httponly=True, samesite="Lax",
                        secure=request.is_secure)


@bp.get("/signin")
@allow("public")
def signin():
    """The class list for picking your name and the plain form; with a learner's name, their PIN page."""
    return _signin_page(request.args.get("username", ""), request.args.get("next", ""),
                        signed_out=request.args.get("out") == "1")


@bp.post("/signin")
@allow("public")
def signin_post():
    """Check the name and password/PIN; start a session."""
    device, known = _device()
    try:
        account = auth.sign_in(request.form.get("username", ""), request.form.get("password", ""),
                               client=request.remote_addr or "unknown", known_accounts=known, device=device)
    except InvalidInput as err:
        return _signin_page(request.form.get("username", ""), request.form.get("next", ""), localized(err)), 400
    response = redirect(safe_redirect_target(request.form.get("next")))
    set_session_cookie(response, auth.start_session(account))
    _remember_device(response, device, known, account.id)
    return response


def _signin_page(username: str, next_url: str, error: str | None = None, signed_out: bool = False) -> str:
    """A learner from a class list gets a greeting and a PIN field; anyone else the plain form."""
    learner = profiles.learner_for_signin(username) if username else None
    if learner is not None:
        classroom, tile = learner
        return render_template("account/pin.html", classroom=classroom, tile=tile, next=next_url, error=error)
    return render_template("account/signin.html", username=username, next=next_url, error=error,
                           classes=profiles.classes_for_signin(), signed_out=signed_out)


@bp.get("/signin/class/<class_id>")
@allow("public")
def signin_class(class_id: str):
    """Names in one class: tap yours, then enter your PIN."""
    classroom, learners = profiles.class_roster(class_id)
    return render_template("account/class.html", classroom=classroom, learners=learners)


@bp.post("/signout")
@allow("public")
def signout():
    """End this session: nothing of the learner remains on the shared phone."""
    auth.end_session(g.session_token)
    response = redirect(url_for("account.signin", out=1))
    clear_session_cookie(response)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.get("/signout/done")
@allow("public")
def signed_out_mark():
    """An empty stylesheet of the signed-out page that changes a cookie once that page is shown.

    Decisions: browsers may keep the last signed-in page in memory for Back (the back/forward cache),
    even with `no-store`, and drop it only when a cookie changes while it is kept. The sign-out's own
    cookie change comes before that page is put away, and Clear-Site-Data is ignored over plain HTTP,
    so the page after sign-out loads this to change a cookie afterwards. No script needed."""
    response = current_app.response_class("", mimetype="text/css")
    response.set_cookie(SIGNED_OUT_COOKIE, secrets.token_hex(8), max_age=60, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/profile")
@allow("learner")
def profile():
    """The learner's own settings: language, interests, accessibility, weekly goal."""
    return render_template("account/profile.html", profile=profiles.profile_of(g.account),
                           choices=profiles.CHOICES, saved=request.args.get("saved"))


@bp.post("/profile")
@allow("learner")
def profile_post():
    """Save the profile."""
    profiles.update_profile(g.account, request.form)
    return redirect(url_for("account.profile", saved=1))

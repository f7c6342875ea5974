"""Signing in and out, and the learner's own profile."""
import secrets

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from server.i18n import localized
from server.people import auth
from server.learning import profiles
from server.errors import InvalidInput
from server.web.access import allow, clear_session_cookie, set_session_cookie
from server.web.redirects import safe_redirect_target

bp = Blueprint("account", __name__)
SIGNED_OUT_COOKIE = "lantern_signed_out"


@bp.get("/signin")
@allow("public")
def signin():
    """The plain sign-in form, and the class list for picking your name."""
    return render_template("account/signin.html", username=request.args.get("username", ""),
                           next=request.args.get("next", ""), classes=profiles.classes_for_signin(),
                           signed_out=request.args.get("out") == "1")


@bp.post("/signin")
@allow("public")
def signin_post():
    """Check the name and password/PIN; start a session."""
    try:
        account = auth.sign_in(request.form.get("username", ""), request.form.get("password", ""),
                               client=request.remote_addr or "unknown")
    except InvalidInput as err:
        return render_template("account/signin.html", username=request.form.get("username", ""),
                               next=request.form.get("next", ""), error=localized(err),
                               classes=profiles.classes_for_signin()), 400
    response = redirect(safe_redirect_target(request.form.get("next")))
    set_session_cookie(response, auth.start_session(account))
    return response


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

"""Learner pages for projects, open questions and portfolios, and the access-checked upload route."""
from flask import Blueprint, current_app, g, redirect, render_template, request, send_file, url_for

from server.coaching import handins, projects, uploads
from server.errors import InvalidInput, StorageFull, TooLarge
from server.ids import uuid7
from server.web.access import allow

bp = Blueprint("projects", __name__)
# Uploads open in a sandbox, like pack media: nothing in a file can run.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"


@bp.get("/projects")
@allow("learner")
def index():
    """The class's project menu, my standing on each, and my own proposals."""
    return _index_page()


def _index_page(error=None, status=200):
    return render_template("projects/index.html", p=projects.learner_projects(g.account), error=error,
                           form=request.form), status


@bp.post("/projects/propose")
@allow("learner")
def propose():
    """Propose my own project to my coach."""
    try:
        projects.propose_project(g.account, request.form)
    except InvalidInput as err:
        return _index_page(err, 400)
    return redirect(url_for("projects.index", proposed=1), 303)


@bp.get("/projects/<project_id>")
@allow("learner")
def project(project_id: str):
    """One project: my plan, the hand-in form, my versions and my coach's feedback."""
    return _project_page(project_id)


def _project_page(project_id: str, error=None, status=200):
    chosen = projects.project_for_learner(g.account, project_id)
    return render_template("projects/project.html", c=projects.card(g.account.id, chosen),
                           versions=handins.project_versions(g.account.id, chosen.id), attempt=uuid7(),
                           can_hand_in=projects.can_hand_in(chosen), error=error,
                           sent=request.args.get("sent")), status


@bp.post("/projects/<project_id>/plan")
@allow("learner")
def plan_post(project_id: str):
    """Add, tick or remove a step of my plan."""
    try:
        projects.edit_plan(g.account, project_id, request.form)
    except InvalidInput as err:
        return _project_page(project_id, err, 400)
    return redirect(url_for("projects.project", project_id=project_id) + "#plan", 303)


@bp.post("/projects/<project_id>/hand-in")
@allow("learner")
def hand_in(project_id: str):
    """Hand in a version of my work: text, a photo of paper work, or a short recording."""
    files = handins.Files(request.files.get("photo"), request.files.get("audio"))
    try:
        handins.hand_in_project(g.account, project_id, request.form.get("attempt", ""), request.form.get("text"),
                                files, current_app.config["DATA_DIR"],
                                current_app.config.get("UPLOAD_QUOTA_BYTES", uploads.LEARNER_QUOTA_BYTES))
    except (InvalidInput, StorageFull, TooLarge) as err:
        return _project_page(project_id, err, err.status)
    return redirect(url_for("projects.project", project_id=project_id, sent=1) + "#versions", 303)


@bp.get("/me/portfolio")
@allow("learner")
def my_portfolio():
    """My finished work, ready to print for my family."""
    return render_template("projects/portfolio.html", learner=g.account,
                           entries=projects.portfolio(g.account.id), back=url_for("progress.me"))


@bp.get("/open/<pack_id>")
@allow("learner")
def open_list(pack_id: str):
    """A pack's open questions (answered in my own words, read by my coach)."""
    pack, items = handins.open_questions(pack_id)
    return render_template("projects/open_list.html", pack=pack, items=items)


@bp.get("/open/<pack_id>/<item_id>")
@allow("learner")
def open_question(pack_id: str, item_id: str):
    """One open question, what I sent before, and my coach's feedback."""
    return _open_page(pack_id, item_id)


def _open_page(pack_id: str, item_id: str, error=None, status=200):
    q = handins.open_question(g.account, pack_id, item_id)
    return render_template("projects/open.html", q=q, error=error, sent=request.args.get("sent")), status


@bp.post("/open/<pack_id>/<item_id>")
@allow("learner")
def open_answer(pack_id: str, item_id: str):
    """Send my answer to my coach (it is kept, and never marked right or wrong by the machine)."""
    try:
        handins.hand_in_essay(g.account, pack_id, item_id, request.form.get("attempt", ""), request.form.get("text"))
    except InvalidInput as err:
        return _open_page(pack_id, item_id, err, 400)
    return redirect(url_for("projects.open_question", pack_id=pack_id, item_id=item_id, sent=1), 303)


@bp.get("/work/<handin_id>/file")
@allow("learner", "coach", "admin")
def work_file(handin_id: str):
    """A hand-in's photo or recording, for the learner, their coaches and the admin only."""
    relative, media_type, name = handins.file_of(g.account, handin_id)
    response = send_file(current_app.config["DATA_DIR"] / "blobs" / relative, mimetype=media_type,
                         conditional=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response

"""Coach pages for projects and hand-ins: the class's project menu and proposals, the review
queue, one hand-in with its rubric, and a learner's printable portfolio."""
from flask import Blueprint, g, redirect, render_template, request, url_for

from server.people import classes
from server.coaching import handins, projects
from server.errors import InvalidInput
from server.web.access import allow

bp = Blueprint("review", __name__, url_prefix="/coach/classes/<class_id>")
STAFF = ("coach", "admin")


@bp.get("/projects")
@allow(*STAFF)
def projects_page(class_id: str):
    """The class's project menu, and learners' proposals waiting for an answer."""
    return _projects_page(class_id)


def _projects_page(class_id: str, error=None, status=200):
    return render_template("review/projects.html", p=projects.class_projects(g.account, class_id), error=error,
                           form=request.form, levels=projects.LEVELS), status


@bp.post("/projects")
@allow(*STAFF)
def offer(class_id: str):
    """Put a project on the class's menu."""
    try:
        projects.offer_project(g.account, class_id, request.form)
    except InvalidInput as err:
        return _projects_page(class_id, err, 400)
    return redirect(url_for("review.projects_page", class_id=class_id), 303)


@bp.post("/projects/<project_id>/decide")
@allow(*STAFF)
def decide(class_id: str, project_id: str):
    """Accept or decline a learner's own project."""
    projects.decide_proposal(g.account, class_id, project_id, request.form)
    return redirect(url_for("review.projects_page", class_id=class_id), 303)


@bp.post("/projects/<project_id>/remove")
@allow(*STAFF)
def remove(class_id: str, project_id: str):
    """Take a project off the menu (handed-in work is kept)."""
    projects.remove_project(g.account, class_id, project_id)
    return redirect(url_for("review.projects_page", class_id=class_id), 303)


@bp.get("/hand-ins")
@allow(*STAFF)
def queue(class_id: str):
    """Work waiting for review, oldest first, then the latest reviewed."""
    classroom, waiting, done = handins.review_queue(g.account, class_id)
    return render_template("review/queue.html", classroom=classroom, waiting=waiting, done=done)


@bp.get("/hand-ins/<handin_id>")
@allow(*STAFF)
def review_form(class_id: str, handin_id: str):
    """One hand-in with its earlier versions, and the rubric and feedback form."""
    return _review_page(class_id, handin_id)


def _review_page(class_id: str, handin_id: str, error=None, status=200):
    return render_template("review/handin.html", r=handins.review_page(g.account, class_id, handin_id),
                           levels=projects.LEVELS, error=error, form=request.form), status


@bp.post("/hand-ins/<handin_id>")
@allow(*STAFF)
def review_post(class_id: str, handin_id: str):
    """Send the rubric levels and written feedback to the learner."""
    try:
        handins.review(g.account, class_id, handin_id, request.form)
    except InvalidInput as err:
        return _review_page(class_id, handin_id, err, 400)
    return redirect(url_for("review.queue", class_id=class_id, reviewed=1), 303)


@bp.get("/learners/<learner_id>/portfolio")
@allow(*STAFF)
def portfolio(class_id: str, learner_id: str):
    """A learner's finished work, ready to print for the family."""
    learner = classes.learner_in(classes.class_for(g.account, class_id), learner_id)
    return render_template("projects/portfolio.html", learner=learner, entries=projects.portfolio(learner.id),
                           back=url_for("coach.learner", class_id=class_id, learner_id=learner_id))

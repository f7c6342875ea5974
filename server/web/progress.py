"""The learner's own progress, "What next", finishing lessons and reflecting on a unit."""
from flask import Blueprint, g, redirect, render_template, request, url_for

from server.coaching import buddies
from server.content import library
from server.learning import profiles
from server.i18n import page_language
from server.learning import next_steps, progress_report
from server.learning.progress import record_event
from server.web.access import allow

bp = Blueprint("progress", __name__)


@bp.get("/me")
@allow("learner")
def me():
    """Skills mastered, in progress and due for review; the weekly goal; modest badges."""
    report = progress_report.learner_report(g.account)
    return render_template("progress/me.html", report=report,
                           week=profiles.weekly_progress(g.account))


@bp.get("/next")
@allow("learner")
def what_next():
    """Three choices, each with a reason; the learner picks."""
    return render_template("progress/next.html",
                           suggestions=next_steps.readable_suggestions(g.account, page_language()),
                           buddies=buddies.pairings_for(g.account))


@bp.post("/packs/<pack_id>/lessons/<lesson_id>/finish")
@allow("learner")
def finish_lesson(pack_id: str, lesson_id: str):
    """Mark a lesson finished; go on to its practice, assigned work, the unit's reflection or the next lesson."""
    page = library.lesson_page(pack_id, lesson_id)
    record_event(g.account.id, "lesson_finished", {"pack_id": pack_id, "lesson_id": lesson_id})
    unit_id = page.lesson.unit.unit_id
    unit_ends = page.next is None or library.lesson_page(pack_id, page.next.lesson_id).lesson.unit.unit_id != unit_id
    then = next_steps.after_lesson(g.account, page, unit_ends)
    if then:
        return redirect(then, 303)
    if unit_ends:
        return redirect(url_for("progress.reflect", pack_id=pack_id, unit_id=unit_id), 303)
    return redirect(url_for("learn.lesson", pack_id=pack_id, lesson_id=page.next.lesson_id), 303)


@bp.get("/packs/<pack_id>/units/<unit_id>/reflect")
@allow("learner")
def reflect(pack_id: str, unit_id: str):
    """A short reflection prompt after a unit."""
    unit = progress_report.unit_of(pack_id, unit_id)
    return render_template("progress/reflect.html", pack_id=pack_id, unit=unit,
                           saved=request.args.get("saved"))


@bp.post("/packs/<pack_id>/units/<unit_id>/reflect")
@allow("learner")
def reflect_post(pack_id: str, unit_id: str):
    """Save a reflection as an event."""
    progress_report.save_reflection(g.account, pack_id, unit_id, request.form)
    return redirect(url_for("progress.what_next"), 303)

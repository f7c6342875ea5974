"""A learner's data: export (for the learner and the admin) and erasure (admin only)."""
import json

from flask import Blueprint, g, redirect, render_template, url_for

from server import privacy
from server.web.access import allow

bp = Blueprint("privacy", __name__)


def _download(data: bytes, mimetype: str, filename: str):
    from flask import current_app

    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/me/export.json")
@allow("learner")
def my_export():
    """Everything the server holds about me."""
    return _download(json.dumps(privacy.export_learner(g.account), ensure_ascii=False, indent=1).encode(),
                     "application/json", "my-lantern-data.json")


@bp.get("/admin/learners/<learner_id>/export.json")
@allow("admin")
def export_json(learner_id: str):
    """A learner's data as JSON (for a parent's request, or a move to another school)."""
    account = privacy.learner(learner_id)
    return _download(json.dumps(privacy.export_learner(account), ensure_ascii=False, indent=1).encode(),
                     "application/json", f"{account.username}-lantern-data.json")


@bp.get("/admin/learners/<learner_id>/answers.csv")
@allow("admin")
def export_csv(learner_id: str):
    """A learner's answers as a spreadsheet."""
    account = privacy.learner(learner_id)
    return _download(privacy.answers_csv(account), "text/csv", f"{account.username}-answers.csv")


@bp.get("/admin/learners/<learner_id>/erase")
@allow("admin")
def erase_form(learner_id: str):
    """Confirm before erasing."""
    return render_template("admin/erase.html", learner=privacy.learner(learner_id))


@bp.post("/admin/learners/<learner_id>/erase")
@allow("admin")
def erase(learner_id: str):
    """Erase a learner here, and on the hub at the next sync."""
    from flask import current_app

    privacy.erase_learner(privacy.learner(learner_id), g.account, current_app.config["DATA_DIR"])
    return redirect(url_for("privacy.erased"), 303)


@bp.get("/admin/erased")
@allow("admin")
def erased():
    """Confirmation after an erasure."""
    return render_template("admin/erased.html")

"""Coach pages: class overview with who needs help, item analysis, a learner, assigning work,
groups, CSV exports and printable reports. Coaches see their own classes; admins their school's."""
import re
from collections import Counter

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from markupsafe import Markup

from server.i18n import localized
from server.coaching import assignments, buddies, grid_views, groups, item_analysis, learner_reports, reports
from server.people import auth, classes
from server.learning import discussion
from server import i18n
from server.people.csv_files import write_csv
from server.errors import InvalidInput
from server.web.access import allow

bp = Blueprint("coach", __name__, url_prefix="/coach")
STAFF = ("coach", "admin")


@bp.context_processor
def _state_icons():
    return {"icons": reports.STATES}


def _pack() -> str | None:
    return request.args.get("pack") or None


@bp.get("")
@allow(*STAFF)
def home():
    """The classes this coach teaches (an admin sees every class of the school)."""
    return render_template("coach/home.html", classes=classes.classes_for(g.account))


@bp.get("/classes/<class_id>")
@allow(*STAFF)
def overview(class_id: str):
    """Who needs help, then who mastered what: learners × skills of one pack."""
    o = reports.class_overview(g.account, class_id, _pack())
    return render_template("coach/class.html", o=o, buddies=buddies.buddy_panel(o),
                           sums=grid_views.skill_summaries(o), questions=discussion.class_counts(o.classroom),
                           guessing=auth.class_guessing(o.classroom.id))


@bp.get("/classes/<class_id>/grid")
@allow(*STAFF)
def grid(class_id: str):
    """Who mastered what on a phone: one skill with every learner, or one learner with every skill."""
    o, learner_id = reports.class_overview(g.account, class_id, _pack()), request.args.get("learner")
    return render_template("coach/grid.html", o=o,
                           by_learner=grid_views.learner_grid_view(o, learner_id) if learner_id else None,
                           by_skill=None if learner_id else grid_views.skill_view(o, request.args.get("skill")))


@bp.get("/classes/<class_id>/report")
@allow(*STAFF)
def class_report(class_id: str):
    """The overview as one printable page."""
    return render_template("coach/class_report.html", o=reports.class_overview(g.account, class_id, _pack()))


@bp.get("/classes/<class_id>/items")
@allow(*STAFF)
def items(class_id: str):
    """The hardest questions first, with the wrong answers most given and who gave them."""
    return render_template("coach/items.html", a=item_analysis.item_analysis(g.account, class_id, _pack()))


@bp.get("/classes/<class_id>/learners/<learner_id>")
@allow(*STAFF)
def learner(class_id: str, learner_id: str):
    """One learner, read-only: skills as the overview shows them, recent wrong answers, goal, reflections,
    recent activity."""
    page = learner_reports.coach_learner_page(g.account, class_id, learner_id)
    return render_template("coach/learner.html", v=page.view, page=page)


@bp.get("/classes/<class_id>/learners/<learner_id>/parent-report")
@allow(*STAFF)
def parent_report(class_id: str, learner_id: str):
    """A one-page report for the learner's family, ready to print."""
    view = learner_reports.learner_view(g.account, class_id, learner_id)
    return _parent_page([view], view.classroom)


@bp.get("/classes/<class_id>/parent-reports")
@allow(*STAFF)
def parent_reports(class_id: str):
    """Every learner's parent report in one document to print at once, one page each, each in the
    language its family reads."""
    classroom = classes.class_for(g.account, class_id)
    views = [learner_reports.learner_view(g.account, class_id, learner.id)
             for learner in classes.learners_query(classroom)]
    return _parent_page(views, classroom)


def _parent_page(views, classroom):
    """Each learner's report made in the language their family reads (the page around it is the coach's),
    and how many reports are in each language."""
    articles, languages = [], Counter()
    for n, view in enumerate(views, start=1):
        with i18n.language(view.language) as code:
            languages[code] += 1
            articles.append(Markup(render_template("coach/_parent_report.html", v=view, n=n, lang=code,
                                                   dir="rtl" if code in i18n.RIGHT_TO_LEFT else "ltr")))
    return render_template("coach/parent_reports.html", articles=articles, classroom=classroom,
                           languages=sorted(languages.items()))


@bp.get("/classes/<class_id>/assign")
@allow(*STAFF)
def assign_form(class_id: str):
    """Choose who, what (lessons and practice) and when; see and remove what is assigned."""
    return _assign_page(class_id, _pack())


def _assign_page(class_id: str, pack_id: str | None, error: str | None = None, status: int = 200):
    page = assignments.assign_page(g.account, class_id, pack_id)
    chosen = request.values.getlist("work") or request.args.getlist("work")
    return render_template("coach/assign.html", page=page, error=error, chosen_work=chosen,
                           chosen_target=request.values.get("target", "class"), due=request.values.get("due", ""),
                           done=request.args.get("done", type=int), group_made=request.args.get("group")), status


@bp.post("/classes/<class_id>/assign")
@allow(*STAFF)
def assign_post(class_id: str):
    """Assign the ticked work; it shows first in each learner's "What next"."""
    try:
        made = assignments.assign(g.account, class_id, request.form)
    except InvalidInput as err:
        return _assign_page(class_id, request.form.get("pack"), localized(err), 400)
    return redirect(url_for("coach.assign_form", class_id=class_id, pack=made[0].pack_id, done=len(made)), 303)


@bp.post("/classes/<class_id>/groups")
@allow(*STAFF)
def group_post(class_id: str):
    """Make a group (ticked learners, a wrong answer's learners, or not yet mastered), then assign."""
    made = groups.make_group(g.account, class_id, request.form)
    return redirect(url_for("coach.assign_form", class_id=class_id, pack=request.form.get("pack") or None,
                            target=f"group:{made.group.id}", group=made.group.name, work=made.work), 303)


@bp.get("/classes/<class_id>/groups")
@allow(*STAFF)
def groups_page(class_id: str, error: str | None = None, status: int = 200):
    """The class's groups: rename one, choose its members again, or delete it."""
    return render_template("coach/groups.html", page=groups.groups_page(g.account, class_id), error=error,
                           done=request.args.get("done")), status


@bp.post("/classes/<class_id>/groups/<group_id>")
@allow(*STAFF)
def group_edit(class_id: str, group_id: str):
    """Save a group's new name and members."""
    try:
        groups.edit_group(g.account, class_id, group_id, request.form)
    except InvalidInput as err:
        return groups_page(class_id, localized(err), 400)
    return redirect(url_for("coach.groups_page", class_id=class_id, done="saved"), 303)


@bp.post("/classes/<class_id>/groups/<group_id>/delete")
@allow(*STAFF)
def group_delete(class_id: str, group_id: str):
    """Delete a group; work already assigned to it stays with its learners."""
    groups.delete_group(g.account, class_id, group_id)
    return redirect(url_for("coach.groups_page", class_id=class_id, done="deleted"), 303)


@bp.post("/classes/<class_id>/assignments/<assignment_id>/remove")
@allow(*STAFF)
def remove_assignment(class_id: str, assignment_id: str):
    """Take back assigned work."""
    row = assignments.remove_assignment(g.account, class_id, assignment_id)
    return redirect(url_for("coach.assign_form", class_id=class_id, pack=row.pack_id), 303)


@bp.get("/classes/<class_id>/grid.csv")
@allow(*STAFF)
def grid_csv(class_id: str):
    """The overview grid as a spreadsheet file."""
    overview = reports.class_overview(g.account, class_id, _pack())
    pack_id = overview.pack.pack_id if overview.pack else "no-pack"
    return _csv(reports.grid_csv_rows(overview), f"{overview.classroom.name}-{pack_id}-grid")


@bp.get("/classes/<class_id>/answers.csv")
@allow(*STAFF)
def answers_csv(class_id: str):
    """Every answer the class gave in a pack, as a spreadsheet file."""
    classroom, rows = item_analysis.answers_csv_rows(g.account, class_id, _pack())
    return _csv(rows, f"{classroom.name}-answers")


def _csv(rows: list[list], name: str) -> Response:
    filename = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".csv"
    return Response(write_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

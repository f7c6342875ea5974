"""Admin pages: classes, accounts (one by one or from a spreadsheet), PIN resets, moves, audit log.
Every change is recorded in the audit log by server.people.admin; admins see their own school only."""
from flask import Blueprint, g, make_response, redirect, render_template, request, url_for

from server.content import library
from server.i18n import localized
from server.people import admin
from server.people.classes import classes_for
from server.errors import InvalidInput
from server.web.access import allow

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("")
@allow("admin")
def home():
    """The school at a glance: classes, head counts, the latest actions."""
    return render_template("admin/home.html", home=admin.admin_home(g.account))


@bp.get("/packs")
@allow("admin")
def packs():
    """The content packs installed on this server."""
    return render_template("admin/packs.html", packs=library.installed_packs())


@bp.get("/packs/<pack_id>")
@allow("admin")
def pack(pack_id: str):
    """One pack: its facts and its import report (what came in, what was left out and why)."""
    return render_template("admin/pack.html", r=library.pack_report(pack_id))


@bp.get("/classes")
@allow("admin")
def classes(error: str | None = None, status: int = 200):
    """The school's classes, and a form to add one."""
    return render_template("admin/classes.html", classes=classes_for(g.account),
                           error=error, created=request.args.get("created")), status


@bp.post("/classes")
@allow("admin")
def classes_post():
    """Create a class."""
    try:
        classroom = admin.create_class(g.account, request.form.get("name", ""))
    except InvalidInput as err:
        return classes(localized(err), 400)
    return redirect(url_for("admin.classes", created=classroom.name), 303)


@bp.get("/accounts")
@allow("admin")
def accounts(error=None, field=None, status: int = 200):
    """Learners and coaches (optionally of one class), and a form to add one."""
    class_id = request.args.get("class") or None
    return render_template("admin/accounts.html", people=admin.school_accounts(g.account, class_id),
                           classes=admin.school_classes(g.account), class_id=class_id, error=error,
                           field=field, form=request.form, created=request.args.get("created")), status


@bp.post("/accounts")
@allow("admin")
def accounts_post():
    """Create one learner or coach."""
    try:
        account = admin.create_account(g.account, request.form)
    except InvalidInput as err:
        return accounts(localized(err), err.field, 400)
    return redirect(url_for("admin.accounts", created=account.username), 303)


@bp.get("/accounts/<account_id>")
@allow("admin")
def account(account_id: str, error=None, new_pin=None, status: int = 200):
    """One account: reset a learner's PIN, move them to another class; the classes a coach teaches."""
    person = admin.school_account(g.account, account_id)
    taught = admin.taught_classes(g.account, person) if person.role == "coach" else []
    return render_template("admin/account.html", person=person, classes=admin.school_classes(g.account),
                           taught=taught, error=error, new_pin=new_pin, moved=request.args.get("moved"),
                           teaching=request.args.get("teaching")), status


@bp.post("/accounts/<account_id>/pin")
@allow("admin")
def reset_pin(account_id: str):
    """Give a learner a new PIN; it is shown once, on this page."""
    try:
        _, pin = admin.reset_pin(g.account, account_id, request.form.get("pin", ""))
    except InvalidInput as err:
        return account(account_id, error=localized(err), status=400)
    return _no_store(account(account_id, new_pin=pin))


@bp.post("/accounts/<account_id>/move")
@allow("admin")
def move(account_id: str):
    """Move a learner to another class."""
    try:
        admin.move_learner(g.account, account_id, request.form.get("class_id", ""))
    except InvalidInput as err:
        return account(account_id, error=localized(err), status=400)
    return redirect(url_for("admin.account", account_id=account_id, moved=1), 303)


@bp.post("/accounts/<account_id>/classes")
@allow("admin")
def teaching(account_id: str):
    """Add a coach to a class, or take them off one."""
    teaches = request.form.get("teach") != "0"
    try:
        _, classroom = admin.set_teaching(g.account, account_id, request.form.get("class_id", ""), teaches)
    except InvalidInput as err:
        return account(account_id, error=localized(err), status=400)
    return redirect(url_for("admin.account", account_id=account_id, teaching="added" if teaches else "removed"), 303)


@bp.get("/import")
@allow("admin")
def import_form(result=None, error=None, status: int = 200):
    """Upload a CSV of learners (and coaches) from the school register."""
    return render_template("admin/import.html", classes=admin.school_classes(g.account), result=result,
                           error=error), status


@bp.post("/import")
@allow("admin")
def import_post():
    """Check every row; import all of them, or none and say which rows to fix."""
    upload = request.files.get("file")
    try:
        result = admin.import_accounts(g.account, upload.filename if upload else "", upload.read() if upload else b"",
                                       request.form.get("class_id", ""))
    except InvalidInput as err:
        return import_form(error=localized(err), status=400)
    return _no_store(import_form(result, status=400 if result.plan.has_errors else 200))


@bp.get("/audit")
@allow("admin")
def audit():
    """Who did what, when."""
    return render_template("admin/audit.html", lines=admin.audit_log(g.account))


def _no_store(view_result):
    """Pages that show new PINs are never kept in a cache."""
    response = make_response(view_result)
    response.headers["Cache-Control"] = "no-store"
    return response

"""Admin pages: classes, accounts (one by one or from a spreadsheet), PIN resets, moves, audit log.
Every change is recorded in the audit log by server.people.admin; admins see their own school only."""
from flask import Blueprint, current_app, g, make_response, redirect, render_template, request, url_for

from server.content import library
from server.device import first_run
from server.db import database
from server.i18n import localized
from server.content.packs import publishers
from server.people import admin, audit as audit_trail
from server.people.classes import classes_for
from server.people.symbols import SYMBOLS
from server.errors import InvalidInput
from server.web.access import allow
from server.web.operate import phone_address, qr_svg

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("")
@allow("admin")
def home():
    """The school at a glance: the first-run checklist, classes, head counts, the latest actions."""
    return render_template("admin/home.html", home=admin.admin_home(g.account),
                           steps=first_run.checklist(g.account, current_app.config["DATA_DIR"]))


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
                           error=error, created=request.args.get("created"), pins=request.args.get("pins")), status


@bp.post("/classes")
@allow("admin")
def classes_post():
    """Create a class."""
    try:
        classroom = admin.create_class(g.account, request.form.get("name", ""))
    except InvalidInput as err:
        return classes(localized(err), 400)
    return redirect(url_for("admin.classes", created=classroom.name), 303)


@bp.post("/classes/<class_id>/pins")
@allow("admin")
def pin_length(class_id: str):
    """Require longer PINs in a class (for PINs given from now on)."""
    try:
        classroom = admin.set_pin_length(g.account, class_id, request.form.get("pin_length", ""))
    except InvalidInput as err:
        return classes(localized(err), 400)
    return redirect(url_for("admin.classes", pins=classroom.name), 303)


@bp.get("/classes/<class_id>/cards")
@allow("admin")
def cards(class_id: str):
    """A class's sign-in cards to print (name, class, the class's QR code; a line to write the PIN on)."""
    classroom = admin.school_class(g.account, class_id)
    admin.note_printed(g.account, "print_cards", classroom.id)
    people = [(learner, None) for learner in admin.school_accounts(g.account, classroom.id)
              if learner.role == "learner"]
    return render_template("admin/cards.html", classroom=classroom, cards=people, fresh=False)


@bp.post("/classes/<class_id>/cards")
@allow("admin")
def cards_with_new_pins(class_id: str):
    """Give every learner of a class a new PIN and show their cards, PINs printed, this once."""
    try:
        classroom, new = admin.reset_class_pins(g.account, class_id)
    except InvalidInput as err:
        return classes(localized(err), 400)
    return _no_store(render_template("admin/cards.html", classroom=classroom, cards=new, fresh=True))


@bp.get("/classes/<class_id>/qr.svg")
@allow("admin")
def class_qr(class_id: str):
    """The QR code of a class's sign-in page (where learners tap their name), for the cards."""
    classroom = admin.school_class(g.account, class_id)
    response = make_response(qr_svg(phone_address() + url_for("account.signin_class", class_id=classroom.id)[1:]))
    response.headers["Content-Type"] = "image/svg+xml"
    return response


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
                           symbols=SYMBOLS, symbol_saved=request.args.get("symbol"),
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


@bp.post("/accounts/<account_id>/symbol")
@allow("admin")
def symbol(account_id: str):
    """Give a learner a sign-in symbol (or take it away)."""
    try:
        admin.set_symbol(g.account, account_id, request.form.get("symbol", ""))
    except InvalidInput as err:
        return account(account_id, error=localized(err), status=400)
    return redirect(url_for("admin.account", account_id=account_id, symbol=1), 303)


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


@bp.get("/publishers")
@allow("admin")
def publisher_keys(error=None, field=None, status: int = 200):
    """The publisher keys whose signed packs this server trusts, and a form to add one."""
    return render_template("admin/publishers.html", keys=publishers.trusted_keys(), error=error, field=field,
                           form=request.form, done=request.args.get("done")), status


@bp.post("/publishers")
@allow("admin")
def publisher_add():
    """Trust a publisher's public key under a name."""
    try:
        with database.atomic():
            row = publishers.trust_key(request.form.get("public_key", ""), request.form.get("name", ""))
            audit_trail.record(g.account, "publisher_trusted", key_id=row.key_id, name=row.name)
    except InvalidInput as err:
        return publisher_keys(localized(err), err.field, 400)
    return redirect(url_for("admin.publisher_keys", done="added"), 303)


@bp.post("/publishers/<key_id>/remove")
@allow("admin")
def publisher_remove(key_id: str):
    """Stop trusting a publisher key."""
    with database.atomic():
        if publishers.distrust_key(key_id):
            audit_trail.record(g.account, "publisher_distrusted", key_id=key_id[:16])
    return redirect(url_for("admin.publisher_keys", done="removed"), 303)


def _no_store(view_result):
    """Pages that show new PINs are never kept in a cache."""
    response = make_response(view_result)
    response.headers["Cache-Control"] = "no-store"
    return response

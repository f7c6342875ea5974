"""Running the server with no IT staff: first-run setup, USB sticks, device status, poster."""
import io

from flask import (Blueprint, current_app, g, redirect, render_template, request, url_for)
from markupsafe import Markup

from server.device import status as device, usb, usb_export
from server.people import admin as school_admin, setup
from server.people.auth import start_session
from server.errors import InvalidInput, NotFound
from server.i18n import N_, localized
from server.device.jobs import JobRunner
from server.models.base import utcnow
from server.content.packs.install import Library
from server.web.access import allow, set_session_cookie
from server.people.school import the_school

bp = Blueprint("operate", __name__)
SETUP_EXEMPT = ("/setup", "/static/", "/healthz", "/media/", "/sync/")


def init_app(app) -> None:
    """Send every page to the setup form until the school exists; hold the job runner."""
    app.extensions["lantern_jobs"] = JobRunner(app.config["DATA_DIR"] / "jobs")

    @app.before_request
    def _first_run():
        if app.extensions.get("lantern_set_up") or request.path.startswith(SETUP_EXEMPT):
            return None
        if setup.needs_setup():
            return redirect(url_for("operate.setup_form"))
        app.extensions["lantern_set_up"] = True
        return None


@bp.get("/setup")
@allow("public")
def setup_form():
    """The first-run form: school name, language, first admin."""
    if not setup.needs_setup():
        return redirect(url_for("learn.home"))
    return render_template("operate/setup.html", languages=setup.LANGUAGES, form={})


@bp.post("/setup")
@allow("public")
def setup_post():
    """Create the school and admin, sign the admin in."""
    try:
        admin = setup.complete_setup(request.form, current_app.config["ROLE"])
    except InvalidInput as err:
        return render_template("operate/setup.html", languages=setup.LANGUAGES, form=request.form,
                               error=localized(err), field=err.field), 400
    home = url_for("hub.schools") if admin.role == "operator" else url_for("admin.home")
    response = redirect(home, 303)
    set_session_cookie(response, start_session(admin))
    return response


@bp.get("/admin/usb")
@allow("admin")
def usb_packs():
    """Packs found on USB sticks, with what each is and an Import button."""
    roots = current_app.config["USB_ROOTS"]
    return render_template("operate/usb.html", found=usb.find_packs(roots), roots=roots,
                           drives=usb_export.find_drives(roots), paired=usb_export.is_paired(),
                           jobs=current_app.extensions["lantern_jobs"].recent()[:5])


@bp.post("/admin/usb/import")
@allow("admin")
def usb_import():
    """Start importing one pack from a stick; show its progress page."""
    from pathlib import Path

    path = Path(request.form.get("path", ""))
    if not request.form.get("path") or not usb.is_under_roots(path, current_app.config["USB_ROOTS"]) \
            or not path.exists():
        raise InvalidInput("That pack is no longer on the USB stick. Plug it in again and reload the list.")
    library = Library(current_app.config["DATA_DIR"], current_app.config["MIN_FREE_BYTES"])
    topics = tuple(t for t in request.form.getlist("topic") if t)[:100]  # a Kolibri channel's, by id
    job = current_app.extensions["lantern_jobs"].start_import(path, library, topics)
    return redirect(url_for("operate.job", job_id=job.id), 303)


@bp.post("/admin/usb/backup")
@allow("admin")
def usb_backup():
    """Start saving a verified backup to one stick; show its progress page."""

    drive, config = _drive_from_form(), current_app.config
    school = the_school().name
    job = current_app.extensions["lantern_jobs"].start_task(
        N_("Save a backup to the USB stick"),
        lambda progress: usb_export.backup_to_drive(
            config["DATA_DIR"], drive, config["USB_ROOTS"], school, utcnow(),
            config.get("USB_RESERVE_BYTES", usb_export.DEFAULT_RESERVE), progress=progress).outcome)
    return redirect(url_for("operate.job", job_id=job.id), 303)


@bp.post("/admin/usb/bundle")
@allow("admin")
def usb_bundle():
    """Start writing the results for the hub (a sync bundle) to one stick; show its progress page."""
    drive, config = _drive_from_form(), current_app.config
    if not usb_export.is_paired():
        raise InvalidInput(N_("This server is not paired with the district hub yet, so there is nothing to send."))
    job = current_app.extensions["lantern_jobs"].start_task(
        N_("Save results for the hub to the USB stick"),
        lambda progress: usb_export.bundle_to_drive(
            config["DATA_DIR"], drive, config["USB_ROOTS"],
            config.get("USB_RESERVE_BYTES", usb_export.DEFAULT_RESERVE), progress=progress).outcome)
    return redirect(url_for("operate.job", job_id=job.id), 303)


def _drive_from_form():
    from pathlib import Path

    raw = request.form.get("drive", "")
    drive = Path(raw)
    if not raw or not drive.is_dir() or not usb.is_under_roots(drive, current_app.config["USB_ROOTS"]):
        raise InvalidInput(N_("That USB stick is no longer there. Plug it in again and reload the page."))
    return drive


@bp.get("/admin/jobs/<job_id>")
@allow("admin")
def job(job_id: str):
    """A job's progress; refreshes itself every 2 seconds until it ends (no JavaScript)."""
    found = current_app.extensions["lantern_jobs"].get(job_id)
    if found is None:
        raise NotFound("This task is not known (the server may have restarted). Check the pack list.")
    response = current_app.make_response(render_template("operate/job.html", job=found))
    if found.state in ("waiting", "running"):
        response.headers["Refresh"] = "2"
    return response


@bp.get("/admin/status")
@allow("admin")
def status():
    """Disk, memory, uptime, activity and plain-words warnings."""
    return render_template("operate/status.html", s=device.device_status(current_app.config["DATA_DIR"]),
                           address=phone_address())


@bp.app_template_filter("stick_name")
def stick_name(path: str) -> str:
    """What a person calls a USB stick: its label (the last part of where it is mounted), never a path."""
    return str(path).rstrip("/").rsplit("/", 1)[-1] or str(path)


def phone_address() -> str:
    """The address phones use: this device's LAN address with the port this page was served on."""
    port = request.host.rsplit(":", 1)[1] if ":" in request.host and not request.host.endswith("]") else ""
    port = port if port.isdigit() else ""  # the Host header is the client's: only a port number is kept
    return f"http://{device.lan_address()}{':' + port if port else ''}/"


def qr_svg(url: str) -> str:
    """A QR code for `url` as an SVG document (for the poster and the sign-in cards)."""
    svg = io.BytesIO()
    import segno  # a QR code is drawn rarely; not worth keeping in memory

    segno.make(url, error="m").save(svg, kind="svg", scale=10, border=2, xmldecl=False,
                                    title=f"QR code for {url}", svgclass="qr")
    return svg.getvalue().decode()


@bp.get("/admin/poster")
@allow("admin", "coach")
def poster():
    """A printable poster with the address of the class list in large type and a QR code for it."""
    url = phone_address() + "signin"
    qr = qr_svg(url).replace("<svg ", '<svg role="img" ', 1)
    school_admin.note_printed(g.account, "print_poster")
    return render_template("operate/poster.html", url=url, qr=Markup(qr))

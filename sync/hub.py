"""Hub endpoints: pairing and pushes from school devices, and the operator's pages."""
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, send_file, url_for

from server.errors import Forbidden, NotFound, SyncError
from server.identity import device_key, public_key_hex
from server.models import HubDevice, HubSchool
from server.models.base import utcnow
from server.web.access import allow
from sync import apply, packs, protocol, results, roster_hub, uploads

bp = Blueprint("hub", __name__)


@bp.post("/sync/v1/pair")
@allow("public")
def pair():
    """Register a device's key with a one-time pairing code (the code is the credential)."""
    message = protocol.decode(request.get_data(cache=False), "pair")
    device = apply.pair_device(message.get("code"), message.get("public_key"), message.get("name"))
    hub_key = public_key_hex(device_key(current_app.config["DATA_DIR"]))
    return _reply({"type": "paired", "device_id": device.id, "school_id": device.school_id,
                   "hub_public_key": hub_key})


@bp.post("/sync/v1/push")
@allow("public")
def push():
    """Receive a signed batch of events; answer with an acknowledgement."""
    body = request.get_data(cache=False)
    if len(body) > protocol.MAX_COMPRESSED:
        raise SyncError("the message is too large")
    headers = request.headers
    device = apply.authenticate(headers.get("X-Lantern-Device"), headers.get("X-Lantern-Timestamp"),
                                headers.get("X-Lantern-Nonce"), headers.get("X-Lantern-Signature"),
                                request.method, request.path, body)
    with apply.failures_logged(device, "push"):
        return _reply(uploads.ingest_with_erasure(device, protocol.decode(body, "push"),
                                                  current_app.config["DATA_DIR"]))


@bp.post("/sync/v1/upload/<sha256>")
@allow("public")
def upload(sha256: str):
    """Store a learner's uploaded work (a hand-in's photo or recording) that the school's events name."""
    body = request.get_data(cache=False)
    if len(body) > uploads.MAX_UPLOAD_BYTES:
        raise SyncError("The upload is larger than a hand-in can be.")
    return _reply(uploads.receive_upload(_device(body), sha256, body, current_app.config["DATA_DIR"]))


@bp.post("/sync/v1/roster")
@allow("public")
def roster():
    """Take a device's roster changes (last-writer-wins); answer with the changes after its cursor."""
    body = _signed_body()
    device = _device(body)
    with apply.failures_logged(device, "roster"):
        return _reply(roster_hub.answer_roster(device, protocol.decode(body, "roster")))


@bp.post("/sync/v1/catalogue")
@allow("public")
def catalogue():
    """The packs the hub offers."""
    body = _signed_body()
    device = _device(body)
    message = protocol.decode(body, "catalogue-request")
    if message.get("school_id") != device.school_id:
        raise Forbidden("This message names another school than the device's own.")
    return _reply({"type": "catalogue", "packs": packs.catalogue(),
                   "publishers": packs.publisher_keys(current_app.config["DATA_DIR"])})


@bp.get("/sync/v1/packs/<sha256>")
@allow("public")
def pack_file(sha256: str):
    """An offered pack archive, for a signed device; honours Range so a cut download resumes."""
    _device(b"")
    path = packs.offered_file(sha256, current_app.config["DATA_DIR"])
    if path is None or not path.is_file():
        raise NotFound("The hub no longer offers this pack.")
    return send_file(path, mimetype="application/octet-stream", conditional=True, etag=sha256, max_age=0)


def _signed_body() -> bytes:
    body = request.get_data(cache=False)
    if len(body) > protocol.MAX_COMPRESSED:
        raise SyncError("the message is too large")
    return body


def _device(body: bytes):
    headers = request.headers
    return apply.authenticate(headers.get("X-Lantern-Device"), headers.get("X-Lantern-Timestamp"),
                              headers.get("X-Lantern-Nonce"), headers.get("X-Lantern-Signature"),
                              request.method, request.path, body)


def _reply(message: dict):
    response = current_app.response_class(protocol.encode(message), mimetype="application/json")
    response.headers["Content-Encoding"] = "gzip"
    return response


@bp.get("/hub")
@allow("operator")
def schools():
    """Every school: last sync, events received, devices (with revoke)."""
    rows = list(HubSchool.select().order_by(HubSchool.name))
    devices = {}
    for device in HubDevice.select().order_by(HubDevice.paired_at):
        devices.setdefault(device.school_id, []).append(device)
    return render_template("hub/schools.html", schools=rows, devices=devices, problems=apply.latest_problems(),
                           quiet_days=apply.QUIET_DAYS, now=utcnow(), code=request.args.get("code"),
                           new_school=request.args.get("school"))


@bp.post("/hub/schools")
@allow("operator")
def add_school():
    """Register a school and show its pairing code once."""
    school, code = apply.register_school(request.form.get("name", ""))
    return redirect(url_for("hub.schools", code=code, school=school.name), 303)


@bp.post("/hub/devices/<device_id>/revoke")
@allow("operator")
def revoke(device_id: str):
    """Revoke a device in one click (e.g. it was stolen); then show what it changed, to review."""
    apply.revoke_device(device_id)
    return redirect(url_for("hub.device_changes", device_id=device_id), 303)


@bp.get("/hub/devices/<device_id>/changes")
@allow("operator")
def device_changes(device_id: str):
    """The roster records whose standing version a device sent, and the admins it declared."""
    device, changes, admins = roster_hub.device_review(device_id)
    return render_template("hub/device_changes.html", device=device, changes=changes, admins=admins)


@bp.get("/hub/results")
@allow("operator")
def results_overview():
    """Results across schools: answers, masteries and learners seen per school."""
    return render_template("hub/results.html", totals=results.overview())


@bp.get("/hub/results/<school_id>")
@allow("operator")
def school_results(school_id: str):
    """One school's results per class and skill."""
    school, rows = results.school_results(school_id)
    return render_template("hub/school_results.html", school=school, rows=rows)


@bp.get("/hub/packs")
@allow("operator")
def offered_packs():
    """The packs this hub offers to schools (`lantern hub offer-pack FILE`)."""
    return render_template("hub/packs.html", packs=packs.catalogue())

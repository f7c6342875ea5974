"""Hub endpoints: pairing and pushes from school devices, and the operator's pages."""
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from server.errors import SyncError
from server.identity import device_key, public_key_hex
from server.models import HubDevice, HubSchool
from server.views.access import allow
from sync import apply, protocol

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
    return _reply(apply.ingest_push(device, protocol.decode(body, "push")))


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
    return render_template("hub/schools.html", schools=rows, devices=devices,
                           code=request.args.get("code"), new_school=request.args.get("school"))


@bp.post("/hub/schools")
@allow("operator")
def add_school():
    """Register a school and show its pairing code once."""
    school, code = apply.register_school(request.form.get("name", ""))
    return redirect(url_for("hub.schools", code=code, school=school.name), 303)


@bp.post("/hub/devices/<device_id>/revoke")
@allow("operator")
def revoke(device_id: str):
    """Revoke a device in one click (e.g. it was stolen)."""
    apply.revoke_device(device_id)
    return redirect(url_for("hub.schools"), 303)

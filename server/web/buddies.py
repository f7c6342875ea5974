"""Study buddies: the coach confirms a suggested pair, or ends one (shown on the class overview)."""
from flask import Blueprint, g, redirect, request, url_for

from server.coaching import buddies
from server.web.access import allow

bp = Blueprint("buddies", __name__)
STAFF = ("coach", "admin")


@bp.post("/coach/classes/<class_id>/buddies")
@allow(*STAFF)
def pair(class_id: str):
    """Confirm a suggested pair: both learners then see it."""
    made = buddies.confirm_pair(g.account, class_id, request.form)
    return redirect(url_for("coach.overview", class_id=class_id, pack=made.pack_id, _anchor="buddies"), 303)


@bp.post("/coach/classes/<class_id>/buddies/<pair_id>/end")
@allow(*STAFF)
def end(class_id: str, pair_id: str):
    """End a pairing."""
    ended = buddies.end_pair(g.account, class_id, pair_id)
    return redirect(url_for("coach.overview", class_id=class_id, pack=ended.pack_id, _anchor="buddies"), 303)

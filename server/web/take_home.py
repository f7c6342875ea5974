"""Take this pack home: the page that says what the file holds and its size, and the download itself.

Over plain HTTP on a school LAN the service worker never runs, so nothing stays on the phone; this file
does: one HTML page, no JavaScript, opened from the phone's files (see docs/operator-guide.md).
"""
from flask import Blueprint, current_app, make_response, render_template

from server.content import library
from server.i18n import N_, page_language, translate
from server.web.access import allow

bp = Blueprint("take_home", __name__)
WHO = ("learner", "coach", "admin")


@bp.get("/packs/<pack_id>/take-home")
@allow(*WHO)
def page(pack_id: str):
    """What the take-home file holds, its size, and the button to download it."""
    pack = library.get_pack(pack_id)
    size = _file(pack).stat().st_size
    return render_template("learn/take_home.html", pack=pack, kilobytes=max(1, round(size / 1024)))


@bp.get("/packs/<pack_id>/take-home/file")
@allow(*WHO)
def download(pack_id: str):
    """The take-home file, as a download (one HTML file in the page's language)."""
    pack = library.get_pack(pack_id)
    response = make_response(_file(pack).read_bytes())  # a few hundred KB; sent gzipped (web/http.py)
    response.mimetype = "text/html"
    response.headers["Content-Disposition"] = f'attachment; filename="{pack.pack_id}-{page_language()}.html"'
    return response


def _file(pack):
    # The builder brings Pillow and the Markdown pipeline: loaded when a file is first asked for, not in every
    # worker at start.
    from server.content.take_home.build import take_home_file  # see the comment above

    return take_home_file(current_app.config["DATA_DIR"], pack, page_language(),
                          render=lambda home: render_template("learn/take_home_file.html", home=home, pack=pack),
                          left_out=_left_out, min_free_bytes=current_app.config["MIN_FREE_BYTES"])


def _left_out(title: str) -> str:
    """The line that stands for a picture or recording the file does not carry."""
    if title.strip():
        return translate(N_("Not in this file: %(title)s")) % {"title": title.strip()}
    return translate(N_("Not in this file: a picture or a recording."))

"""Learner-facing content pages: library, pack outline, lesson, transcript, search."""
from flask import Blueprint, current_app, g, make_response, render_template, request

from server.learning import discussion, next_steps, progress
from server.content import library
from server.errors import NotFound
from server.i18n import N_, page_language
from server.content.search import SearchIndex
from server.web.access import allow
from server.web.http import CSP

bp = Blueprint("learn", __name__)


@bp.get("/")
@allow("public")
def home():
    """The school's library, the packs in the page's language first."""
    account = g.get("account")
    mine, others = library.list_packs(page_language())
    suggestions = (next_steps.readable_suggestions(account, page_language())
                   if account and account.role == "learner" else None)
    return render_template("learn/home.html", packs=mine, other_packs=others, suggestions=suggestions)


@bp.get("/packs/<pack_id>")
@allow("public")
def pack(pack_id: str):
    """One pack: its units and lessons."""
    pack = library.get_pack(pack_id)
    return render_template("learn/pack.html", pack=pack, units=library.pack_outline(pack))


@bp.get("/packs/<pack_id>/lessons/<lesson_id>")
@allow("public")
def lesson(pack_id: str, lesson_id: str):
    """A lesson page, pre-rendered at import."""
    page = library.lesson_page(pack_id, lesson_id)
    account = g.get("account")
    questions = practice = None
    if account and account.role == "learner":
        progress.note_lesson_opened(account.id, pack_id, lesson_id)
        questions = discussion.lesson_questions(account, pack_id, lesson_id, discussion.PREVIEW)
        practice = next_steps.lesson_practice(account, page)
    coach_questions = discussion.coach_question_total(account, pack_id, lesson_id) if account else 0
    response = make_response(render_template("learn/lesson.html", page=page, lesson=page.lesson, pack=page.pack,
                                             questions=questions, practice=practice, coach_questions=coach_questions))
    if any(m["kind"] == "app" for m in page.lesson.media):  # only such a page may frame an app (web/apps.py)
        response.headers["Content-Security-Policy"] = CSP + "; frame-src 'self'"
    return response


@bp.get("/packs/<pack_id>/lessons/<lesson_id>/transcript/<int:n>")
@allow("public")
def transcript(pack_id: str, lesson_id: str, n: int):
    """The transcript of the lesson's n-th audio or video."""
    page = library.lesson_page(pack_id, lesson_id)
    if not 0 <= n < len(page.lesson.media) or not page.lesson.media[n]["transcript"]:
        raise NotFound(N_("This transcript does not exist."))
    return render_template("learn/transcript.html", page=page, media=page.lesson.media[n])


@bp.get("/search")
@allow("public")
def search():
    """Search lessons; works for accented and non-Latin text."""
    query = request.args.get("q", "")[:200]
    hits = SearchIndex.shared(current_app.config["DATA_DIR"] / "index").search(query) if query.strip() else []
    return render_template("learn/search.html", query=query, hits=hits)

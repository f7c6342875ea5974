"""Questions on a lesson: learners ask and answer their class; the coach replies and moderates.
Plain forms, POST then redirect; no JavaScript."""
from flask import Blueprint, g, redirect, render_template, request, url_for

from server.i18n import localized
from server.learning import discussion
from server.content import library
from server.errors import InvalidInput
from server.web.access import allow

bp = Blueprint("discussion", __name__)
STAFF = ("coach", "admin")
DONE = ("asked", "answered", "deleted", "reported", "replied")


@bp.get("/packs/<pack_id>/lessons/<lesson_id>/questions")
@allow("learner", "coach")
def lesson_questions(pack_id: str, lesson_id: str):
    """Every recent question of the learner's class (or the coach's classes) on this lesson, with the answers."""
    return _thread_page(pack_id, lesson_id)


def _thread_page(pack_id: str, lesson_id: str, error: str | None = None, status: int = 200):
    page = library.lesson_page(pack_id, lesson_id)
    number = min(max(1, request.args.get("page", 1, type=int)), 10_000)
    read = discussion.coach_lesson_questions if g.account.role == "coach" else discussion.lesson_questions
    questions, total = read(g.account, pack_id, lesson_id, page=number)
    done = request.args.get("done")
    return render_template("learn/questions.html", page=page, lesson=page.lesson, pack=page.pack,
                           questions=questions, total=total, error=error, body=request.form.get("body", ""),
                           answer_to=request.form.get("question"), done=done if done in DONE else None,
                           max_post=discussion.MAX_POST, number=number,
                           more=total > number * discussion.THREAD_LIMIT), status


@bp.post("/packs/<pack_id>/lessons/<lesson_id>/questions")
@allow("learner")
def ask(pack_id: str, lesson_id: str):
    """Ask the class a question about this lesson."""
    try:
        post = discussion.ask(g.account, pack_id, lesson_id, request.form)
    except InvalidInput as err:
        return _thread_page(pack_id, lesson_id, localized(err), 400)
    return _back(post, "asked")


@bp.post("/questions/<post_id>/answers")
@allow("learner", "coach")
def answer(post_id: str):
    """Answer a classmate's question (a learner), or reply to a learner's question (their coach)."""
    coach = g.account.role == "coach"
    try:
        post = (discussion.reply if coach else discussion.answer)(g.account, post_id, request.form)
    except InvalidInput as err:
        question = discussion.Post.get_by_id(post_id)
        if coach and request.form.get("back") == "board":
            return _board(question.classroom_id, localized(err), post_id, 400)
        return _thread_page(question.pack_id, question.lesson_id, localized(err), 400)
    if coach and request.form.get("back") == "board":
        return redirect(url_for("discussion.class_questions", class_id=post.classroom_id, done="replied",
                                _anchor=f"p-{post.parent_id}"), 303)
    return _back(post, "replied" if coach else "answered")


@bp.post("/posts/<post_id>/delete")
@allow("learner")
def delete(post_id: str):
    """Delete one's own question or answer."""
    return _back(discussion.delete_post(g.account, post_id), "deleted")


@bp.post("/posts/<post_id>/report")
@allow("learner")
def report(post_id: str):
    """Ask the coach to look at a post."""
    return _back(discussion.report_post(g.account, post_id), "reported")


def _back(post, done: str):
    return redirect(url_for("discussion.lesson_questions", pack_id=post.pack_id, lesson_id=post.lesson_id,
                            done=done), 303)


@bp.get("/coach/classes/<class_id>/questions")
@allow(*STAFF)
def class_questions(class_id: str):
    """Reported posts, unanswered questions and recent questions of one class."""
    return _board(class_id)


def _board(class_id: str, error: str | None = None, answer_to: str | None = None, status: int = 200):
    done = request.args.get("done")
    return render_template("coach/questions.html", b=discussion.class_board(g.account, class_id), error=error,
                           answer_to=answer_to, body=request.form.get("body", ""), max_post=discussion.MAX_POST,
                           done=done if done in DONE else None), status


@bp.post("/coach/classes/<class_id>/posts/<post_id>")
@allow(*STAFF)
def moderate(class_id: str, post_id: str):
    """Mark an answer helpful, hide or show a post, or keep a reported one."""
    post = discussion.moderate(g.account, class_id, post_id, request.form.get("action", ""))
    return redirect(url_for("discussion.class_questions", class_id=class_id, _anchor=f"p-{post.id}"), 303)

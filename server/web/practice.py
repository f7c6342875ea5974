"""Practice pages: one question per page, feedback on the next (post/redirect/get)."""
import re

from flask import Blueprint, g, redirect, render_template, request, url_for

from markupsafe import Markup

from server.coaching import handins
from server.i18n import N_, ngettext, translate
from server.learning import practice
from server.content.library import get_pack
from server.models import Item
from server.content.quiz.grading import choices_for_display
from server.web.access import allow
from server.models import Answer

bp = Blueprint("practice", __name__)


# A pack's own minimum rule as `server.learning.mastery.describe_rule` writes it, in the reader's language.
_RULES = ((re.compile(r"^(\d+) right answers in a row$"), lambda m: ngettext(
    "%(num)d right answer in a row", "%(num)d right answers in a row", int(m[1]))),
          (re.compile(r"^(\d+) right out of the last (\d+) answers$"), lambda m: translate(
              N_("%(right)s right out of the last %(answers)s answers")) % {"right": m[1], "answers": m[2]}))


@bp.app_template_filter("mastery_rule_words")
def mastery_rule_words(rule: str) -> str:
    """The mastery rule's English description, translated (unknown wording is shown as it is)."""
    for pattern, words in _RULES:
        if match := pattern.match(rule or ""):
            return words(match)
    return rule


@bp.app_template_filter("item_html")
def item_html(text: str, fmt: str) -> Markup:
    """Feedback text of an item, as safe HTML in the item's format."""
    from server.content.packs.prepare import format_item_text  # the Markdown pipeline, loaded on first use

    return Markup(format_item_text(text, fmt) or "")


@bp.get("/practice/<pack_id>/<skill_id>")
@allow("learner")
def question(pack_id: str, skill_id: str):
    """The next question on a skill (or a given item again, after a miss)."""
    item_id = request.args.get("item")
    if item_id and handins.is_open_question(pack_id, item_id):  # read by the coach, not checked here
        return redirect(url_for("projects.open_question", pack_id=pack_id, item_id=item_id))
    q = (practice.question_for_item(g.account.id, pack_id, item_id) if item_id
         else practice.next_question(g.account.id, pack_id, skill_id))
    hints = request.args.get("hints", "0")
    options = list(enumerate(choices_for_display(q.item.data))) if q.item.kind == "matching" else []
    return render_template("practice/question.html", q=q, item=q.item.data, matching_options=options,
                           show_hint=int(hints) if hints in ("0", "1", "2", "3", "4", "5") else 0)


@bp.post("/practice/<pack_id>/<skill_id>")
@allow("learner")
def answer(pack_id: str, skill_id: str):
    """Check and record an answer, then show its feedback page."""
    form = request.form.to_dict(flat=False)
    item_id, attempt = request.form.get("item", ""), request.form.get("attempt", "")
    if handins.is_open_question(pack_id, item_id):  # an essay is kept for the coach, never lost
        handins.hand_in_essay(g.account, pack_id, item_id, attempt, request.form.get("answer"))
        return redirect(url_for("projects.open_question", pack_id=pack_id, item_id=item_id, sent=1), 303)
    practice.record_answer(g.account.id, pack_id, item_id, attempt, form)
    return redirect(url_for("practice.result", pack_id=pack_id, skill_id=skill_id, attempt=attempt), 303)


@bp.get("/practice/<pack_id>/<skill_id>/result/<attempt>")
@allow("learner")
def result(pack_id: str, skill_id: str, attempt: str):
    """Feedback: right or not, why, and the worked solution after a second miss."""
    pack = get_pack(pack_id)

    answer = Answer.get_or_none((Answer.event_id == attempt) & (Answer.learner_id == g.account.id))
    item = Item.get_or_none((Item.pack_version == pack) & (Item.item_id == (answer.item_id if answer else "")))
    if answer is None or item is None:
        return redirect(url_for("practice.question", pack_id=pack_id, skill_id=skill_id))
    r = practice.answer_result(g.account.id, pack, item, attempt)
    return render_template("practice/result.html", r=r, item=item.data, skill_id=skill_id)


@bp.get("/practice/<pack_id>")
@allow("learner")
def skills(pack_id: str):
    """A pack's skills with this learner's standing: locked ones say what unlocks them."""
    pack = get_pack(pack_id)
    return render_template("practice/skills.html", pack=pack,
                           statuses=practice.skill_statuses(g.account.id, pack),
                           open_count=handins.open_question_count(pack))

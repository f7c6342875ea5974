"""Item analysis for a class: the hardest questions, the wrong answers most given, and by whom.

`Answer.response` holds the posted form fields as JSON ({"answer": "1"} for a choice); a
choice index means nothing to a coach, so `response_label` maps it to the answer's text from
the item's data. Two aggregate queries read the answers, whatever the class size.
"""
import json
import re
from dataclasses import dataclass

from peewee import SQL, fn

from server.db import database
from server.people.classes import class_for, learner_ids_query, learners_query
from server.models import Account, Answer, Item, PackVersion
from server.content.quiz.grading import choices_for_display
from server.i18n import N_, translate
from server.coaching.reports import choose_pack, share, skill_columns

MAX_LABEL = 80
NO_ANSWER = N_("(no answer)")
PICTURE_ONLY = N_("a question with no words (a picture only)")
GONE = N_("a question no longer installed")
SHOWN_WRONG = 3  # wrong answers listed per question; the rest are counted


@dataclass(frozen=True)
class WrongAnswer:
    label: str
    times: int
    learners: tuple[tuple[str, str], ...]  # (learner id, name), by name
    learner_share: float | None  # of the learners who answered the question

    @property
    def learner_ids(self) -> list[str]:
        return [learner_id for learner_id, _ in self.learners]


@dataclass(frozen=True)
class ItemReport:
    item_id: str
    skill_title: str
    summary: str
    answers: int
    correct: int
    learners: int  # how many learners answered it
    wrong: list[WrongAnswer]
    work: tuple[str, ...] = ()  # suggested for those who got it wrong: the skill's lesson and practice

    @property
    def share_correct(self) -> float | None:
        return share(self.correct, self.answers)


@dataclass(frozen=True)
class ItemAnalysis:
    classroom: object
    pack: PackVersion | None
    packs: list[PackVersion]
    items: list[ItemReport]


# --- pure helpers -----------------------------------------------------------------------------

def response_label(item: dict, response_text: str) -> str:
    """What the learner answered, in the words the question showed them."""
    try:
        response = json.loads(response_text)
    except ValueError:
        return _short(response_text)
    if not isinstance(response, dict):
        return _short(str(response))
    kind = item.get("kind")
    if kind == "matching":
        options = choices_for_display(item)
        asked = [pair["left"] for pair in item.get("pairs", []) if pair["left"]]
        return _short("; ".join(f"{left} → {_pick(options, response.get(f'match-{k}'))}"
                                for k, left in enumerate(asked)))
    value = response.get("answer")
    if kind in ("single", "multiple") or (kind == "fill" and item.get("input") == "choice"):
        picked = value if isinstance(value, list) else [value]
        return _short("; ".join(_pick(choices_for_display(item), v) for v in picked)) or translate(NO_ANSWER)
    if kind == "truefalse":
        return translate({"true": N_("True"), "false": N_("False")}.get(str(value).strip().lower(), NO_ANSWER))
    text = " ".join(str(value or "").split())
    return _short(text) if text else translate(N_("(blank)"))


def _pick(options: list[str], index) -> str:
    try:
        return plain_text(options[int(index)])
    except (TypeError, ValueError, IndexError):
        return translate(NO_ANSWER)


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def plain_text(markdown: str, limit: int = 140) -> str:
    """A question's text as one short plain line (images, links and emphasis marks dropped)."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", markdown or "")
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>|\[\[blank\]\]", " ", text).replace("\\", "")
    text = re.sub(r"[*_`#]+", "", text)
    return _short(" ".join(text.split()), limit)


def question_words(item: dict) -> str:
    """A question as a coach reads it: its words, never its id (a neutral label for a picture-only one)."""
    return plain_text(item.get("prompt", "")) or translate(PICTURE_ONLY)


def summarize_wrong(rows: list[tuple[str, str, str, int]], answered_by: int) -> list[WrongAnswer]:
    """Wrong answers merged by label, most given first: rows are (label, learner id, name, times)."""
    merged: dict[str, dict] = {}
    for label, learner_id, name, times in rows:
        entry = merged.setdefault(label, {"times": 0, "learners": {}})
        entry["times"] += times
        entry["learners"][learner_id] = name
    out = [WrongAnswer(label, e["times"], tuple(sorted(e["learners"].items(), key=lambda p: p[1])),
                       share(len(e["learners"]), answered_by)) for label, e in merged.items()]
    return sorted(out, key=lambda w: (-len(w.learners), -w.times, w.label))


def hardest_first(items: list[ItemReport]) -> list[ItemReport]:
    """Lowest share right first; among equals, the most answered first."""
    return sorted(items, key=lambda i: (i.share_correct if i.share_correct is not None else 2, -i.answers, i.item_id))


# --- reading the database ---------------------------------------------------------------------

def item_analysis(account: Account, class_id: str, pack_id: str | None = None) -> ItemAnalysis:
    """Every question the class answered in a pack, hardest first, with its common wrong answers."""
    classroom = class_for(account, class_id)
    packs, pack = choose_pack(classroom, pack_id)
    if pack is None:
        return ItemAnalysis(classroom, None, packs, [])
    totals_query, wrong_query = class_answer_queries(classroom, pack.pack_id)
    totals, wrong = list(totals_query.dicts()), list(wrong_query.dicts())
    items = {i.item_id: i for i in Item.select().where(
        (Item.pack_version == pack) & Item.item_id.in_([t["item_id"] for t in totals]))}
    names = {a.id: a.display_name for a in learners_query(classroom)}
    skills = {s.skill_id: s for s in skill_columns(pack)}
    wrong_by_item: dict[str, list[dict]] = {}
    for row in wrong:
        wrong_by_item.setdefault(row["item_id"], []).append(row)
    reports = [_item_report(t, items[t["item_id"]], wrong_by_item.get(t["item_id"], []), names, skills)
               for t in totals if t["item_id"] in items]
    return ItemAnalysis(classroom, pack, packs, hardest_first(reports))


def class_answer_queries(classroom, pack_id: str):
    """(per-item totals, wrong answers by item, response and learner) for a class in a pack.

    Both read only the covering index answer(learner_id, pack_id, is_correct, item_id, response)
    (migration 3), so the cost grows with the class, not the school. `pack_id || ''` keeps SQLite from
    choosing the pack index (every answer of the school) when it has no statistics to go by.
    """
    learners = Answer.learner_id.in_(learner_ids_query(classroom))
    totals = (Answer.select(Answer.item_id, fn.COUNT(SQL("*")).alias("n"), fn.SUM(Answer.is_correct).alias("right"),
                            fn.COUNT(Answer.learner_id.distinct()).alias("who"))
              .where(learners & (Answer.pack_id.concat("") == pack_id)).group_by(Answer.item_id))
    wrong = (Answer.select(Answer.item_id, Answer.response, Answer.learner_id, fn.COUNT(SQL("*")).alias("n"))
             .where(learners & (Answer.pack_id == pack_id) & (Answer.is_correct == False))  # noqa: E712
             .group_by(Answer.item_id, Answer.response, Answer.learner_id))
    return totals, wrong


def _item_report(total: dict, item: Item, wrong: list[dict], names: dict, skills: dict) -> ItemReport:
    labels: dict[str, str] = {}  # many learners give the same wrong answer: label each once
    for w in wrong:
        if w["response"] not in labels:
            labels[w["response"]] = response_label(item.data, w["response"])
    rows = [(labels[w["response"]], w["learner_id"], names.get(w["learner_id"], "?"), w["n"]) for w in wrong]
    skill = skills.get(item.skill_id)
    return ItemReport(item.item_id, skill.title if skill else "", question_words(item.data),
                      total["n"], int(total["right"] or 0), total["who"], summarize_wrong(rows, total["who"]),
                      tuple(skill.work) if skill else ())


def answers_csv_rows(account: Account, class_id: str, pack_id: str | None = None) -> tuple[object, list[list]]:
    """(class, rows): every answer the class gave in a pack, oldest first, for a spreadsheet."""
    classroom = class_for(account, class_id)
    _, pack = choose_pack(classroom, pack_id)
    rows = [["Learner", "Username", "Answered at (UTC)", "Question", "Skill", "Right?", "Answer given"]]
    if pack is None:
        return classroom, rows
    learners = {a.id: a for a in learners_query(classroom)}
    items = {i.item_id: i.data for i in Item.select(Item.item_id, Item.data).where(Item.pack_version == pack)}
    prompts = {item_id: question_words(data) for item_id, data in items.items()}
    skills = {s.skill_id: s.title for s in skill_columns(pack)}
    labels: dict[tuple[str, str], str] = {}
    query = (Answer.select(Answer.learner_id, Answer.item_id, Answer.skill_id, Answer.is_correct, Answer.response,
                           Answer.answered_at)
             .where(Answer.learner_id.in_(learner_ids_query(classroom)) & (Answer.pack_id.concat("") == pack.pack_id))
             .order_by(Answer.answered_at))
    # A class's export is tens of thousands of rows: read them as SQLite gives them (peewee's per-row
    # conversion was two thirds of the time); the timestamp's text is what the file shows anyway.
    for learner_id, item_id, skill_id, is_correct, response, answered_at in database.execute(query):
        who = learners.get(learner_id)
        key = (item_id, response)
        if key not in labels:
            labels[key] = response_label(items.get(item_id, {}), response)
        rows.append([who.display_name if who else "", who.username if who else "",
                     str(answered_at)[:19], prompts.get(item_id) or translate(GONE), skills.get(skill_id, ""),
                     "right" if is_correct else "wrong", labels[key]])
    return classroom, rows

"""Practice: skill status for a learner, choosing the next item, checking an answer.

Views call these; the rules themselves live in `mastery`, `learner_model` and `review`,
and every answer is an event recorded through `progress.record_event`.
"""
from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context

from server.learning import learner_model, mastery, pack_facts, review, skill_fold
from server.errors import Forbidden, InvalidInput, NotFound
from server.i18n import N_
from server.ids import uuid7
from server.content.library import get_pack
from server.models import Answer, Item, ItemStat, LearnerStat, PackVersion, Skill, SkillState
from server.models.base import utcnow
from server.learning.progress import record_event
from server.content.quiz.grading import Grade, grade

MAX_RESPONSE_CHARS = 2000


@dataclass(frozen=True)
class SkillStatus:
    pack_id: str
    skill_id: str
    title: str
    state: str  # locked | new | in_progress | refresh | mastered | review_due
    attempts: int
    needed: int  # right answers (on different questions) still needed for mastery
    rule: str  # the pack's own minimum rule in words ("" when none)
    missing: tuple[str, ...]  # titles of prerequisites not mastered now (never mastered, or to refresh)
    item_count: int
    p_known: float = mastery.P_START  # the model's chance that the learner knows the skill now
    to_refresh: tuple[str, ...] = ()  # of `missing`, the ones mastered before and now to refresh
    weak_evidence: str = ""  # "truefalse" when every question is true/false, "one_item" when there is one
    first_missing: str = ""  # the id of the first prerequisite to master or refresh (when locked)
    mastered_at: datetime | None = None  # when the present mastery was reached (None: not mastered)
    right_items: tuple[str, ...] = ()  # items answered right on a first try, as the mastery evidence counts them


@dataclass(frozen=True)
class Question:
    pack: PackVersion
    skill: SkillStatus
    item: Item
    attempt_id: str


@dataclass(frozen=True)
class AnswerResult:
    pack: PackVersion
    item: Item
    grade: Grade
    misses_in_a_row: int  # on this item, including this answer
    skill: SkillStatus
    is_new: bool
    mastered_now: bool = False  # this very answer reached mastery of its skill
    opened: tuple[SkillStatus, ...] = ()  # then: the skills it opens


def skill_statuses(learner_id: str, pack: PackVersion) -> list[SkillStatus]:
    """Every skill of a pack with this learner's standing on it, in pack order.

    Computed once per request (kept on flask.g, dropped by `forget_statuses` after an answer is recorded);
    outside a request, every call reads the database."""
    cache = g.setdefault("skill_statuses", {}) if has_request_context() else {}
    key = (learner_id, pack.id)
    if key not in cache:
        cache[key] = _skill_statuses(learner_id, pack)
    return list(cache[key])


def forget_statuses() -> None:
    """Drop this request's cached skill statuses (after recording an answer)."""
    if has_request_context():
        g.pop("skill_statuses", None)


def _skill_statuses(learner_id: str, pack: PackVersion) -> list[SkillStatus]:
    facts = pack_facts.facts_for(pack)
    states = {s.skill_id: s for s in SkillState.select().where(
        (SkillState.learner_id == learner_id) & (SkillState.pack_id == pack.pack_id))}
    titles = {s.skill_id: s.title for s in facts.skills}
    mastered = {sid for sid, st in states.items() if st.mastered_at}
    now = utcnow()
    out = []
    for skill in facts.skills:
        state = states.get(skill.skill_id)
        missing = tuple(p for p in skill.prerequisites if p not in mastered)
        refresh = tuple(titles[p] for p in missing if p in states and states[p].refresh_at)
        p_known = skill_fold.estimate_now(state, now) if state else mastery.P_START
        out.append(SkillStatus(pack.pack_id, skill.skill_id, skill.title, _state_name(state, missing, now),
                               state.attempts if state else 0, _needed(state, skill, p_known),
                               mastery.describe_rule(skill.rule), tuple(titles[p] for p in missing),
                               skill.item_count, round(p_known, 3), refresh, skill.weak_evidence,
                               missing[0] if missing else "", state.mastered_at if state else None,
                               tuple((state.evidence or {}).get("items") or ()) if state else ()))
    return out


def _needed(state: SkillState | None, skill: pack_facts.SkillFacts, p_known: float) -> int:
    """Right answers still needed for mastery, on a typical question of the skill."""
    if state and state.mastered_at:
        return 0
    right = len((state.evidence or {}).get("items") or ()) if state else 0
    rule_needed = mastery.rule_answers_needed(list(state.recent or []) if state else [], skill.rule)
    return mastery.right_answers_needed(p_known, right, skill.item_count, skill.typical, rule_needed)


def _state_name(state: SkillState | None, missing: tuple, now) -> str:
    if state and state.mastered_at:
        return "review_due" if review.is_due(state.review_due, now) else "mastered"
    if missing:
        return "locked"
    if state and state.refresh_at:
        return "refresh"
    return "in_progress" if state and state.attempts else "new"


def skill_status(learner_id: str, pack: PackVersion, skill_id: str) -> SkillStatus:
    """One skill's status, or NotFound."""
    for status in skill_statuses(learner_id, pack):
        if status.skill_id == skill_id:
            return status
    raise NotFound(N_("This skill is not in the pack."))


def next_question(learner_id: str, pack_id: str, skill_id: str) -> Question:
    """The item this learner should try next on a skill (Forbidden while it is locked)."""
    pack = get_pack(pack_id)
    status = skill_status(learner_id, pack, skill_id)
    _refuse_locked(status)
    items = list(Item.select().where((Item.pack_version == pack) & (Item.skill_id == skill_id)
                                     & Item.kind.not_in(pack_facts.NOT_PRACTISED)))
    if not items:
        raise NotFound(N_("This skill has no practice questions yet."))
    chosen = learner_model.choose_item(*_choice_inputs(learner_id, pack, skill_id, items, status))
    item = next(i for i in items if i.item_id == chosen.item_id)
    return Question(pack, status, item, uuid7())


def _choice_inputs(learner_id: str, pack: PackVersion, skill_id: str, items: list[Item], status: SkillStatus):
    """(ability, candidates, recent item ids, how sure the model is) for `learner_model.choose_item`."""
    facts = pack_facts.facts_for(pack)
    stats = {s.item_id: s for s in ItemStat.select().where(
        (ItemStat.pack_id == pack.pack_id) & ItemStat.item_id.in_([i.item_id for i in items]))}
    right = set(status.right_items)  # read with the status, a moment ago
    candidates = []
    for item in items:
        stat = stats.get(item.item_id)
        evidence = skill_fold.evidence_for(facts.items.get(item.item_id), stat, False)
        difficulty = stat.difficulty if stat and stat.attempts else item.difficulty
        candidates.append(learner_model.Candidate(item.item_id, difficulty, stat.attempts if stat else 0,
                                                  evidence.guess, item.item_id in right))
    recent = [a.item_id for a in Answer.select(Answer.item_id).where(
        (Answer.learner_id == learner_id) & (Answer.pack_id == pack.pack_id) & (Answer.skill_id == skill_id))
        .order_by(Answer.answered_at.desc(), Answer.event_id.desc()).limit(5)][::-1]
    ability = getattr(LearnerStat.get_or_none(LearnerStat.learner_id == learner_id), "ability", 0.0)
    checking = status.p_known >= learner_model.NEAR_MASTERY or status.state in ("review_due", "refresh")
    return ability, candidates, recent, checking


def question_for_item(learner_id: str, pack_id: str, item_id: str) -> Question:
    """A specific item again (after a miss), with a fresh attempt id."""
    pack = get_pack(pack_id)
    item = _item(pack, item_id)
    status = skill_status(learner_id, pack, item.skill_id) if item.skill_id else None
    if status:
        _refuse_locked(status)
    return Question(pack, status, item, uuid7())


def _refuse_locked(status: SkillStatus) -> None:
    if status.state == "locked":
        raise Forbidden(N_("“%(skill)s” is locked. Master %(missing)s first."), skill=status.title,
                        missing=", ".join(status.missing))


def _item(pack: PackVersion, item_id: str) -> Item:
    item = Item.get_or_none((Item.pack_version == pack) & (Item.item_id == item_id))
    if item is None:
        raise NotFound(N_("This question is not in the pack."))
    return item


def submit_answer(learner_id: str, pack_id: str, item_id: str, attempt_id: str, form: dict) -> AnswerResult:
    """Check an answer, record it as an event (once, however often it is sent), and report."""
    pack, item, result, is_new = record_answer(learner_id, pack_id, item_id, attempt_id, form)
    return answer_result(learner_id, pack, item, attempt_id, result, is_new)


def record_answer(learner_id: str, pack_id: str, item_id: str, attempt_id: str,
                  form: dict) -> tuple[PackVersion, Item, Grade, bool]:
    """Check an answer and record it as an event (once, however often it is sent); no report (the answer
    view redirects to the result page, which builds its own). (pack, item, grade, is_new)."""
    pack = get_pack(pack_id)
    item = _item(pack, item_id)
    if item.skill_id:
        _refuse_locked(skill_status(learner_id, pack, item.skill_id))
    response = _clean_response(form, item.kind)
    result = grade(item.data, response)
    payload = {"pack_id": pack_id, "item_id": item_id, "skill_id": item.skill_id,
               "correct": result.is_correct, "score": round(result.score, 4),
               "response": _response_text(response), "version": pack.version}
    try:
        _, is_new = record_event(learner_id, "answer", payload, event_id=attempt_id)
    finally:
        forget_statuses()
    return pack, item, result, is_new


def answer_result(learner_id, pack, item, attempt_id, result: Grade | None = None, is_new=False) -> AnswerResult:
    """The result page's data for an answer already recorded."""
    answer = Answer.get_or_none((Answer.event_id == attempt_id) & (Answer.learner_id == learner_id))
    if answer is None:
        raise NotFound(N_("This answer was not found."))
    if result is None:
        result = grade(item.data, _parse_response_text(answer.response, item.kind))
    history = (Answer.select(Answer.is_correct).where(
        (Answer.learner_id == learner_id) & (Answer.pack_id == pack.pack_id) & (Answer.item_id == item.item_id)
        & (Answer.answered_at <= answer.answered_at)).order_by(Answer.answered_at.desc()).limit(10))
    misses = 0
    for row in history:
        if row.is_correct:
            break
        misses += 1
    status = skill_status(learner_id, pack, item.skill_id) if item.skill_id else None
    mastered_now = bool(status and status.mastered_at and status.mastered_at == answer.answered_at)
    opened = _opened_by(learner_id, pack, status) if mastered_now else ()
    return AnswerResult(pack, item, result, misses, status, is_new, mastered_now, opened)


def _opened_by(learner_id: str, pack: PackVersion, mastered: SkillStatus) -> tuple[SkillStatus, ...]:
    """The skills a skill just mastered opens: those that need it and can now be practised."""
    needs_it = {s.skill_id for s in pack_facts.facts_for(pack).dependents(mastered.skill_id)}
    return tuple(s for s in skill_statuses(learner_id, pack)
                 if s.skill_id in needs_it and s.state in ("new", "in_progress") and s.item_count)


def _clean_response(form: dict[str, list[str]], kind: str) -> dict:
    """The posted fields as the grader expects them (lists only for multiple choice)."""
    cleaned = {}
    for key, values in form.items():
        if key in ("csrf", "attempt", "item"):
            continue
        values = values if isinstance(values, list) else [values]
        if sum(len(v) for v in values) > MAX_RESPONSE_CHARS:
            raise InvalidInput(N_("That answer is too long."), field=key)
        values = [v.replace("\x00", "") for v in values]
        cleaned[key[:40]] = values if kind == "multiple" and key == "answer" else values[0]
    return cleaned


def _response_text(response: dict) -> str:
    import json

    return json.dumps(response, ensure_ascii=False, sort_keys=True)[:MAX_RESPONSE_CHARS]


def _parse_response_text(text: str, kind: str) -> dict:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

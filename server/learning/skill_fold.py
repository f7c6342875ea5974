"""What one answer does to a learner's skills: the estimate, mastery, reviews, and prerequisites in doubt.

Works on SkillState and ItemStat objects without touching the database, so the live path
(`progress.record_event`) and `lantern rebuild` fold answers with the very same code and get equal tables.
The rules themselves are in `mastery` (the estimate) and `review` (the schedule).

Decisions:
- A skill's standing is one of: not mastered, mastered (reviews scheduled), or back to refresh
  (`refresh_at` set: mastery was taken back and must be shown again).
- Once a review is due, answers on the skill are the review: it ends when the estimate is back at the
  mastery threshold after a right answer (FSRS "good", or "hard" if a miss came first), or when it falls
  below the refresh threshold (FSRS forgets the card; the skill goes back to refresh).
- Repeated misses (MISSES_TO_DOUBT in a row) on a skill not yet mastered cast doubt on its mastered
  prerequisites: each loses a little of its estimate and its review becomes due now, so "What next" asks
  for a quick check of it first. If the check fails, the prerequisite goes back to refresh and the skill
  that needs it waits for it.
- Answers for items or skills a newer pack version dropped still count, with middling evidence.
- A "mastered" event written before this model (no "model" in its payload) is honoured when replayed:
  if the evidence alone has not reached mastery by then, the skill is mastered with a review due at once.
"""
from datetime import datetime

from server.learning import mastery, review
from server.learning.pack_facts import UNKNOWN_ITEM, ItemFacts, PackFacts, SkillFacts

MODEL = "evidence-1"  # marks the mastery events this model writes (older ones have no "model")
MISSES_TO_DOUBT = 3
RIGHT_ITEMS_KEPT = 20


def estimate_now(state, at: datetime) -> float:
    """The chance the learner knows the skill at `at`: the last estimate, faded by the time since."""
    if state.estimated_at is None or state.p_known is None:
        return mastery.P_START
    days = (at - state.estimated_at).total_seconds() / 86400.0
    stability = review.stability_days(state.review_card) or mastery.FORGET_STABILITY_DAYS
    return mastery.faded(state.p_known, days, stability)


def learned_params(stat) -> tuple[float, float, float, float]:
    """An item's learned (guess weight, guess excess, slip weight, slip excess)."""
    return (stat.guess_weight or 0.0, stat.guess_excess or 0.0, stat.slip_weight or 0.0, stat.slip_excess or 0.0)


def is_retry(state, item_id: str) -> bool:
    """True for a second try of the item just missed on this skill."""
    evidence = state.evidence or {}
    return evidence.get("last") == item_id and bool(evidence.get("missed"))


def evidence_for(item: ItemFacts | None, stat, retry: bool) -> mastery.Evidence:
    """What an answer on this item can tell (its learned parameters included)."""
    if item is None:
        return UNKNOWN_ITEM
    difficulty = stat.difficulty if stat is not None and stat.attempts else item.difficulty
    learned = learned_params(stat) if stat is not None else (0.0, 0.0, 0.0, 0.0)
    return mastery.item_evidence(item.kind, item.options, difficulty, retry, learned)


def predicted(state, item: ItemFacts | None, stat, at: datetime) -> float:
    """The model's chance that this learner answers this item right now (stored with the answer)."""
    retry = state is not None and is_retry(state, item.item_id if item else "")
    p = estimate_now(state, at) if state is not None else mastery.P_START
    return mastery.predicted_success(p, evidence_for(item, stat, retry))


def fold_answer(get_state, facts: PackFacts | None, item: ItemFacts | None, stat, skill_id: str, item_id: str,
                correct: bool, at: datetime) -> list[tuple[str, dict]]:
    """Fold one answer into the skill's state (and its prerequisites'); return follow-up events to record.

    `get_state(skill_id, create)` gives the learner's SkillState of a skill of this pack (None when absent
    and not created); `stat` is the item's ItemStat before this answer's own update."""
    state = get_state(skill_id, True)
    skill = facts.skill(skill_id) if facts else None
    retry = is_retry(state, item_id)
    p_before = estimate_now(state, at)
    evidence = evidence_for(item, stat, retry)
    if item is not None and stat is not None and not retry:
        (stat.guess_weight, stat.guess_excess, stat.slip_weight, stat.slip_excess) = mastery.learn_from_answer(
            learned_params(stat), p_before, correct, evidence)
    _count(state, correct, at)
    right = list((state.evidence or {}).get("items") or [])
    if correct and not retry and item_id not in right:
        right = (right + [item_id])[-RIGHT_ITEMS_KEPT:]
    state.evidence = {**(state.evidence or {}), "items": right, "last": item_id, "missed": not correct}
    _set_estimate(state, mastery.after_answer(p_before, correct, evidence), at)
    follow_ups = _mastery_after(state, skill, correct, at)
    if not correct and state.mastered_at is None and skill and state.wrong_streak % MISSES_TO_DOUBT == 0:
        for prerequisite in skill.prerequisites:
            follow_ups += _doubt(get_state(prerequisite, False), at)
    return follow_ups


def honour_legacy_mastery(state, at: datetime) -> None:
    """Replay a "mastered" event from before this model: mastered, with a review due at once."""
    if state.mastered_at is None:
        state.mastered_at, state.refresh_at = at, None
        state.review_card, _ = review.start_reviews(at)
        state.review_due = at
        if state.estimated_at is None:
            _set_estimate(state, mastery.P_START, at)


def _count(state, correct: bool, at: datetime) -> None:
    state.attempts += 1
    state.correct += int(correct)
    state.streak = state.streak + 1 if correct else 0
    state.wrong_streak = 0 if correct else state.wrong_streak + 1
    state.recent = (list(state.recent or []) + [int(correct)])[-mastery.RECENT_KEPT:]
    state.last_answer_at = at


def _set_estimate(state, p: float, at: datetime) -> None:
    state.p_known, state.estimated_at = round(p, 6), at


def _mastery_after(state, skill: SkillFacts | None, correct: bool, at: datetime) -> list[tuple[str, dict]]:
    if state.mastered_at is None:
        item_count = skill.item_count if skill else 1
        rule = skill.rule if skill else None
        right_items = len(state.evidence.get("items") or ())
        if mastery.is_mastered(state.p_known, right_items, item_count, mastery.rule_met(state.recent, rule)):
            state.mastered_at, state.refresh_at = at, None
            state.review_card, state.review_due = review.start_reviews(at)
            state.evidence = {**state.evidence, "review": None}
            return [("mastered", _payload(state, "evidence"))]
        return []
    if review.is_due(state.review_due, at):
        answers, wrong = state.evidence.get("review") or (0, 0)
        answers, wrong = answers + 1, wrong + int(not correct)
        state.evidence = {**state.evidence, "review": [answers, wrong]}
        if state.p_known < mastery.REFRESH:
            return _take_back(state, at, "review")
        if correct and state.p_known >= mastery.MASTERED:
            state.review_card, state.review_due = review.review(state.review_card, "good" if not wrong else "hard", at)
            state.evidence = {**state.evidence, "review": None}
        return []
    if state.p_known < mastery.REFRESH:
        return _take_back(state, at, "misses")
    return []


def _doubt(state, at: datetime) -> list[tuple[str, dict]]:
    """Repeated misses on a skill that builds on this one: a little less sure, and check it now."""
    if state is None or state.mastered_at is None:
        return []
    _set_estimate(state, mastery.weak_miss(estimate_now(state, at)), at)
    if state.p_known < mastery.REFRESH:
        return _take_back(state, at, "prerequisite")
    if not review.is_due(state.review_due, at):
        state.review_due = at
    return []


def _take_back(state, at: datetime, reason: str) -> list[tuple[str, dict]]:
    """Mastery is lost: back to refresh, with fresh evidence needed (and the pack's rule met again)."""
    state.mastered_at, state.refresh_at = None, at
    state.review_card = state.review_due = None
    state.recent = []
    state.evidence = {**(state.evidence or {}), "items": [], "review": None}
    return [("mastery_lost", {**_payload(state, reason)})]


def _payload(state, reason: str) -> dict:
    return {"pack_id": state.pack_id, "skill_id": state.skill_id, "model": MODEL, "reason": reason,
            "p_known": round(state.p_known, 3)}

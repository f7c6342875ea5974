"""Mastery from evidence (pure): how sure are we that a learner knows a skill, and is that enough?

The model, in words a coach can follow (docs/learning.md says more):
* For each learner and skill we keep one number, the chance that they know the skill (`p_known`). It starts
  at 20 % and moves with every answer on the skill, by Bayes' rule.
* An answer is evidence only as far as it could not be luck. A right answer on a question with 4 choices could
  be a guess 1 time in 4; on true/false 1 time in 2; a typed number almost never. A wrong answer from someone who
  knows the skill happens too (a slip), more often on hard questions. So a right true/false answer moves the
  estimate a little, a right typed answer a lot, and a second try after a miss on the same question (one choice
  fewer, or the only one left on true/false) hardly at all.
* Practising teaches: after each answer (with its feedback) the chance of knowing grows by `LEARN` of what is
  left. Time makes people forget: between answers the estimate fades, faster for a skill never reviewed.
* A skill is **mastered** when the estimate reaches 95 % and the right answers span at least two different
  questions (one, if the skill has only one); a pack's own rule ("5 in a row") is a minimum on top.
* Mastery can be lost. A review is a real check: a right answer confirms it, a wrong one lowers the estimate,
  and below 40 % the skill goes back to **refresh**, so the skills that build on it wait for it again.

Decisions:
- Bayesian Knowledge Tracing (Corbett & Anderson) with per-item guess and slip, because it separates luck from
  knowledge with three numbers a coach can read, runs in microseconds on a Pi, and is replayable from the log.
- Guess comes from the question's format and number of options; slip from its difficulty. Once an item has
  enough answers, both are learned from them (answers by learners the model is sure about), shrunk toward the
  format's value so a few odd answers cannot move them far.
- Thresholds are fixed here, not per pack: 0.95 to master, 0.40 to take mastery back (a single slip in a review
  of a well-known skill lowers it to about one half: one more miss is needed to reopen it).
"""
import math
from dataclasses import dataclass

P_START = 0.2  # the chance a learner already knows a skill before any answer
LEARN = 0.1  # share of what is not yet known that one answer with feedback teaches
MASTERED = 0.95
REFRESH = 0.40
MIN_ITEMS = 2  # right answers on at least this many different items (fewer if the skill has fewer)
FORGET_STABILITY_DAYS = 3.0  # how fast a skill never reviewed fades: 0.9 of it left after 3 days
LEARNED_AFTER = 20  # answers in a bucket before an item's guess or slip is learned from its answers
SHRINK = 20  # pseudo-answers of the format's value when learning guess and slip

TEXT_KINDS = ("numeric", "short")


@dataclass(frozen=True)
class Evidence:
    """How much one answer on one item can tell: the chance of a right answer without knowing (guess) and of
    a wrong one while knowing (slip)."""

    guess: float
    slip: float


def format_guess(kind: str, options: int) -> float:
    """The chance of answering an item of this format right by luck alone."""
    if kind == "truefalse":
        return 0.5
    if kind == "single" or (kind == "fill" and options):
        return 1.0 / max(2, options)
    if kind == "multiple":
        return max(0.03, 1.0 / (2 ** max(2, options) - 1))
    if kind == "matching":
        return max(0.02, 1.0 / math.factorial(min(max(2, options), 6)))
    return 0.03  # numeric, short, fill with a typed answer


def retry_guess(kind: str, options: int) -> float:
    """The chance of luck on a second try of the same item right after missing it (one option is gone, and the
    feedback on the miss may have given the answer away)."""
    if kind == "truefalse":
        return 1.0
    if kind == "single" or (kind == "fill" and options):
        return max(0.35, 1.0 / max(1, options - 1))
    return 0.35


def format_slip(difficulty: float) -> float:
    """The chance of a wrong answer from someone who knows the skill: 5 % on easy items, up to 20 % on hard."""
    return 0.05 + 0.15 / (1.0 + math.exp(-(difficulty - 1.0)))


def item_evidence(kind: str, options: int, difficulty: float, is_retry: bool = False,
                  learned: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)) -> Evidence:
    """The guess and slip of one answer on an item.

    `learned` is what the item's own answers say (see `learn_from_answer`): (weight, excess right) among
    learners likely not knowing the skill, and (weight, excess wrong) among those likely knowing it. Once a
    side has LEARNED_AFTER answers' weight, its rate is blended with the format's value."""
    guess = retry_guess(kind, options) if is_retry else format_guess(kind, options)
    slip = format_slip(difficulty)
    guess_weight, guess_excess, slip_weight, slip_excess = learned
    if not is_retry and guess_weight >= LEARNED_AFTER:
        observed = min(0.6, max(0.01, guess_excess / guess_weight))
        guess = (guess_weight * observed + SHRINK * guess) / (guess_weight + SHRINK)
    if slip_weight >= LEARNED_AFTER:
        observed = min(0.4, max(0.01, slip_excess / slip_weight))
        slip = (slip_weight * observed + SHRINK * slip) / (slip_weight + SHRINK)
    slip = min(slip, 0.3)
    return Evidence(min(guess, 1.0 - slip) if is_retry else min(guess, 0.5), slip)


def learn_from_answer(learned: tuple[float, float, float, float], p_known: float, correct: bool,
                      evidence: Evidence) -> tuple[float, float, float, float]:
    """Fold one answer into an item's learned guess and slip (first tries only; the caller skips retries).

    Among learners the model thinks likely do not know the skill (p < 0.5), the right answers beyond what the
    knowers among them explain estimate the guess; among those likely knowing it (p > 0.8), the wrong answers
    beyond what the non-knowers explain estimate the slip. One step of expectation-maximisation, online."""
    guess_weight, guess_excess, slip_weight, slip_excess = learned
    if p_known < 0.5:
        guess_weight += 1.0 - p_known
        guess_excess += float(correct) - p_known * (1.0 - evidence.slip)
    elif p_known > 0.8:
        slip_weight += p_known
        slip_excess += float(not correct) - (1.0 - p_known) * (1.0 - evidence.guess)
    return guess_weight, guess_excess, slip_weight, slip_excess


def predicted_success(p_known: float, evidence: Evidence) -> float:
    """The chance this learner answers the item right now."""
    return p_known * (1.0 - evidence.slip) + (1.0 - p_known) * evidence.guess


def after_answer(p_known: float, correct: bool, evidence: Evidence, learn: float = LEARN) -> float:
    """The estimate after one answer: Bayes' rule on the answer, then what practising with feedback teaches."""
    if correct:
        seen, unseen = p_known * (1.0 - evidence.slip), (1.0 - p_known) * evidence.guess
    else:
        seen, unseen = p_known * evidence.slip, (1.0 - p_known) * (1.0 - evidence.guess)
    posterior = seen / (seen + unseen) if seen + unseen > 0 else p_known
    return _clamp(posterior + (1.0 - posterior) * learn)


def faded(p_known: float, days: float, stability_days: float = FORGET_STABILITY_DAYS) -> float:
    """The estimate after `days` without practice: power-law forgetting (the curve FSRS uses for memory),
    fading toward the starting estimate, never below it."""
    if days <= 0 or p_known <= P_START:
        return p_known
    kept = 1.0 / (1.0 + days / (9.0 * max(stability_days, 0.5)))
    return _clamp(P_START + (p_known - P_START) * kept)


def weak_miss(p_known: float) -> float:
    """The estimate of a prerequisite after repeated misses on a skill that builds on it: weak evidence."""
    return after_answer(p_known, False, Evidence(guess=0.3, slip=0.3), learn=0.0)


def items_needed(item_count: int) -> int:
    """How many different items must have been answered right."""
    return max(1, min(MIN_ITEMS, item_count))


def describe_rule(rule: dict | None) -> str:
    """The pack's own minimum rule in plain words (empty when there is none)."""
    if not rule:
        return ""
    if rule["rule"] == "streak":
        return f"{rule['count']} right answers in a row"
    return f"{rule['m']} right out of the last {rule['n']} answers"


def is_mastered(p_known: float, right_items: int, item_count: int, rule_met: bool) -> bool:
    """True when the evidence says the learner knows the skill (and the pack's own rule, if any, is met)."""
    return p_known >= MASTERED and right_items >= items_needed(item_count) and rule_met


def right_answers_needed(p_known: float, right_items: int, item_count: int, typical: Evidence,
                         rule_needed: int = 0) -> int:
    """The fewest further right answers (on different items) that would reach mastery."""
    p, answers = p_known, 0
    while (p < MASTERED or answers + right_items < items_needed(item_count)) and answers < 30:
        p = after_answer(p, True, typical)
        answers += 1
    return max(answers, rule_needed)


# The pack's own minimum rule: {"rule": "streak", "count": k} or {"rule": "m_of_n", "m": m, "n": n}.
RECENT_KEPT = 50


def rule_met(recent: list[int], rule: dict | None) -> bool:
    """True when the recent results (1 right, 0 wrong; newest last) satisfy the pack's rule (or there is none)."""
    if not rule:
        return True
    if rule["rule"] == "streak":
        count = rule["count"]
        return len(recent) >= count and all(recent[-count:])
    return sum(recent[-rule["n"]:]) >= rule["m"]


def rule_answers_needed(recent: list[int], rule: dict | None) -> int:
    """The fewest further right answers that would meet the pack's rule."""
    if rule_met(recent, rule):
        return 0
    for extra in range(1, 51):
        if rule_met(recent + [1] * extra, rule):
            return extra
    return 50


def _clamp(p: float) -> float:
    return min(0.999, max(0.001, p))

"""A cheap online learner model (pure): Elo-style ability and item difficulty, and the choice of the next item.

P(correct) = 1 / (1 + e^-(ability - difficulty)). After each answer both move toward
what was observed; the step shrinks as an item gathers answers, so item difficulty
settles while a learner's ability keeps tracking their learning. An item's difficulty starts
at the author's value (progress.py seeds it), not at 0.

Choosing the next item:
* while learning, the item whose predicted success is closest to TARGET_SUCCESS (hard enough to learn
  from, easy enough to keep going), with a small preference for items hard to guess;
* near mastery, in a review or a refresh (`checking`), the item that tells most: hard to guess, not yet
  answered right by this learner (mastery needs right answers on different items), still within reach;
* never the item just answered when another exists, and not the last few when the skill has enough.
"""
import math
from dataclasses import dataclass

TARGET_SUCCESS = 0.75
LEARNER_STEP = 0.4
NEAR_MASTERY = 0.7  # from this estimate on, items are chosen for the evidence they give


@dataclass(frozen=True)
class Candidate:
    item_id: str
    difficulty: float
    attempts: int = 0
    guess: float = 0.25  # the chance of getting it right by luck (mastery.item_evidence)
    answered_right: bool = False  # this learner has answered it right before (on this skill's evidence)


def expected_success(ability: float, difficulty: float) -> float:
    """Predicted chance that a learner of `ability` answers an item of `difficulty` right."""
    return 1.0 / (1.0 + math.exp(-(ability - difficulty)))


def update(ability: float, difficulty: float, item_attempts: int, correct: bool) -> tuple[float, float]:
    """New (ability, difficulty) after one answer."""
    surprise = (1.0 if correct else 0.0) - expected_success(ability, difficulty)
    item_step = 1.0 / (1.0 + 0.05 * item_attempts)
    return ability + LEARNER_STEP * surprise, difficulty - 0.3 * item_step * surprise


def choose_item(ability: float, candidates: list[Candidate], recent: list[str],
                checking: bool = False) -> Candidate | None:
    """The candidate that best serves the learner now, avoiding the most recently seen items."""
    if not candidates:
        return None
    avoid = set(recent[-max(1, min(len(candidates) - 1, 3)):]) if len(candidates) > 1 and recent else set()
    pool = [c for c in candidates if c.item_id not in avoid] or candidates

    def cost(c: Candidate) -> tuple:
        miss_target = abs(expected_success(ability, c.difficulty) - TARGET_SUCCESS)
        if checking:
            value = miss_target + 1.5 * c.guess + (0.4 if c.answered_right else 0.0)
        else:
            value = miss_target + 0.3 * c.guess
        return (round(value, 6), recent.count(c.item_id), c.item_id)
    return min(pool, key=cost)

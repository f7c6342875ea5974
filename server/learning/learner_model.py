"""A cheap online learner model (pure): Elo-style ability and item difficulty.

P(correct) = 1 / (1 + e^-(ability - difficulty)). After each answer both move toward
what was observed; the step shrinks as an item gathers answers, so item difficulty
settles while a learner's ability keeps tracking their learning. The next item is the
one whose predicted success is closest to TARGET (hard enough to learn from, easy
enough to keep going), skipping items seen very recently.
"""
import math
from dataclasses import dataclass

TARGET_SUCCESS = 0.75
LEARNER_STEP = 0.4


@dataclass(frozen=True)
class Candidate:
    item_id: str
    difficulty: float
    attempts: int = 0


def expected_success(ability: float, difficulty: float) -> float:
    """Predicted chance that a learner of `ability` answers an item of `difficulty` right."""
    return 1.0 / (1.0 + math.exp(-(ability - difficulty)))


def update(ability: float, difficulty: float, item_attempts: int, correct: bool) -> tuple[float, float]:
    """New (ability, difficulty) after one answer."""
    surprise = (1.0 if correct else 0.0) - expected_success(ability, difficulty)
    item_step = 1.0 / (1.0 + 0.05 * item_attempts)
    return ability + LEARNER_STEP * surprise, difficulty - 0.3 * item_step * surprise


def choose_item(ability: float, candidates: list[Candidate], recent: list[str]) -> Candidate | None:
    """The candidate best matched to the learner, avoiding the most recently seen items."""
    if not candidates:
        return None
    avoid = set(recent[-max(0, min(len(candidates) - 1, 3)):]) if len(candidates) > 1 else set()
    pool = [c for c in candidates if c.item_id not in avoid] or candidates
    return min(pool, key=lambda c: (abs(expected_success(ability, c.difficulty) - TARGET_SUCCESS),
                                    recent.count(c.item_id), c.item_id))

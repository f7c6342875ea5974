"""Spaced review of mastered skills (pure), with the FSRS scheduler from the `fsrs` package.

A skill becomes a review card when it is mastered. Once the card is due, answers on the skill are a
review: a real check that ends when the evidence says the skill is still known (Good, or Hard if a
miss came first) or that it is not (Again, and the skill goes back to "refresh"; see
`server.learning.progress`). Answers before it is due are ordinary practice and leave the schedule
alone. No fuzzing: rebuilds give identical dates. The card's stability (days) also sets how fast the
mastery estimate fades between answers.
"""
from datetime import datetime, timezone

from fsrs import Card, Rating, Scheduler

DESIRED_RETENTION = 0.95  # the chance of still knowing the skill when its review comes due (FSRS default: 0.9)
_SCHEDULER = None


def _scheduler() -> Scheduler:
    global _SCHEDULER
    if _SCHEDULER is None:
        _SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False,
                               desired_retention=DESIRED_RETENTION)
    return _SCHEDULER


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def start_reviews(mastered_at: datetime) -> tuple[dict, datetime]:
    """The first card for a just-mastered skill and when it is due."""
    card, _ = _scheduler().review_card(Card(card_id=1), Rating.Good, _aware(mastered_at))
    return card.to_dict(), _naive(card.due)


RATINGS = {"good": Rating.Good, "hard": Rating.Hard, "again": Rating.Again}


def review(card_state: dict, outcome: str, at: datetime) -> tuple[dict, datetime]:
    """The card after a finished review ("good", "hard" or "again"), and its next due date."""
    card = Card.from_dict(card_state)
    card, _ = _scheduler().review_card(card, RATINGS[outcome], _aware(at))
    return card.to_dict(), _naive(card.due)


def stability_days(card_state: dict | None) -> float | None:
    """How many days the skill is expected to stay well remembered (None before the first card)."""
    if not card_state:
        return None
    stability = card_state.get("stability")
    return float(stability) if stability else None


def is_due(due: datetime | None, now: datetime) -> bool:
    """True when a review is due at `now`."""
    return due is not None and due <= now

"""Spaced review of mastered skills (pure), with the FSRS scheduler from the `fsrs` package.

A skill becomes a review card when it is mastered. An answer on that skill once the card
is due counts as a review (right: Good, wrong: Again); answers before it is due are
ordinary practice and leave the schedule alone. No fuzzing: rebuilds give identical dates.
"""
from datetime import datetime, timezone

from fsrs import Card, Rating, Scheduler

_SCHEDULER = None


def _scheduler() -> Scheduler:
    global _SCHEDULER
    if _SCHEDULER is None:
        _SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    return _SCHEDULER


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def start_reviews(mastered_at: datetime) -> tuple[dict, datetime]:
    """The first card for a just-mastered skill and when it is due."""
    card, _ = _scheduler().review_card(Card(card_id=1), Rating.Good, _aware(mastered_at))
    return card.to_dict(), _naive(card.due)


def review(card_state: dict, correct: bool, at: datetime) -> tuple[dict, datetime]:
    """The card after a review answer, and its next due date."""
    card = Card.from_dict(card_state)
    card, _ = _scheduler().review_card(card, Rating.Good if correct else Rating.Again, _aware(at))
    return card.to_dict(), _naive(card.due)


def is_due(due: datetime | None, now: datetime) -> bool:
    """True when a review is due at `now`."""
    return due is not None and due <= now

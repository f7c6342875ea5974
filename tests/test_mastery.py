"""Mastery rules, the learner model and review scheduling: pure functions, parametrized tables."""
from datetime import datetime, timedelta

import pytest

from server.learning import learner_model, mastery, review


@pytest.mark.parametrize("recent, rule, expected", [
    ([1, 1, 1, 1, 1], None, True),                       # default: 5 in a row
    ([1, 1, 1, 1], None, False),
    ([1, 1, 1, 1, 1, 0], None, False),                   # a miss breaks the streak
    ([0, 1, 1, 1, 1, 1], None, True),
    ([1, 1, 1], {"rule": "streak", "count": 3}, True),
    ([1, 0, 1, 1, 1], {"rule": "m_of_n", "m": 4, "n": 5}, True),
    ([1, 0, 1, 0, 1], {"rule": "m_of_n", "m": 4, "n": 5}, False),
    ([1, 1, 1, 1], {"rule": "m_of_n", "m": 4, "n": 5}, True),   # fewer than n answers but m right
    ([], None, False),
])
def test_is_mastered(recent, rule, expected):
    assert mastery.is_mastered(recent, rule) is expected


@pytest.mark.parametrize("recent, rule, needed", [
    ([], None, 5), ([1, 1], None, 3), ([1, 1, 0], None, 5), ([1] * 5, None, 0),
    ([1, 0, 0, 0, 0], {"rule": "m_of_n", "m": 4, "n": 5}, 4),
    ([1, 1, 1, 0], {"rule": "m_of_n", "m": 4, "n": 5}, 1),
])
def test_answers_needed(recent, rule, needed):
    assert mastery.answers_needed(recent, rule) == needed
    assert mastery.is_mastered(recent + [1] * needed, rule)


def test_rules_are_described_in_plain_words():
    assert mastery.describe(None) == "5 right answers in a row"
    assert mastery.describe({"rule": "m_of_n", "m": 4, "n": 5}) == "4 right out of the last 5 answers"


@pytest.mark.parametrize("correct, ability_moves, difficulty_moves", [(True, 1, -1), (False, -1, 1)])
def test_elo_update_moves_ability_and_difficulty_apart(correct, ability_moves, difficulty_moves):
    ability, difficulty = learner_model.update(0.0, 0.0, 0, correct)
    assert (ability > 0) == (ability_moves > 0) and (difficulty > 0) == (difficulty_moves > 0)


def test_item_difficulty_settles_as_answers_accumulate():
    _, fresh = learner_model.update(0.0, 0.0, 0, True)
    _, seasoned = learner_model.update(0.0, 0.0, 200, True)
    assert abs(seasoned) < abs(fresh)


def test_choose_item_targets_the_right_difficulty_and_avoids_repeats():
    items = [learner_model.Candidate(f"i{d}", d) for d in (-3.0, -1.0, 0.0, 1.0, 3.0)]
    best = learner_model.choose_item(0.0, items, recent=[])
    assert abs(learner_model.expected_success(0.0, best.difficulty) - learner_model.TARGET_SUCCESS) < 0.2
    again = learner_model.choose_item(0.0, items, recent=[best.item_id])
    assert again.item_id != best.item_id
    assert learner_model.choose_item(0.0, [], []) is None
    only = [learner_model.Candidate("solo", 0.0)]
    assert learner_model.choose_item(0.0, only, ["solo"]).item_id == "solo"


def test_a_stronger_learner_gets_harder_items():
    items = [learner_model.Candidate(f"i{d}", float(d)) for d in range(-3, 4)]
    weak = learner_model.choose_item(-2.0, items, [])
    strong = learner_model.choose_item(2.0, items, [])
    assert strong.difficulty > weak.difficulty


def test_mastered_skill_comes_back_in_a_few_days_and_moves_with_results():
    start = datetime(2026, 3, 2, 9, 0)
    card, due = review.start_reviews(start)
    assert timedelta(days=1) <= due - start <= timedelta(days=7)
    good_card, good_due = review.review(card, True, due)
    _, bad_due = review.review(card, False, due)
    assert good_due - due > bad_due - due
    assert review.is_due(due, due) and not review.is_due(due, start) and not review.is_due(None, due)
    # Deterministic (no fuzzing): the same history gives the same schedule.
    assert review.review(card, True, due) == (good_card, good_due)

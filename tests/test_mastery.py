"""Mastery from evidence, the learner model and review scheduling: pure functions, worked by hand."""
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from server.learning import learner_model, mastery, review, skill_fold
from server.learning.pack_facts import ItemFacts, PackFacts, SkillFacts

T0 = datetime(2026, 3, 2, 9, 0)


# Worked by hand (docs/learning.md shows the arithmetic): start 0.2, learn 0.1 of what is left.
# A 4-choice item of difficulty 1 has guess 1/4 and slip 0.05 + 0.15/2 = 0.125.
#   right: 0.2·0.875 / (0.2·0.875 + 0.8·0.25) = 0.46667, then + 0.53333·0.1 = 0.52
#   wrong: 0.2·0.125 / (0.2·0.125 + 0.8·0.75) = 0.04,    then + 0.96·0.1   = 0.136
#   true/false right: 0.175 / (0.175 + 0.8·0.5)  = 0.30435, then 0.37391
#   typed number right: 0.175 / (0.175 + 0.8·0.03) = 0.87940, then 0.89146
@pytest.mark.parametrize("kind, options, correct, expected", [
    ("single", 4, True, 0.52), ("single", 4, False, 0.136), ("truefalse", 2, True, 0.37391),
    ("numeric", 0, True, 0.89146),
])
def test_the_estimate_moves_as_worked_by_hand(kind, options, correct, expected):
    evidence = mastery.item_evidence(kind, options, difficulty=1.0)
    assert mastery.after_answer(mastery.P_START, correct, evidence) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("kind, options, guess", [
    ("single", 4, 0.25), ("single", 3, 1 / 3), ("truefalse", 2, 0.5), ("numeric", 0, 0.03), ("short", 0, 0.03),
    ("fill", 3, 1 / 3), ("fill", 0, 0.03), ("multiple", 4, 1 / 15), ("matching", 4, 1 / 24),
])
def test_guessing_depends_on_the_format_and_the_options(kind, options, guess):
    assert mastery.format_guess(kind, options) == pytest.approx(guess)


def test_a_guess_is_weak_evidence():
    typed = mastery.after_answer(0.2, True, mastery.item_evidence("numeric", 0, 0.0))
    four = mastery.after_answer(0.2, True, mastery.item_evidence("single", 4, 0.0))
    coin = mastery.after_answer(0.2, True, mastery.item_evidence("truefalse", 2, 0.0))
    assert typed > four > coin
    # A second try at a true/false question just missed is certain: it tells nothing, only practice counts.
    retry = mastery.item_evidence("truefalse", 2, 0.0, is_retry=True)
    assert mastery.after_answer(0.2, True, retry) == pytest.approx(0.2 + 0.8 * mastery.LEARN)
    # On four choices, a second try is a guess among three or better.
    assert mastery.item_evidence("single", 4, 0.0, is_retry=True).guess >= 1 / 3


def test_slips_grow_with_difficulty():
    assert mastery.format_slip(-2) < mastery.format_slip(0) < mastery.format_slip(2) <= 0.2


@pytest.mark.parametrize("kind, options, answers", [("numeric", 0, 2), ("single", 4, 4), ("truefalse", 2, 6)])
def test_right_answers_needed_depend_on_how_guessable_the_questions_are(kind, options, answers):
    typical = mastery.item_evidence(kind, options, 0.0)
    assert mastery.right_answers_needed(mastery.P_START, 0, 5, typical) == answers


def test_mastery_needs_the_estimate_two_items_and_the_packs_rule():
    assert mastery.is_mastered(0.96, right_items=2, item_count=5, rule_met=True)
    assert not mastery.is_mastered(0.94, 2, 5, True)
    assert not mastery.is_mastered(0.99, 1, 5, True)  # one question answered right, however often
    assert mastery.is_mastered(0.99, 1, 1, True)  # ... unless the skill has only one
    assert not mastery.is_mastered(0.99, 3, 5, rule_met=False)  # the pack's rule is a minimum on top


@pytest.mark.parametrize("recent, rule, met, needed", [
    ([], None, True, 0), ([1, 1], {"rule": "streak", "count": 3}, False, 1),
    ([1, 1, 0], {"rule": "streak", "count": 3}, False, 3),
    ([1, 0, 0, 0, 0], {"rule": "m_of_n", "m": 4, "n": 5}, False, 4),
    ([1, 1, 1, 0], {"rule": "m_of_n", "m": 4, "n": 5}, False, 1),
])
def test_a_packs_own_rule(recent, rule, met, needed):
    assert mastery.rule_met(recent, rule) is met
    assert mastery.rule_answers_needed(recent, rule) == needed
    assert mastery.rule_met(recent + [1] * needed, rule)


def test_rules_are_described_in_plain_words():
    assert mastery.describe_rule(None) == ""
    assert mastery.describe_rule({"rule": "m_of_n", "m": 4, "n": 5}) == "4 right out of the last 5 answers"


def test_the_estimate_fades_with_time_toward_the_start():
    assert mastery.faded(0.9, 0) == 0.9
    one_day, a_month = mastery.faded(0.9, 1), mastery.faded(0.9, 30)
    assert 0.9 > one_day > a_month > mastery.P_START
    assert mastery.faded(0.9, 30, stability_days=30) > a_month  # reviewed skills fade slower
    assert mastery.faded(0.1, 30) == 0.1


def test_an_items_guess_and_slip_are_learned_from_its_answers():
    learned, evidence = (0.0, 0.0, 0.0, 0.0), mastery.item_evidence("numeric", 0, 0.0)
    for _ in range(100):  # learners the model is sure know the skill keep getting it wrong: a trap
        learned = mastery.learn_from_answer(learned, 0.95, False, evidence)
    trap = mastery.item_evidence("numeric", 0, 0.0, learned=learned)
    assert trap.slip > evidence.slip + 0.1
    for _ in range(100):  # learners who don't know it get it right half the time: it gives itself away
        learned = mastery.learn_from_answer(learned, 0.1, True, evidence)
    assert mastery.item_evidence("numeric", 0, 0.0, learned=learned).guess > 0.3


# The fold over skill states (the same code runs live and in `lantern rebuild`).

def _facts(kinds=("single", "single", "numeric")):
    items = {f"i{n}": ItemFacts(f"i{n}", "b", kind, 4 if kind == "single" else 0, 0.0)
             for n, kind in enumerate(kinds)}
    items["a0"] = ItemFacts("a0", "a", "numeric", 0, 0.0)
    skills = (SkillFacts("a", "A", (), None, 1, frozenset({"numeric"})),
              SkillFacts("b", "B", ("a",), None, len(kinds), frozenset(kinds)))
    return PackFacts("p", skills, items)


def _state(skill_id):
    return SimpleNamespace(pack_id="p", skill_id=skill_id, attempts=0, correct=0, streak=0, wrong_streak=0,
                           recent=[], mastered_at=None, review_card=None, review_due=None, last_answer_at=None,
                           p_known=None, estimated_at=None, refresh_at=None, evidence={})


def _stat():
    return SimpleNamespace(difficulty=0.0, attempts=0, guess_weight=0.0, guess_excess=0.0, slip_weight=0.0,
                           slip_excess=0.0)


class Learner:
    """One learner's skill states in a two-skill pack (b needs a), answered through the fold."""

    def __init__(self):
        self.facts, self.states, self.events = _facts(), {}, []

    def get(self, skill_id, create):
        if skill_id not in self.states and create:
            self.states[skill_id] = _state(skill_id)
        return self.states.get(skill_id)

    def answer(self, item_id, correct, at):
        item = self.facts.items[item_id]
        self.events += skill_fold.fold_answer(self.get, self.facts, item, _stat(), item.skill_id, item_id,
                                              correct, at)


def test_two_right_typed_answers_master_a_skill_and_schedule_a_review():
    learner = Learner()
    learner.answer("a0", True, T0)
    assert learner.states["a"].mastered_at is None
    learner.answer("a0", True, T0 + timedelta(minutes=1))  # one item only: repeating it is all there is
    state = learner.states["a"]
    assert state.mastered_at == T0 + timedelta(minutes=1) and state.review_due > state.mastered_at
    assert [kind for kind, _ in learner.events] == ["mastered"]
    assert learner.events[0][1]["model"] == skill_fold.MODEL


def test_lucky_guesses_on_one_question_do_not_master_a_skill():
    learner = Learner()
    for minute in range(6):
        learner.answer("i0", True, T0 + timedelta(minutes=minute))
    assert learner.states["b"].p_known > mastery.MASTERED
    assert learner.states["b"].mastered_at is None  # right answers on one question only
    learner.answer("i1", True, T0 + timedelta(minutes=7))
    assert learner.states["b"].mastered_at is not None


def test_a_second_try_after_a_miss_counts_for_little():
    learner = Learner()
    learner.answer("i0", False, T0)
    before = learner.states["b"].p_known
    learner.answer("i0", True, T0 + timedelta(seconds=30))
    first_try = mastery.after_answer(before, True, mastery.item_evidence("single", 4, 0.0))
    assert learner.states["b"].p_known < first_try
    assert "i0" not in learner.states["b"].evidence["items"]


def test_a_failed_review_takes_mastery_away():
    learner = Learner()
    learner.answer("a0", True, T0)
    learner.answer("a0", True, T0 + timedelta(minutes=1))
    due = learner.states["a"].review_due
    learner.answer("a0", False, due)
    assert learner.states["a"].mastered_at is not None  # one miss: the check goes on
    learner.answer("a0", False, due + timedelta(minutes=1))
    state = learner.states["a"]
    assert state.mastered_at is None and state.refresh_at is not None and state.review_due is None
    assert learner.events[-1][0] == "mastery_lost" and learner.events[-1][1]["reason"] == "review"


def test_a_passed_review_pushes_the_next_one_further():
    learner = Learner()
    learner.answer("a0", True, T0)
    learner.answer("a0", True, T0 + timedelta(minutes=1))
    first_due = learner.states["a"].review_due
    learner.answer("a0", True, first_due)
    state = learner.states["a"]
    assert state.mastered_at is not None and state.review_due - first_due > first_due - state.mastered_at


def test_repeated_misses_put_a_mastered_prerequisite_in_doubt():
    learner = Learner()
    learner.answer("a0", True, T0)
    learner.answer("a0", True, T0 + timedelta(minutes=1))
    sure = learner.states["a"].p_known
    for minute in range(2, 5):
        learner.answer(f"i{minute % 3}", False, T0 + timedelta(minutes=minute))
    prerequisite = learner.states["a"]
    assert prerequisite.p_known < sure
    assert prerequisite.review_due == T0 + timedelta(minutes=4)  # checked now, before going on


def test_legacy_mastery_is_kept_with_a_check_due_at_once():
    state = _state("a")
    skill_fold.honour_legacy_mastery(state, T0)
    assert state.mastered_at == T0 and state.review_due == T0 and state.review_card


# Choosing the next item.

def test_choose_item_targets_the_right_difficulty_and_avoids_repeats():
    items = [learner_model.Candidate(f"i{d}", d) for d in (-3.0, -1.0, 0.0, 1.0, 3.0)]
    best = learner_model.choose_item(0.0, items, recent=[])
    assert abs(learner_model.expected_success(0.0, best.difficulty) - learner_model.TARGET_SUCCESS) < 0.2
    again = learner_model.choose_item(0.0, items, recent=[best.item_id])
    assert again.item_id != best.item_id
    assert learner_model.choose_item(0.0, [], []) is None
    only = [learner_model.Candidate("solo", 0.0)]
    assert learner_model.choose_item(0.0, only, ["solo"]).item_id == "solo"


def test_never_the_same_item_twice_in_a_row_when_another_exists():
    items = [learner_model.Candidate("easy", -1.1), learner_model.Candidate("hard", 3.0)]
    assert learner_model.choose_item(0.0, items, ["easy"]).item_id == "hard"


def test_near_mastery_the_item_that_tells_most_is_chosen():
    items = [learner_model.Candidate("coin", -1.1, guess=0.5), learner_model.Candidate("typed", 0.3, guess=0.03),
             learner_model.Candidate("done", -1.1, guess=0.03, answered_right=True)]
    assert learner_model.choose_item(0.0, items, [], checking=False).item_id == "done"  # at the 75 % target
    assert learner_model.choose_item(0.0, items[:2], [], checking=False).item_id == "coin"
    assert learner_model.choose_item(0.0, items, [], checking=True).item_id == "typed"  # hard to guess, new


def test_a_stronger_learner_gets_harder_items():
    items = [learner_model.Candidate(f"i{d}", float(d)) for d in range(-3, 4)]
    weak = learner_model.choose_item(-2.0, items, [])
    strong = learner_model.choose_item(2.0, items, [])
    assert strong.difficulty > weak.difficulty


@pytest.mark.parametrize("correct, ability_moves, difficulty_moves", [(True, 1, -1), (False, -1, 1)])
def test_elo_update_moves_ability_and_difficulty_apart(correct, ability_moves, difficulty_moves):
    ability, difficulty = learner_model.update(0.0, 0.0, 0, correct)
    assert (ability > 0) == (ability_moves > 0) and (difficulty > 0) == (difficulty_moves > 0)


def test_mastered_skill_comes_back_in_a_few_days_and_moves_with_results():
    card, due = review.start_reviews(T0)
    assert timedelta(days=1) <= due - T0 <= timedelta(days=7)
    good_card, good_due = review.review(card, "good", due)
    _, hard_due = review.review(card, "hard", due)
    _, bad_due = review.review(card, "again", due)
    assert good_due - due > hard_due - due > bad_due - due
    assert review.is_due(due, due) and not review.is_due(due, T0) and not review.is_due(None, due)
    assert review.review(card, "good", due) == (good_card, good_due)  # no fuzzing: rebuilds agree
    assert review.stability_days(good_card) > review.stability_days(card)

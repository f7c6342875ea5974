"""The learning simulator (bench/learning_sim.py and its sim_* modules): the hidden truth on cases worked
out by hand, the figures on tiny hand-made traces, determinism, and the server's policy end to end on a
temp data folder. Nothing here is timed."""
import math
import random

import pytest

from bench import sim_metrics
from bench.sim_graphs import load_graph
from bench.sim_policies import Clock, Outcome, default_params, fixed_policies, run_learner
from bench.sim_truth import (Learner, Params, TruthItem, TruthSkill, guess_chance, make_learner, retention,
                             slip_chance)


class FixedDraws:
    """A stand-in for random.Random whose random() returns the given values in turn (then the last)."""

    def __init__(self, *values):
        self.values = list(values)

    def random(self):
        return self.values.pop(0) if len(self.values) > 1 else self.values[0]


def two_skills(strict=True) -> Learner:
    """'a' (no prerequisite) and 'b' (needs 'a'); nothing known; learning rate 0.5."""
    skills = {"a": TruthSkill("a", (), None, 0, ()), "b": TruthSkill("b", ("a",), None, 1, ())}
    return Learner(0.5, {"a": False, "b": False}, {"a": 0.0, "b": 0.0}, skills=skills, params=Params(strict=strict))


ITEM_B = TruthItem("b1", "b", "single", 4, 0.0)


# ---- the truth -----------------------------------------------------------------------------------

def test_guess_depends_on_format_and_number_of_options():
    assert guess_chance("single", 4) == 0.25
    assert guess_chance("single", 3) == pytest.approx(1 / 3)
    assert guess_chance("fill_choice", 5) == 0.2
    assert guess_chance("truefalse", 0) == 0.5
    assert guess_chance("numeric", 0) == guess_chance("short", 0) == 0.02
    assert guess_chance("multiple", 4) < 0.1 and guess_chance("matching", 0) < guess_chance("multiple", 4)


def test_retry_guesses_by_elimination():
    assert guess_chance("single", 4, retry=True) == pytest.approx(1 / 3)
    assert guess_chance("single", 2, retry=True) == 1.0
    assert guess_chance("truefalse", 0, retry=True) == 1.0  # the other answer is certain
    assert guess_chance("numeric", 0, retry=True) == 0.02  # nothing to eliminate in a text box


def test_slip_grows_with_difficulty():
    assert slip_chance(-2) == 0.03 and slip_chance(0) == 0.10 and slip_chance(2) == 0.20
    assert slip_chance(5) == 0.25


def test_a_learner_who_does_not_know_answers_right_only_by_a_guess():
    learner = two_skills()
    learner.known["a"] = True  # so 'b' can be learned; draw 0.26 > 1/4: a wrong guess, then 0.9: no learning
    assert learner.answer(ITEM_B, FixedDraws(0.26, 0.9), now=0.0) is False
    assert learner.answer(ITEM_B, FixedDraws(0.24, 0.9), now=0.0) is True  # 0.24 < 1/4: a lucky guess
    assert learner.known["b"] is False


def test_strict_prerequisites_block_learning_and_soft_ones_slow_it():
    strict = two_skills(strict=True)
    for _ in range(50):
        strict.practise("b", True, FixedDraws(0.0), now=0.0)  # the luckiest draws: still nothing
    assert strict.known["b"] is False
    soft = two_skills(strict=False)
    soft.practise("b", True, FixedDraws(0.5 * 0.15 - 0.001), now=0.0)  # rate 0.5 x soft factor 0.15
    assert soft.known["b"] is True
    slow = two_skills(strict=False)
    slow.practise("b", True, FixedDraws(0.5 * 0.15 + 0.001), now=0.0)
    assert slow.known["b"] is False


def test_a_wrong_answer_with_feedback_teaches_at_half_the_rate():
    learner = two_skills()
    learner.practise("a", False, FixedDraws(0.24), now=0.0)  # 0.24 < 0.5 / 2
    assert learner.known["a"] is True and learner.stability["a"] == 2.0
    other = two_skills()
    other.practise("a", False, FixedDraws(0.26), now=0.0)
    assert other.known["a"] is False


def test_power_law_forgetting_curve():
    assert retention(0, 1) == 1.0
    assert retention(9, 1) == pytest.approx(0.5)  # (1 + 9/9)^-1
    assert retention(30, 2) == pytest.approx(1 / (1 + 30 / 18))
    learner = two_skills()
    learner.practise("a", True, FixedDraws(0.0), now=0.0)  # learned at day 0, S = 2
    learner.forget_until(9.0, FixedDraws(retention(9, 2) - 0.001))  # survives with P = R(9 days)
    assert learner.known["a"] is True
    # from day 9 to day 18 the survival is R(18)/R(9) = 0.6/0.667 = 0.9
    learner.forget_until(18.0, FixedDraws(retention(18, 2) / retention(9, 2) + 0.001))
    assert learner.known["a"] is False and learner.stability["a"] == 2.0  # kept for relearning (>= first)


def test_spaced_practice_grows_stability_more_than_massed():
    learner = two_skills()
    learner.practise("a", True, FixedDraws(0.0), now=0.0)
    learner.practise("a", True, FixedDraws(0.0), now=0.01)  # same day: +0.1
    assert learner.stability["a"] == pytest.approx(2.1)
    learner.practise("a", True, FixedDraws(0.0), now=1.0)  # a day later: doubled
    assert learner.stability["a"] == pytest.approx(4.2)


def test_fixed_rules_by_hand():
    from bench.sim_policies import rule_met

    assert rule_met([0, 1, 1, 1, 1, 1], None)  # the default: 5 in a row
    assert not rule_met([1, 1, 1, 1, 0, 1, 1, 1, 1], None)
    eight_of_ten = {"rule": "m_of_n", "m": 8, "n": 10}
    assert rule_met([0, 1, 1, 0, 1, 1, 1, 1, 1, 1], eight_of_ten)
    assert not rule_met([0, 0, 1, 1, 1, 1, 1, 1, 1, 0], eight_of_ten)
    assert not rule_met([1] * 7, eight_of_ten)


# ---- the figures ---------------------------------------------------------------------------------

def outcome(answers, finished, declarations, prereq=False, kept=None):
    return Outcome(answers=answers, finished=finished, declarations=declarations, started_unknown_prereq=prereq,
                   kept_reviews=kept, kept_none=kept)


TRACES = [outcome(100, True, [True, True, False], kept=0.5), outcome(200, True, [True, True], prereq=True, kept=1.0),
          outcome(300, False, [True, False]), outcome(150, True, [True, True, True], kept=0.75)]


def test_false_mastery_counts_declarations_made_while_not_known():
    assert sim_metrics.false_mastery(TRACES) == pytest.approx(2 / 10)
    assert sim_metrics.false_mastery([outcome(5, False, [])]) is None


def test_answer_figures_count_unfinished_learners_as_beyond_the_cap():
    assert sim_metrics.answers_median(TRACES) == 150  # 100, 150, 200, inf
    assert sim_metrics.answers_p90(TRACES) == math.inf
    assert sim_metrics.unfinished_share(TRACES) == 0.25
    assert sim_metrics.unknown_prereq_starts(TRACES) == 0.25
    assert sim_metrics.kept_with_reviews(TRACES) == pytest.approx(0.75)  # finished learners only


def test_bootstrap_interval_contains_the_point_estimate():
    rng = random.Random(3)
    many = [outcome(rng.randint(50, 400), rng.random() < 0.9, [rng.random() < 0.95 for _ in range(6)],
                    prereq=rng.random() < 0.3, kept=rng.random()) for _ in range(300)]
    summary = sim_metrics.summarize(many, resamples=300, seed=1)
    for name, figure in summary.items():
        if figure["value"] is not None and figure["low"] is not None:
            assert figure["low"] <= figure["value"] <= figure["high"], name
    assert summary["false mastery"]["low"] < summary["false mastery"]["high"]


def test_calibration_and_auc_by_hand():
    pairs = [(0.05, False), (0.15, False), (0.15, True), (0.95, True)]
    table = sim_metrics.calibration(pairs)
    assert [row["answers"] for row in table] == [1, 2, 1]
    assert table[1]["predicted"] == pytest.approx(0.15) and table[1]["observed"] == 0.5
    # positives 0.15, 0.95; negatives 0.05, 0.15: pairs won 1 + 0.5 (tie) + 1 + 1 of 4
    assert sim_metrics.auc(pairs) == pytest.approx(3.5 / 4)
    assert sim_metrics.auc([(0.3, True)]) is None
    pairs, missing = sim_metrics.predictions_from_rows([{"correct": True, "predicted": 0.7}, {"correct": False},
                                                        '{"correct": false, "predicted": 0.2}'])
    assert pairs == [(0.7, True), (0.2, False)] and missing == 1


# ---- runs ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fractions(tmp_path_factory):
    return load_graph("fractions", tmp_path_factory.mktemp("graph"))


def run_fixed(graph, seed, count=15):
    out = []
    for policy in fixed_policies(graph):
        for n in range(count):
            learner = make_learner(random.Random(f"{seed}-{n}-learner"), list(graph.skills), default_params())
            out.append(run_learner(policy, graph, learner, n, seed, Clock(), 360))
    return out


def test_runs_are_deterministic_for_a_seed(fractions):
    first, again, other = run_fixed(fractions, 7), run_fixed(fractions, 7), run_fixed(fractions, 8)
    assert first == again
    assert first != other
    assert any(o.finished for o in first) and any(o.declarations for o in first)


def test_generated_graph_is_a_dag_of_mixed_formats(tmp_path):
    graph = load_graph("generated", tmp_path)
    assert len(graph.practised) >= 10
    kinds = {item.kind for skill in graph.skills for item in skill.items}
    assert {"single", "truefalse", "numeric", "short", "multiple"} <= kinds
    seen = set()
    for skill in graph.skills:  # pack order is a topological order
        assert set(skill.prerequisites) <= seen
        seen.add(skill.skill_id)
    assert any(len(s.prerequisites) == 2 for s in graph.skills)


def test_server_policy_runs_learners_end_to_end(fractions, tmp_path):
    from bench.sim_server import ServerPolicy
    from server.models.base import utcnow

    clock = Clock()
    policy = ServerPolicy(fractions, clock, 2, data_dir=tmp_path / "data")
    try:
        outcomes = []
        for n in range(2):
            learner = make_learner(random.Random(f"7-{n}-learner"), list(fractions.skills), default_params())
            outcomes.append(run_learner(policy, fractions, learner, n, 7, clock, 120))
        assert utcnow().year == 2027  # the server ran on simulated time
        pairs, missing = policy.predictions()
    finally:
        policy.finish()
    assert all(o.answers > 0 for o in outcomes)
    assert len(pairs) + missing >= sum(o.answers for o in outcomes)  # every answer stored as an event
    assert sum(len(o.declarations) for o in outcomes) >= 1  # the server declared some mastery
    stored, stored_missing = sim_metrics.predictions_in_folder(tmp_path / "data")  # --data reads the same
    assert len(stored) + stored_missing == len(pairs) + missing


class _Recording:
    """A policy that has mastered everything and offers no review: it records the clock at each day start."""

    name, has_reviews = "recording", True

    def __init__(self, graph, clock):
        self.graph, self.clock, self.mornings = graph, clock, []

    def start(self, n, seed):
        return {}

    def day_start(self, st):
        self.mornings.append(self.clock.day)

    def next_item(self, st):
        return None

    review_item = next_item

    def mastered(self, st):
        return {s.skill_id for s in self.graph.practised}

    def finish(self):
        pass


def test_the_clock_moves_each_school_day_even_when_nothing_is_answered(fractions):
    clock = Clock()
    policy = _Recording(fractions, clock)
    learner = make_learner(random.Random("7-0-learner"), list(fractions.skills), default_params())
    out = run_learner(policy, fractions, learner, 0, 7, clock, 360)
    assert out.finished and out.answers == 0
    days = [int(m) for m in policy.mornings]
    assert days == sorted(set(days))  # one morning a school day, later each time
    assert len(days) >= 20 + 1  # the 30 days after mastery (22 school days) and the day after the holiday
    assert all(d % 7 < 5 for d in days)  # school days only
    assert days[-1] >= 60  # the holiday after the review month was lived through
    known, shown = out.after_holiday
    assert shown == len(fractions.practised) and 0 <= known <= shown


def test_known_of_shown_after_holiday_is_a_ratio_over_every_learner():
    traces = [Outcome(after_holiday=(3, 4)), Outcome(after_holiday=(1, 4)), Outcome(after_holiday=None)]
    assert sim_metrics.figure("known of shown after holiday", traces) == pytest.approx(4 / 8)

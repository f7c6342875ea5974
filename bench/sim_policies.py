"""The simulated school year of one learner under one policy, and the three fixed policies to compare with.

A policy chooses what to practise and says what it considers mastered; the truth (bench.sim_truth) says
what the learner really knows. The same loop drives every policy:

* learning: school days Monday to Friday, `answers_per_day` answers a day, forgetting between days; after
  a miss the learner takes "Try again" on the same item 70 % of the time (once); until the policy shows
  every practised skill as mastered at the same time, or `cap` answers (then: unfinished, stalled);
* after full mastery, two branches of the same learner over the next 30 days: with reviews (on school days
  the learner follows the policy's own reviews, up to `answers_per_day` a day) and without any practice
  (a holiday). Knowledge kept = share of the skills really known at day 30.
* then, on the branch with reviews, a 30-day holiday followed by `HOLIDAY_ANSWERS` answers following the
  policy's reviews: of the skills the policy then shows as mastered, the share really known (does the
  policy notice what the holiday took, and restore it?).

Policies (a policy object serves one graph; `start` gives the per-learner state):
* pack order: skills in pack order, each skill's items round-robin, with the pack's own mastery rule;
* random 5 in a row / random 8 of 10: skills in pack order, items at random, with that rule.
The server's policy is in bench.sim_server. Fixed policies have no reviews and never take mastery back.
"""
import random
from dataclasses import dataclass, field

from bench.sim_truth import Learner, Params, TruthItem

POST_DAYS = 30
HOLIDAY_DAYS = 30
HOLIDAY_ANSWERS = 60
DEFAULT_RULE = {"rule": "streak", "count": 5}  # a pack's default (docs/pack-format.md)
START_MINUTE = 9 * 60  # answers from 09:00, two minutes apart


@dataclass
class Outcome:
    """What happened to one learner under one policy."""

    answers: int = 0  # answers until full mastery (or the cap)
    finished: bool = False
    declarations: list = field(default_factory=list)  # per mastery declaration: was the skill really known?
    started_unknown_prereq: bool = False  # first answer on some skill while a prerequisite was not known
    kept_reviews: float | None = None  # share known 30 days after full mastery, following the reviews
    kept_none: float | None = None  # the same without any practice
    review_answers: int = 0  # answers in those 30 days (with reviews)
    no_practice_offered: int = 0  # times the policy offered nothing while skills remained (server: fallbacks)
    after_holiday: tuple | None = None  # (shown mastered and known, shown mastered) after holiday + answers


class Clock:
    """The simulated time in days since the first Monday; the server policy reads it through set_clock."""

    def __init__(self):
        self.day = 0.0


class FixedPolicy:
    """Skills in pack order; items round-robin (pack order) or at random; one mastery rule."""

    has_reviews = False

    def __init__(self, name: str, graph, rule: dict | None = None, random_items: bool = False):
        self.name, self.graph, self.rule, self.random_items = name, graph, rule, random_items

    def start(self, n: int, seed: int) -> dict:
        """A learner's state: what is mastered, recent results and item counters per skill."""
        return {"mastered": set(), "recent": {}, "turn": {}, "rng": random.Random(f"{seed}-{n}-items")}

    def day_start(self, st: dict) -> None:
        """Nothing to do at the start of a day."""

    def next_item(self, st: dict) -> TruthItem | None:
        """The next item: first non-mastered skill in pack order."""
        skill = next((s for s in self.graph.practised if s.skill_id not in st["mastered"]), None)
        if skill is None:
            return None
        if self.random_items:
            return st["rng"].choice(skill.items)
        turn = st["turn"].get(skill.skill_id, 0)
        st["turn"][skill.skill_id] = turn + 1
        return skill.items[turn % len(skill.items)]

    def review_item(self, st: dict) -> TruthItem | None:
        """No reviews."""
        return None

    def retry_allowed(self, st: dict, item: TruthItem) -> bool:
        """A fixed policy always lets the learner try again."""
        return True

    def answered(self, st: dict, item: TruthItem, correct: bool, retry: bool) -> None:
        """Count the answer towards the rule (a retry counts, as it does on the server today)."""
        recent = st["recent"].setdefault(item.skill_id, [])
        recent.append(int(correct))
        rule = self.rule if self.rule is not None else self.graph.skill(item.skill_id).rule
        if rule_met(recent, rule):
            st["mastered"].add(item.skill_id)

    def mastered(self, st: dict) -> set:
        """The skills this policy shows as mastered."""
        return set(st["mastered"])

    def finish(self) -> None:
        """Nothing to clean up."""


def rule_met(recent: list[int], rule: dict | None) -> bool:
    """A pack's mastery rule on recent results (1 right, 0 wrong; newest last): k in a row, or m of the last n.

    The bench's own copy: the server's mastery code is what is being judged, and it changes."""
    rule = rule or DEFAULT_RULE
    if rule["rule"] == "streak":
        return len(recent) >= rule["count"] and all(recent[-rule["count"]:])
    return sum(recent[-rule["n"]:]) >= rule["m"]


def fixed_policies(graph) -> list[FixedPolicy]:
    """Pack order with the pack's rules; random items with 5 in a row; random items with 8 of the last 10."""
    return [FixedPolicy("pack order", graph),
            FixedPolicy("random, 5 in a row", graph, {"rule": "streak", "count": 5}, random_items=True),
            FixedPolicy("random, 8 of 10", graph, {"rule": "m_of_n", "m": 8, "n": 10}, random_items=True)]


def next_school_day(day: int) -> int:
    """The next Monday-to-Friday day after `day` (day 0 is a Monday)."""
    day += 1
    while day % 7 >= 5:
        day += 1
    return day


class _Run:
    """One learner's run: the shared answer step (with retry, declarations, prerequisite check)."""

    def __init__(self, policy, graph, learner: Learner, rng: random.Random, clock: Clock, st, out: Outcome):
        self.policy, self.graph, self.learner, self.rng, self.clock, self.st, self.out = (
            policy, graph, learner, rng, clock, st, out)
        self.shown = policy.mastered(st)
        self.started: set = set()
        self.goal = {s.skill_id for s in graph.practised}

    def step(self, item: TruthItem, day: int, slot: int) -> int:
        """Answer an item (and maybe retry it); the number of answers given."""
        if item.skill_id not in self.started:
            self.started.add(item.skill_id)
            if not self.learner.prerequisites_known(item.skill_id):
                self.out.started_unknown_prereq = True
        given, retry = 0, False
        while True:
            self.clock.day = day + (START_MINUTE + 2 * (slot + given)) / 1440
            correct = self.learner.answer(item, self.rng, self.clock.day, retry)
            self.policy.answered(self.st, item, correct, retry)
            given += 1
            self._declarations()
            if correct or retry or self.rng.random() >= self.learner.params.retry_rate:
                return given
            if not self.policy.retry_allowed(self.st, item):
                return given  # e.g. the miss took a prerequisite's mastery back and locked the skill
            retry = True

    def _declarations(self) -> None:
        shown = self.policy.mastered(self.st)
        for skill_id in sorted(shown - self.shown):
            self.out.declarations.append(self.learner.known[skill_id])
        self.shown = shown

    def all_mastered(self) -> bool:
        """True when the policy shows every practised skill as mastered."""
        return self.goal <= self.shown


def run_learner(policy, graph, learner: Learner, n: int, seed: int, clock: Clock, cap: int) -> Outcome:
    """One learner under one policy: learning to full mastery (or the cap), then the 30 days after."""
    out, rng = Outcome(), random.Random(f"{seed}-{n}-answers")
    run = _Run(policy, graph, learner, rng, clock, policy.start(n, seed), out)
    per_day, day = learner.params.answers_per_day, 0
    while out.answers < cap and not run.all_mastered():
        learner.forget_until(day, rng)
        clock.day = day + START_MINUTE / 1440  # the server reads the time of day at the start of the day too
        policy.day_start(run.st)
        today = 0
        while today < per_day and out.answers < cap and not run.all_mastered():
            item = policy.next_item(run.st)
            if item is None:
                out.no_practice_offered += 1
                break
            given = run.step(item, day, today)
            today += given
            out.answers += given
        if today == 0 or run.all_mastered():
            break  # done, or nothing offered: stalled for good
        day = next_school_day(day)
    out.finished = run.all_mastered()
    if out.finished:
        _after_mastery(run, day, clock)
    out.no_practice_offered += run.st.get("fallbacks", 0)
    return out


def _after_mastery(run: _Run, day: int, clock: Clock) -> None:
    """The 30 days after full mastery: without practice, and following the policy's reviews."""
    end = clock.day + POST_DAYS
    resting = run.learner.copy()
    resting.forget_until(end, random.Random(f"{run.rng.random()}-rest"))
    run.out.kept_none = resting.known_share()
    if not run.policy.has_reviews:  # nothing to follow: the same as no practice (and after a holiday)
        run.out.kept_reviews = run.out.kept_none
        _after_holiday(run, day + POST_DAYS, clock)
        return
    while True:
        day = next_school_day(day)
        if day > end:
            break
        run.learner.forget_until(day, run.rng)
        clock.day = day + START_MINUTE / 1440  # without this, a day with no answer would not move the clock
        run.policy.day_start(run.st)
        today = 0
        while today < run.learner.params.answers_per_day:
            item = run.policy.review_item(run.st)
            if item is None:
                break
            today += run.step(item, day, today)
        run.out.review_answers += today
    run.learner.forget_until(end, run.rng)
    run.out.kept_reviews = run.learner.known_share()
    _after_holiday(run, day, clock)


def _after_holiday(run: _Run, day: int, clock: Clock) -> None:
    """A holiday, then up to HOLIDAY_ANSWERS answers following the policy's reviews; what it shows as
    mastered then, against what is known."""
    day += HOLIDAY_DAYS
    while day % 7 >= 5:
        day += 1
    given = 0
    while given < HOLIDAY_ANSWERS:
        run.learner.forget_until(day, run.rng)
        clock.day = day + START_MINUTE / 1440
        run.policy.day_start(run.st)
        today = 0
        while today < run.learner.params.answers_per_day and given < HOLIDAY_ANSWERS:
            item = run.policy.review_item(run.st)
            if item is None:
                break
            answered = run.step(item, day, today)
            today, given = today + answered, given + answered
        if today == 0:
            break
        day = next_school_day(day)
    shown = run.policy.mastered(run.st)
    run.out.after_holiday = (sum(run.learner.known[s] for s in shown), len(shown))


def default_params(strict: bool = True) -> Params:
    """The truth's parameters for the strict or soft prerequisite variant."""
    return Params(strict=strict)

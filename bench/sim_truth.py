"""The hidden truth of the learning simulator: what a simulated learner really knows, and how they answer.

Decisions:
- It is deliberately NOT the server's model (no ability, no Elo, no logistic curve). Each learner either
  knows a skill or does not. Knowing, they answer right unless they slip; not knowing, they answer right
  only by guessing, and the guess depends on the item's format and number of options. A check built on
  the server's own model could never fail; this one can.
- Learning happens on practice opportunities (a right answer, or a wrong one followed by feedback, which
  teaches at half the rate), and only when every prerequisite is known (strict) or at a much reduced rate
  otherwise (soft). Learning does not depend on how easy the item is: stopping early on easy items earns
  nothing.
- Forgetting is a power law between school days: P(still known t days after the last successful practice)
  = (1 + t / (9 S))^-1, where the stability S (days) doubles with each successful *spaced* practice (a
  right answer at least half a day after the previous one) and grows a little with same-day practice.
- After a miss the UI offers "Try again" on the same item; learners take it 70 % of the time and, not
  knowing, guess by elimination (1/(k-1) for single choice, certain for true/false).
"""
import math
import random
from dataclasses import dataclass, field

TEXT_KINDS = ("numeric", "short")  # typed answers (and fill-in with a text box)
TEXT_GUESS = 0.02
MULTIPLE_GUESS = 0.05  # a right subset by luck: small
MATCHING_GUESS = 0.01


@dataclass(frozen=True)
class Params:
    """The knobs of the truth (the defaults are the bench's)."""

    strict: bool = True  # learning needs every prerequisite known (else: soft, at soft_factor of the rate)
    soft_factor: float = 0.15
    wrong_teaches: float = 0.5  # a miss with feedback teaches at this share of the learner's rate
    retry_rate: float = 0.7  # learners who take "Try again" after a miss
    answers_per_day: int = 20
    first_stability: float = 2.0  # days, when a skill is first learned
    spaced_growth: float = 2.0  # stability x this on a right answer >= half a day after the last one
    same_day_growth: float = 0.1  # days added by a right answer on the same day (massed practice)


@dataclass(frozen=True)
class TruthItem:
    item_id: str
    skill_id: str
    kind: str
    options: int  # choices offered (single, multiple, fill-choice), else 0
    difficulty: float  # the authored one (or 0.0): only the slip depends on it


@dataclass(frozen=True)
class TruthSkill:
    skill_id: str
    prerequisites: tuple[str, ...]
    rule: dict | None  # the pack's mastery rule (None: the default)
    depth: int  # longest prerequisite chain below it
    items: tuple[TruthItem, ...]


def guess_chance(kind: str, options: int, retry: bool = False) -> float:
    """P(right) for a learner who does not know the skill; on a retry, by eliminating the answer just missed."""
    if kind == "truefalse":
        return 1.0 if retry else 0.5
    if kind in ("single", "fill_choice"):
        k = max(2, options)
        return 1.0 / (k - 1) if retry else 1.0 / k
    if kind == "multiple":
        return 2 * MULTIPLE_GUESS if retry else MULTIPLE_GUESS
    if kind == "matching":
        return MATCHING_GUESS
    return TEXT_GUESS


def slip_chance(difficulty: float) -> float:
    """P(wrong) for a learner who knows the skill: 3 % on the easiest items, up to 25 % on the hardest."""
    return min(0.25, max(0.03, 0.10 + 0.05 * difficulty))


def retention(days: float, stability: float) -> float:
    """P(still known `days` after the last successful practice), power-law forgetting."""
    return 1.0 / (1.0 + max(0.0, days) / (9.0 * stability))


def item_kind(item: dict) -> str:
    """The truth's format name for a pack item (fill-in items are a choice or a text box)."""
    if item["kind"] == "fill":
        return "fill_choice" if item.get("input") == "choice" else "short"
    return item["kind"]


@dataclass
class Learner:
    """One simulated learner: what they know now, and how they learn and forget."""

    rate: float  # P(learning) per practice opportunity
    known: dict[str, bool]
    stability: dict[str, float]
    last: dict[str, float] = field(default_factory=dict)  # day of the last successful practice
    checked: dict[str, float] = field(default_factory=dict)  # day forgetting was last applied up to
    skills: dict[str, TruthSkill] = field(default_factory=dict)
    params: Params = Params()

    def copy(self) -> "Learner":
        """An independent copy (to branch: with and without reviews)."""
        return Learner(self.rate, dict(self.known), dict(self.stability), dict(self.last), dict(self.checked),
                       self.skills, self.params)

    def prerequisites_known(self, skill_id: str) -> bool:
        """True when every prerequisite of the skill is known now."""
        return all(self.known[p] for p in self.skills[skill_id].prerequisites)

    def answer(self, item: TruthItem, rng: random.Random, now: float, retry: bool = False) -> bool:
        """Answer an item at day `now` (right or wrong), then learn from the practice."""
        if self.known[item.skill_id]:
            correct = rng.random() >= slip_chance(item.difficulty)
        else:
            correct = rng.random() < guess_chance(item.kind, item.options, retry)
        self.practise(item.skill_id, correct, rng, now)
        return correct

    def practise(self, skill_id: str, correct: bool, rng: random.Random, now: float) -> None:
        """Learning from one opportunity (gated by prerequisites), or consolidation if already known."""
        p = self.params
        if self.known[skill_id]:
            if correct:
                gap = now - self.last.get(skill_id, now)
                if gap >= 0.5:
                    self.stability[skill_id] *= p.spaced_growth
                else:
                    self.stability[skill_id] += p.same_day_growth
                self.last[skill_id] = self.checked[skill_id] = now
            return
        chance = self.rate * (1.0 if correct else p.wrong_teaches)
        if not self.prerequisites_known(skill_id):
            chance = 0.0 if p.strict else chance * p.soft_factor
        if rng.random() < chance:
            self.known[skill_id] = True
            self.stability[skill_id] = max(p.first_stability, self.stability.get(skill_id, 0.0))
            self.last[skill_id] = self.checked[skill_id] = now

    def forget_until(self, now: float, rng: random.Random) -> None:
        """Apply forgetting for the time since it was last applied, skill by skill (in a fixed order)."""
        for skill_id in self.skills:
            if not self.known[skill_id]:
                continue
            last, checked, s = self.last[skill_id], self.checked[skill_id], self.stability[skill_id]
            if now <= checked:
                continue
            keep = retention(now - last, s) / retention(checked - last, s)
            self.checked[skill_id] = now
            if rng.random() >= keep:
                self.known[skill_id] = False
                self.stability[skill_id] = max(self.params.first_stability, s / 2)

    def known_share(self) -> float:
        """Share of the skills known now."""
        return sum(self.known.values()) / max(1, len(self.known))


def make_learner(rng: random.Random, skills: list[TruthSkill], params: Params = Params()) -> Learner:
    """A learner with their own prior of knowing (less on deeper skills) and their own learning rate."""
    prior = rng.betavariate(1.2, 4.0)  # mean ~0.23: most skills are new to most learners
    rate = min(0.6, max(0.04, rng.lognormvariate(math.log(0.15), 0.5)))
    known, stability = {}, {}
    for skill in sorted(skills, key=lambda s: s.depth):
        chance = prior * 0.75 ** skill.depth
        if not all(known[p] for p in skill.prerequisites):
            chance *= 0.1
        known[skill.skill_id] = rng.random() < chance
        stability[skill.skill_id] = 2.0 + 8.0 * rng.random() if known[skill.skill_id] else 0.0
    order = {s.skill_id: s for s in skills}
    learner = Learner(rate, {s.skill_id: known[s.skill_id] for s in skills}, stability, skills=order, params=params)
    for skill_id, is_known in learner.known.items():
        if is_known:
            learner.last[skill_id] = learner.checked[skill_id] = 0.0
    return learner


def with_depths(specs: list[tuple[str, tuple, dict | None, list[TruthItem]]]) -> list[TruthSkill]:
    """TruthSkills from (id, prerequisites, rule, items), with each skill's depth in the graph."""
    prereqs = {sid: tuple(pre) for sid, pre, _, _ in specs}
    depth: dict[str, int] = {}

    def depth_of(sid: str) -> int:
        if sid not in depth:
            depth[sid] = 1 + max((depth_of(p) for p in prereqs[sid] if p in prereqs), default=-1)
        return depth[sid]
    return [TruthSkill(sid, prereqs[sid], rule, depth_of(sid), tuple(items)) for sid, _, rule, items in specs]

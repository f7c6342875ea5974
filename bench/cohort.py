"""A simulated cohort: our adaptive practice loop against a fixed linear order (pure Python, no server).

Each synthetic learner has a hidden level per skill and a hidden learning rate; each item has a hidden
true difficulty. A learner answers right with probability logistic(level - true difficulty), and every
answer raises the level on that skill by the learner's rate. Both policies see the same learners and use
the same mastery rules (`mastery.is_mastered`, with each skill's own rule from the pack):

* adaptive: skills chosen like "What next" (the skill in progress, else the next unlocked skill in pack
  order), items chosen by `learner_model.choose_item` with Elo updates by `learner_model.update`; item
  difficulties are shared by the whole cohort, as the server's `item_stat` rows are (an item's authored
  difficulty is used until its first answer, then the stat, which starts at 0.0, as in progress.py);
* linear: skills in pack order, each skill's items in pack order, round and round.

"Wasted" answers are ones whose true chance of success was above 0.95 (nothing to learn) or below 0.2
(mostly frustration). Output is deterministic for a given --seed.

    python -m bench.cohort [--learners 1000] [--seed 7] [--budget 150] [--synthetic] [--json out.json]
"""
import argparse
import json
import math
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/cohort.py
    sys.path.insert(0, str(REPO))

from bench.tables import format_table  # noqa: E402
from server.learning import learner_model, mastery  # noqa: E402

FRACTIONS = REPO / "content_packs" / "fractions-en"
NOT_PRACTISED = ("essay", "description")  # practice.next_question never offers these
RECENT_ITEMS = 5  # practice.next_question avoids among the last 5 items on the skill
TOO_EASY, TOO_HARD = 0.95, 0.2


@dataclass(frozen=True)
class SimItem:
    item_id: str
    authored: float | None  # the pack's difficulty, if the author gave one
    true_difficulty: float  # hidden


@dataclass(frozen=True)
class SimSkill:
    skill_id: str
    prerequisites: tuple[str, ...]
    rule: dict | None
    depth: int  # longest prerequisite chain below it
    items: tuple[SimItem, ...]


@dataclass(frozen=True)
class SimLearner:
    levels: dict  # hidden level per skill id
    rate: float  # hidden gain per answer


@dataclass
class SkillProgress:
    recent: list = field(default_factory=list)  # 1/0, newest last, as skill_state.recent
    items: list = field(default_factory=list)  # item ids answered, newest last
    mastered: bool = False


@dataclass
class Outcome:
    answers: int = 0
    done_at: int | None = None  # answer number at which every skill was mastered
    too_easy: int = 0
    too_hard: int = 0
    chance_sum: float = 0.0  # sum of the true chances of success, for the mean
    prerequisites_skipped: int = 0


# ---- the skill graph ---------------------------------------------------------------------------

def pack_graph(rng: random.Random, source: Path = FRACTIONS) -> list[SimSkill]:
    """The skills, prerequisites, rules and items of a real pack (built with the real builder)."""
    from server.content.packs.build import build_pack

    with tempfile.TemporaryDirectory(prefix="lantern-cohort-") as tmp:
        manifest = build_pack(source, Path(tmp) / "pack.lantern").manifest
    items: dict[str, list[SimItem]] = {}
    for unit in manifest.units:
        for item in unit.items:
            if item.get("skill") and item["kind"] not in NOT_PRACTISED:
                authored = item.get("difficulty")
                if authored is None:
                    hidden = rng.gauss(0, 0.8)
                else:
                    hidden = authored + rng.gauss(0, 0.5)
                items.setdefault(item["skill"], []).append(SimItem(item["id"], authored, hidden))
    return _with_depths([(s.id, s.prerequisites, s.mastery, items.get(s.id, [])) for s in manifest.skills])


def synthetic_graph(rng: random.Random, skill_count: int = 12, items_per_skill: int = 8) -> list[SimSkill]:
    """A generated graph: each skill needs up to two earlier ones; mixed rules; authored difficulties."""
    rules = [None, {"rule": "streak", "count": 4}, {"rule": "m_of_n", "m": 4, "n": 5},
             {"rule": "m_of_n", "m": 5, "n": 6}]
    specs = []
    for k in range(skill_count):
        prereqs = tuple(sorted(rng.sample([f"s{j:02d}" for j in range(k)], min(k, rng.randint(1, 2))))) if k else ()
        items = []
        for n in range(items_per_skill):
            authored = None if rng.random() < 0.2 else round(rng.gauss(0, 1) * 2) / 2
            items.append(SimItem(f"s{k:02d}-i{n}", authored, (authored or 0.0) + rng.gauss(0, 0.5)))
        specs.append((f"s{k:02d}", prereqs, rng.choice(rules), items))
    return _with_depths(specs)


def _with_depths(specs) -> list[SimSkill]:
    depth: dict[str, int] = {}
    prereqs = {sid: pre for sid, pre, _, _ in specs}

    def depth_of(sid):
        if sid not in depth:
            depth[sid] = 1 + max((depth_of(p) for p in prereqs[sid]), default=-1)
        return depth[sid]
    return [SimSkill(sid, tuple(pre), rule, depth_of(sid), tuple(items)) for sid, pre, rule, items in specs]


def make_learner(rng: random.Random, skills: list[SimSkill]) -> SimLearner:
    """Hidden levels (lower on deeper skills) and a learning rate, varying between learners."""
    base = rng.gauss(-0.3, 0.8)
    rate = min(0.25, max(0.01, rng.lognormvariate(math.log(0.06), 0.5)))
    return SimLearner({s.skill_id: base + rng.gauss(0, 0.5) - 0.3 * s.depth for s in skills}, rate)


# ---- the two policies ---------------------------------------------------------------------------

class AdaptivePolicy:
    """What next + Elo item choice, with item difficulties shared across the cohort (as item_stat)."""

    name = "adaptive"

    def __init__(self):
        self.item_stats: dict[str, tuple[float, int]] = {}  # item id -> (difficulty, attempts)
        self.ability = 0.0

    def start_learner(self) -> None:
        self.ability = 0.0  # a new learner_stat row

    def next_skill(self, skills: list[SimSkill], progress: dict) -> SimSkill | None:
        mastered = {sid for sid, p in progress.items() if p.mastered}
        for skill in skills:  # keep going on the skill in progress
            if progress[skill.skill_id].recent and not progress[skill.skill_id].mastered:
                return skill
        for skill in skills:  # else the next unlocked skill, in pack order
            if (skill.items and skill.skill_id not in mastered and not progress[skill.skill_id].recent
                    and all(p in mastered for p in skill.prerequisites)):
                return skill
        return None

    def next_item(self, skill: SimSkill, progress: SkillProgress) -> SimItem:
        by_id = {i.item_id: i for i in skill.items}
        candidates = [learner_model.Candidate(i.item_id, self._difficulty(i)) for i in skill.items]
        chosen = learner_model.choose_item(self.ability, candidates, progress.items[-RECENT_ITEMS:])
        return by_id[chosen.item_id]

    def _difficulty(self, item: SimItem) -> float:
        if item.item_id in self.item_stats:
            return self.item_stats[item.item_id][0]
        return item.authored if item.authored is not None else 0.0

    def observe(self, item: SimItem, correct: bool) -> None:
        difficulty, attempts = self.item_stats.get(item.item_id, (0.0, 0))  # item_stat starts at 0.0
        self.ability, difficulty = learner_model.update(self.ability, difficulty, attempts, correct)
        self.item_stats[item.item_id] = (difficulty, attempts + 1)


class LinearPolicy:
    """Skills in pack order, items in pack order, repeated until the skill is mastered."""

    name = "linear"

    def start_learner(self) -> None:
        pass

    def next_skill(self, skills: list[SimSkill], progress: dict) -> SimSkill | None:
        return next((s for s in skills if s.items and not progress[s.skill_id].mastered), None)

    def next_item(self, skill: SimSkill, progress: SkillProgress) -> SimItem:
        return skill.items[len(progress.items) % len(skill.items)]

    def observe(self, item: SimItem, correct: bool) -> None:
        pass


# ---- the simulation -----------------------------------------------------------------------------

def run_learner(policy, skills: list[SimSkill], learner: SimLearner, rng: random.Random, cap: int) -> Outcome:
    """One learner under one policy until every skill is mastered or `cap` answers."""
    policy.start_learner()
    levels = dict(learner.levels)
    progress = {s.skill_id: SkillProgress() for s in skills}
    goal = sum(1 for s in skills if s.items)
    outcome, mastered = Outcome(), 0
    while outcome.answers < cap:
        skill = policy.next_skill(skills, progress)
        if skill is None:
            break
        state = progress[skill.skill_id]
        if not all(progress[p].mastered for p in skill.prerequisites):
            outcome.prerequisites_skipped += 1
        item = policy.next_item(skill, state)
        chance = learner_model.expected_success(levels[skill.skill_id], item.true_difficulty)
        outcome.too_easy += chance > TOO_EASY
        outcome.too_hard += chance < TOO_HARD
        outcome.chance_sum += chance
        correct = rng.random() < chance
        levels[skill.skill_id] += learner.rate
        policy.observe(item, correct)
        outcome.answers += 1
        state.recent = (state.recent + [int(correct)])[-mastery.RECENT_KEPT:]
        state.items.append(item.item_id)
        if not state.mastered and mastery.is_mastered(state.recent, skill.rule):
            state.mastered, mastered = True, mastered + 1
            if mastered == goal:
                outcome.done_at = outcome.answers
                break
    return outcome


def simulate(learners: int = 1000, seed: int = 7, budget: int = 150, cap: int = 1000,
             synthetic: bool = False) -> dict:
    """Run the cohort under both policies; return the figures (plain data, JSON-ready)."""
    graph_rng = random.Random(seed)
    skills = synthetic_graph(graph_rng) if synthetic else pack_graph(graph_rng)
    people = [make_learner(random.Random(seed * 1_000_003 + n), skills) for n in range(learners)]
    rows = []
    for index, policy in enumerate((AdaptivePolicy(), LinearPolicy())):
        outcomes = [run_learner(policy, skills, person, random.Random((seed * 1_000_003 + n) * 4 + 1 + index), cap)
                    for n, person in enumerate(people)]
        rows.append(summarize(policy.name, outcomes, budget, cap))
    return {"graph": "synthetic" if synthetic else "fractions", "skills": len(skills),
            "items": sum(len(s.items) for s in skills), "learners": learners, "seed": seed,
            "budget": budget, "cap": cap, "policies": rows}


def summarize(name: str, outcomes: list[Outcome], budget: int, cap: int) -> dict:
    """Median and p90 answers to master everything (unfinished count as beyond the cap), and the rest."""
    finish = sorted(o.done_at if o.done_at is not None else math.inf for o in outcomes)
    answers = sum(o.answers for o in outcomes)
    return {"policy": name,
            "median_answers": _shown(_percentile(finish, 0.5), cap),
            "p90_answers": _shown(_percentile(finish, 0.9), cap),
            "mastered_all_within_budget": round(sum(f <= budget for f in finish) / len(finish), 4),
            "unfinished_at_cap": sum(f == math.inf for f in finish),
            "wasted_share": round(sum(o.too_easy + o.too_hard for o in outcomes) / max(1, answers), 4),
            "too_easy_share": round(sum(o.too_easy for o in outcomes) / max(1, answers), 4),
            "too_hard_share": round(sum(o.too_hard for o in outcomes) / max(1, answers), 4),
            "mean_chance_right": round(sum(o.chance_sum for o in outcomes) / max(1, answers), 4),
            "prerequisites_skipped": sum(o.prerequisites_skipped for o in outcomes),
            "answers_simulated": answers}


def _percentile(ordered: list, q: float):
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _shown(value, cap: int):
    return f">{cap}" if value == math.inf else int(value)


def render(result: dict) -> str:
    """The comparison table."""
    headers = ["policy", "median answers", "p90 answers", f"all mastered in {result['budget']}",
               "wasted", "too easy", "too hard", "mean P(right)", "prereqs skipped", f"unfinished at {result['cap']}"]
    rows = [[r["policy"], r["median_answers"], r["p90_answers"], f"{r['mastered_all_within_budget']:.1%}",
             f"{r['wasted_share']:.1%}", f"{r['too_easy_share']:.1%}", f"{r['too_hard_share']:.1%}",
             f"{r['mean_chance_right']:.2f}", r["prerequisites_skipped"], r["unfinished_at_cap"]]
            for r in result["policies"]]
    title = (f"cohort: {result['learners']} learners, {result['graph']} graph ({result['skills']} skills, "
             f"{result['items']} items), seed {result['seed']}")
    return format_table(headers, rows, title)


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run: (name, value) pairs."""
    result = simulate(learners=200 if quick else 1000)
    out = [("learners", result["learners"])]
    for row in result["policies"]:
        out += [(f"{row['policy']} median answers", row["median_answers"]),
                (f"{row['policy']} p90 answers", row["p90_answers"]),
                (f"{row['policy']} all mastered in {result['budget']}", f"{row['mastered_all_within_budget']:.1%}"),
                (f"{row['policy']} wasted", f"{row['wasted_share']:.1%}"),
                (f"{row['policy']} prereqs skipped", row["prerequisites_skipped"])]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--budget", type=int, default=150, help="answers a learner has time for")
    parser.add_argument("--cap", type=int, default=1000, help="stop a learner after this many answers")
    parser.add_argument("--synthetic", action="store_true", help="a generated skill graph instead of fractions")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = simulate(args.learners, args.seed, args.budget, args.cap, args.synthetic)
    print(render(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

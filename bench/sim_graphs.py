"""The two skill graphs of the learning simulator, both built into real packs with the real builder.

* fractions: the bundled pack (content_packs/fractions-en), 6 skills in a chain with one branch;
* generated: 12 skills with a prerequisite DAG (each needs one or two earlier skills) and 8 items each in
  mixed formats (single choice with 3-5 options, true/false, numeric, short answer, multiple select) with
  authored difficulties, written as a pack source folder (docs/pack-format.md) and built.

A graph carries the built pack file (for the server policy) and the truth's view of it (TruthSkills).
"""
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.sim_truth import TruthItem, TruthSkill, item_kind, with_depths

REPO = Path(__file__).resolve().parents[1]
FRACTIONS = REPO / "content_packs" / "fractions-en"
NOT_PRACTISED = ("essay", "description")  # practice.next_question never offers these
GENERATED_ID = "simgraph"
GENERATED_RULES = [None, {"rule": "streak", "count": 4}, {"rule": "m_of_n", "m": 4, "n": 5},
                   {"rule": "m_of_n", "m": 5, "n": 6}]
GENERATED_KINDS = ["single", "single", "truefalse", "numeric", "short", "multiple", "single", "numeric"]


@dataclass(frozen=True)
class Graph:
    name: str
    pack_id: str
    pack_file: Path
    skills: tuple[TruthSkill, ...]
    items: dict  # item id -> the manifest's item dict (to build right and wrong answers)

    @property
    def practised(self) -> tuple[TruthSkill, ...]:
        """The skills that have practice items (the ones mastery is about)."""
        return tuple(s for s in self.skills if s.items)

    def skill(self, skill_id: str) -> TruthSkill:
        """One skill by id."""
        return next(s for s in self.skills if s.skill_id == skill_id)


def load_graph(name: str, workdir: Path, seed: int = 7) -> Graph:
    """'fractions' or 'generated', built into `workdir`."""
    if name == "fractions":
        return graph_from_source(name, FRACTIONS, workdir)
    if name == "generated":
        return graph_from_source(name, write_generated_source(workdir / "generated-src", seed), workdir)
    raise ValueError(f"unknown graph {name!r}")


def graph_from_source(name: str, source: Path, workdir: Path) -> Graph:
    """Build a pack source folder with the real builder and read its skills and items."""
    from server.content.packs.build import build_pack

    workdir.mkdir(parents=True, exist_ok=True)
    built = build_pack(source, workdir / f"{name}.lantern")
    manifest = built.manifest
    items: dict[str, list[TruthItem]] = {}
    raw = {}
    for unit in manifest.units:
        for item in unit.items:
            if item.get("skill") and item["kind"] not in NOT_PRACTISED:
                raw[item["id"]] = item
                options = len(item.get("answers", [])) if item_kind(item) in ("single", "multiple", "fill_choice") else 0
                difficulty = item.get("difficulty")
                items.setdefault(item["skill"], []).append(TruthItem(
                    item["id"], item["skill"], item_kind(item), options, 0.0 if difficulty is None else difficulty))
    specs = [(s.id, tuple(s.prerequisites), s.mastery, items.get(s.id, [])) for s in manifest.skills]
    return Graph(name, manifest.id, built.path, tuple(with_depths(specs)), raw)


def write_generated_source(dest: Path, seed: int = 7, skill_count: int = 12, items_per_skill: int = 8) -> Path:
    """A pack source folder: skills s00..s11 with a prerequisite DAG, mixed formats, authored difficulties."""
    rng = random.Random(seed)
    (dest / "practice").mkdir(parents=True, exist_ok=True)
    skills, items = [], []
    for k in range(skill_count):
        earlier = [f"s{j:02d}" for j in range(max(0, k - 4), k)]
        prereqs = sorted(rng.sample(earlier, min(len(earlier), rng.randint(1, 2)))) if k else []
        skill = {"id": f"s{k:02d}", "title": f"Generated skill {k}", "prerequisites": prereqs}
        rule = rng.choice(GENERATED_RULES)
        if rule:
            skill["mastery"] = rule
        skills.append(skill)
        kinds = GENERATED_KINDS[:]
        rng.shuffle(kinds)
        for n, kind in enumerate(kinds[:items_per_skill]):
            items.append(_generated_item(rng, f"s{k:02d}-i{n}", f"s{k:02d}", kind))
    pack = {"format": 1, "id": GENERATED_ID, "version": "1.0.0", "title": "Simulated skill graph",
            "language": "en", "licence": "CC0-1.0", "authors": ["Lantern bench"],
            "description": "A generated skill graph for the learning simulator.", "subjects": ["mathematics"],
            "skills": skills,
            "units": [{"id": "all", "title": "All skills", "lessons": [],
                       "practice": [{"file": "practice/items.yaml"}]}]}
    (dest / "pack.yaml").write_text(yaml.safe_dump(pack, sort_keys=False))
    (dest / "practice" / "items.yaml").write_text(yaml.safe_dump({"items": items}, sort_keys=False))
    return dest


def _generated_item(rng: random.Random, item_id: str, skill_id: str, kind: str) -> dict:
    a, b = rng.randint(2, 40), rng.randint(2, 40)
    item = {"id": item_id, "kind": kind, "skill": skill_id, "difficulty": round(rng.gauss(0, 1) * 2) / 2,
            "prompt": f"Question {item_id}: what is {a} + {b}?"}
    if kind == "single":
        wrong = rng.sample([n for n in range(a + b - 9, a + b + 10) if n != a + b], rng.randint(2, 4))
        answers = [{"text": str(a + b), "weight": 1.0, "feedback": None}]
        answers += [{"text": str(n), "weight": 0, "feedback": "Add again."} for n in wrong]
        rng.shuffle(answers)
        item["answers"] = answers
    elif kind == "truefalse":
        truth = rng.random() < 0.5
        item["prompt"] = f"True or false: {a} + {b} = {a + b if truth else a + b + 1}."
        item["answers"] = [{"value": True, "weight": 1.0 if truth else 0, "feedback": None},
                           {"value": False, "weight": 0 if truth else 1.0, "feedback": None}]
    elif kind == "numeric":
        item["answers"] = [{"value": a + b, "tolerance": 0, "weight": 1.0, "feedback": None}]
    elif kind == "short":
        item["prompt"] = f"Question {item_id}: type the word for the sum of {a} and {b}."
        item["answers"] = [{"text": f"sum{a + b}", "weight": 1.0, "feedback": None}]
    else:  # multiple: two right of four or five
        item["prompt"] = f"Question {item_id}: choose every sum equal to {a + b}."
        answers = [{"text": f"{a} + {b}", "weight": 0.5, "feedback": None},
                   {"text": f"{b} + {a}", "weight": 0.5, "feedback": None}]
        answers += [{"text": f"{a} + {b + n}", "weight": -0.5, "feedback": "Check the sum."}
                    for n in range(1, rng.randint(3, 4))]
        rng.shuffle(answers)
        item["answers"] = answers
    return item

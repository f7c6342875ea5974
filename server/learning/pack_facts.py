"""What the learning rules need to know about an installed pack, read once per pack version.

Skills (title, prerequisites, the pack's minimum rule, how many practice items and of which formats) and items
(format, number of options, authored difficulty). A pack version never changes once installed, so these are
kept in memory keyed by the version (and its import time, since SQLite may reuse a removed version's row id).
"""
from dataclasses import dataclass

from server.learning import mastery
from server.models import Item, PackVersion, Skill

NOT_PRACTISED = ("essay", "description")  # never offered as practice questions
UNKNOWN_ITEM = mastery.Evidence(guess=0.25, slip=0.1)  # an item the active pack version no longer has
_CACHE_MAX = 64


@dataclass(frozen=True)
class ItemFacts:
    """One practice item as the mastery model sees it."""

    item_id: str
    skill_id: str | None
    kind: str
    options: int  # choices offered (single, multiple, truefalse, fill with choices) or pairs (matching); 0 if typed
    difficulty: float  # as the author set it (0 when unset)


@dataclass(frozen=True)
class SkillFacts:
    """One skill of a pack version."""

    skill_id: str
    title: str
    prerequisites: tuple[str, ...]
    rule: dict | None  # the pack's own minimum rule, if any
    item_count: int  # practice items (essays and descriptions excluded)
    kinds: frozenset  # the formats of those items
    typical: mastery.Evidence = UNKNOWN_ITEM  # its middle item's evidence by guess (for "N more right answers")

    @property
    def weak_evidence(self) -> str:
        """Why mastery of this skill is weak evidence: "truefalse" (only true/false questions), "one_item"
        (a single question), or "" when its questions can tell."""
        if self.item_count and self.kinds == {"truefalse"}:
            return "truefalse"
        return "one_item" if self.item_count == 1 else ""


@dataclass(frozen=True)
class PackFacts:
    """A pack version's skills (in pack order) and practice items."""

    pack_id: str
    skills: tuple[SkillFacts, ...]
    items: dict  # item id -> ItemFacts

    def skill(self, skill_id: str | None) -> SkillFacts | None:
        """A skill by id, or None (e.g. a skill a newer version dropped)."""
        return next((s for s in self.skills if s.skill_id == skill_id), None)

    def dependents(self, skill_id: str) -> list[SkillFacts]:
        """The skills that list this one as a prerequisite."""
        return [s for s in self.skills if skill_id in s.prerequisites]


_cache: dict[tuple, PackFacts] = {}


def facts_for(pack: PackVersion) -> PackFacts:
    """The facts of a pack version (read from the database once per version)."""
    key = (pack.id, pack.pack_id, pack.version, pack.imported_at)
    cached = _cache.get(key)
    if cached is None:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        cached = _cache[key] = _read(pack)
    return cached


def active_facts(pack_id: str) -> PackFacts | None:
    """The facts of a pack's active version, or None when the pack is not installed."""
    pack = (PackVersion.select(PackVersion.id, PackVersion.pack_id, PackVersion.version, PackVersion.imported_at)
            .where((PackVersion.pack_id == pack_id) & PackVersion.is_active).first())
    return facts_for(pack) if pack else None


def option_count(kind: str, data: dict) -> int:
    """How many options a learner chooses from (0 for typed answers)."""
    if kind == "truefalse":
        return 2
    if kind == "matching":
        return len(data.get("pairs") or ())
    if kind in ("single", "multiple") or (kind == "fill" and data.get("input") == "choice"):
        return len(data.get("answers") or ())
    return 0


def _typical(items: list[ItemFacts]) -> mastery.Evidence:
    """The authored evidence of a skill's middle item by how easily it is guessed (middling for no items)."""
    evidences = sorted((mastery.item_evidence(i.kind, i.options, i.difficulty) for i in items), key=lambda e: e.guess)
    return evidences[len(evidences) // 2] if evidences else UNKNOWN_ITEM


def _read(pack: PackVersion) -> PackFacts:
    items = {}
    for row in Item.select(Item.item_id, Item.skill_id, Item.kind, Item.difficulty, Item.data).where(
            (Item.pack_version == pack.id) & Item.kind.not_in(NOT_PRACTISED)):
        items[row.item_id] = ItemFacts(row.item_id, row.skill_id, row.kind, option_count(row.kind, row.data or {}),
                                       float(row.difficulty or 0.0))
    skills = []
    for row in Skill.select().where(Skill.pack_version == pack.id).order_by(Skill.position):
        mine = [i for i in items.values() if i.skill_id == row.skill_id]
        skills.append(SkillFacts(row.skill_id, row.title, tuple(row.prerequisites or ()), row.mastery,
                                 len(mine), frozenset(i.kind for i in mine), _typical(mine)))
    return PackFacts(pack.pack_id, tuple(skills), items)

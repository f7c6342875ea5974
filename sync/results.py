"""Results across schools on the hub, derived from the events the hub received (never from summaries).

The overview counts per school in SQL; one school's table (class × skill) reads that school's
answer and mastery events once, streaming, and groups them by the learner's class as the roster
records the school sent say.
"""
from dataclasses import dataclass, field

from peewee import fn

from server.errors import NotFound
from server.models import HubSchool, ReceivedEvent
from server.models.sync_pull import HubRecord

NO_CLASS = ""


@dataclass
class SchoolTotals:
    school: HubSchool
    answers: int = 0
    masteries: int = 0
    learners: int = 0


@dataclass
class Row:
    class_name: str
    pack_id: str
    skill_id: str
    answers: int = 0
    correct: int = 0
    mastered: set = field(default_factory=set)

    @property
    def share_correct(self) -> int:
        """Percent of answers that were correct (0 when none)."""
        return round(100 * self.correct / self.answers) if self.answers else 0


def overview() -> list[SchoolTotals]:
    """Every school with its answers, masteries and learners seen (three grouped counts)."""
    totals = {s.id: SchoolTotals(s) for s in HubSchool.select().order_by(HubSchool.name)}
    for school_id, kind, count in (ReceivedEvent.select(ReceivedEvent.school_id, ReceivedEvent.kind, fn.COUNT(1))
                                   .where(ReceivedEvent.kind.in_(["answer", "mastered"]))
                                   .group_by(ReceivedEvent.school_id, ReceivedEvent.kind).tuples()):
        if school_id in totals:
            setattr(totals[school_id], "answers" if kind == "answer" else "masteries", count)
    for school_id, count in (ReceivedEvent.select(ReceivedEvent.school_id,
                                                  fn.COUNT(ReceivedEvent.learner_id.distinct()))
                             .group_by(ReceivedEvent.school_id).tuples()):
        if school_id in totals:
            totals[school_id].learners = count
    return list(totals.values())


def school_results(school_id: str) -> tuple[HubSchool, list[Row]]:
    """One school's results per class and skill: answers, share correct, learners who mastered it."""
    school = HubSchool.get_or_none(HubSchool.id == school_id)
    if school is None:
        raise NotFound("No such school on this hub.")
    class_names, learner_class = {}, {}
    for row in HubRecord.select(HubRecord.kind, HubRecord.id, HubRecord.data, HubRecord.deleted).where(
            (HubRecord.school_id == school_id) & HubRecord.kind.in_(["class", "account"])):
        if row.kind == "class":
            class_names[row.id] = row.data.get("name", "")
        elif row.data.get("classroom_id"):
            learner_class[row.id] = row.data["classroom_id"]
    rows: dict[tuple, Row] = {}
    query = (ReceivedEvent.select(ReceivedEvent.learner_id, ReceivedEvent.kind, ReceivedEvent.payload)
             .where((ReceivedEvent.school_id == school_id)
                    & ReceivedEvent.kind.in_(["answer", "mastered", "mastery_lost"]))
             .order_by(ReceivedEvent.created_at, ReceivedEvent.id).tuples().iterator())
    for learner_id, kind, payload in query:
        payload = ReceivedEvent.payload.python_value(payload) if isinstance(payload, str) else payload
        if not isinstance(payload, dict) or not payload.get("skill_id"):
            continue
        name = class_names.get(learner_class.get(learner_id), NO_CLASS)
        key = (name, str(payload.get("pack_id", "")), str(payload["skill_id"]))
        row = rows.get(key) or rows.setdefault(key, Row(*key))
        if kind == "answer":
            row.answers += 1
            row.correct += 1 if payload.get("correct") else 0
        elif kind == "mastered":
            row.mastered.add(learner_id)
        else:  # mastery_lost: the skill went back to refresh
            row.mastered.discard(learner_id)
    return school, [rows[k] for k in sorted(rows)]

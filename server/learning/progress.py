"""Recording learner events and deriving progress from them.

`record_event` writes the event and every summary it changes in one transaction; an
event id seen before changes nothing (a double submit or a repeated sync counts once).
`rebuild_all` replays every event in order and must give identical summaries.
"""
from collections import OrderedDict
from datetime import datetime

from server.learning import event_kinds, learner_model, pack_facts, skill_fold
from server import identity
from server.db import database
from server.errors import InvalidInput
from server.i18n import N_
from server.ids import is_uuid, uuid7
from server.models import (DERIVED_MODELS, Answer, Event, ItemStat, LearnerStat, LessonProgress,
                           Outbox, PackVersion, Skill, SkillState)
from server.models.base import utcnow

KINDS = {"answer", "lesson_opened", "lesson_finished", "goal_set", "reflection", "mastered", "mastery_lost",
         "erased", "post", "post_deleted", "handed_in", "work_reviewed",
         "coach_reply"}
FOLLOW_UPS = ("mastered", "mastery_lost")  # written by the fold itself, so a rebuild does not replay them


def record_event(learner_id: str, kind: str, payload: dict, *, event_id: str | None = None,
                 device_id: str | None = None, at: datetime | None = None) -> tuple[Event, bool]:
    """Store one event made on this device, update what derives from it and queue it for sync;
    return (event, was it new)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown event kind {kind!r}")
    event_id = event_id or uuid7()
    if not is_uuid(event_id):
        raise InvalidInput(N_("This form has expired. Please open the question again."))
    with database.atomic():
        device_id = device_id or identity.device_id()
        existing = Event.get_or_none(Event.id == event_id)
        if existing is not None:
            if existing.learner_id != learner_id:
                raise InvalidInput(N_("This form has expired. Please open the question again."))
            return existing, False
        event = Event(id=event_id, device_id=device_id, learner_id=learner_id, kind=kind, payload=payload,
                      created_at=at or utcnow())
        follow_ups = apply_event(event)  # first: an answer's payload gains the model's prediction
        event.save(force_insert=True)
        Outbox.create(event_id=event.id)
        for follow_kind, follow_payload in follow_ups:
            follow_up = Event.create(id=uuid7(), device_id=device_id, learner_id=learner_id, kind=follow_kind,
                                     payload=follow_payload, created_at=event.created_at)
            Outbox.create(event_id=follow_up.id)
    return event, True


_OPENED: OrderedDict = OrderedDict()  # lessons this process has seen opened: (database, learner, pack, lesson)
OPENED_KEPT = 5000  # about 1 MB; the oldest are forgotten first


def note_lesson_opened(learner_id: str, pack_id: str, lesson_id: str) -> None:
    """Record the first opening of a lesson by a learner (later visits add nothing).

    Decisions: a lesson once opened stays opened (events are never taken back, and an erased learner can no
    longer sign in), so this process remembers what it has seen opened and a learner going back to a lesson
    costs no query. Another worker reads it once itself."""
    key = (database.database, learner_id, pack_id, lesson_id)
    if key in _OPENED:
        _OPENED.move_to_end(key)
        return
    seen = LessonProgress.get_or_none((LessonProgress.learner_id == learner_id) & (LessonProgress.pack_id == pack_id)
                                      & (LessonProgress.lesson_id == lesson_id))
    if seen is None or seen.opened_at is None:
        record_event(learner_id, "lesson_opened", {"pack_id": pack_id, "lesson_id": lesson_id})
    _OPENED[key] = True
    if len(_OPENED) > OPENED_KEPT:
        _OPENED.popitem(last=False)


def apply_event(event: Event) -> list[tuple[str, dict]]:
    """Update the derived tables for one event; return the follow-up events it causes (mastery gained or
    lost), as (kind, payload)."""
    payload = event.payload
    if event.kind in ("lesson_opened", "lesson_finished"):
        row, _ = LessonProgress.get_or_create(learner_id=event.learner_id, pack_id=payload["pack_id"],
                                              lesson_id=payload["lesson_id"])
        field = "opened_at" if event.kind == "lesson_opened" else "finished_at"
        if getattr(row, field) is None:
            setattr(row, field, event.created_at)
            _save(row, LessonProgress, learner_id=row.learner_id, pack_id=row.pack_id, lesson_id=row.lesson_id)
    elif event.kind == "answer":
        return _apply_answer(event)
    elif event.kind == "mastered" and "model" not in payload:
        _apply_legacy_mastery(event)
    elif event.kind not in FOLLOW_UPS:
        apply = event_kinds.appliers().get(event.kind)
        if apply is not None:
            apply(event)
    return []


def _save(row, model, **key) -> None:
    """Save a row of a table without a primary key, by its unique key."""
    data = {f: getattr(row, f) for f in model._meta.fields}
    query = model.update(**data)
    for name, value in key.items():
        query = query.where(getattr(model, name) == value)
    query.execute()


def _answer_row(event_id: str, learner_id: str, p: dict, at: datetime) -> dict:
    """The Answer row for an answer event."""
    return {"event_id": event_id, "learner_id": learner_id, "pack_id": p["pack_id"], "item_id": p["item_id"],
            "skill_id": p.get("skill_id"), "is_correct": bool(p["correct"]), "score": float(p.get("score", 0)),
            "response": str(p.get("response", ""))[:500], "answered_at": at}


def _apply_answer(event: Event) -> list[tuple[str, dict]]:
    p = event.payload
    correct, at = bool(p["correct"]), event.created_at
    Answer.insert(**_answer_row(event.id, event.learner_id, p, at)).on_conflict_ignore().execute()
    facts = pack_facts.active_facts(p["pack_id"])
    item_facts = facts.items.get(p["item_id"]) if facts else None
    learner, _ = LearnerStat.get_or_create(learner_id=event.learner_id)
    item = ItemStat.get_or_none((ItemStat.pack_id == p["pack_id"]) & (ItemStat.item_id == p["item_id"]))
    if item is None:
        item = ItemStat.create(pack_id=p["pack_id"], item_id=p["item_id"], difficulty=_authored(item_facts))
    follow_ups = []
    if p.get("skill_id"):
        states = _LiveStates(event.learner_id, p["pack_id"])
        if item_facts is not None and "predicted" not in p:  # kept to check the model later (bench.learning_sim)
            p["predicted"] = round(skill_fold.predicted(states.get(p["skill_id"], False), item_facts, item, at), 4)
        follow_ups = skill_fold.fold_answer(states.get, facts, item_facts, item, p["skill_id"], p["item_id"],
                                            correct, at)
        states.save()
    _fold_answer(learner, item, correct, at)
    learner.save()
    _save(item, ItemStat, pack_id=item.pack_id, item_id=item.item_id)
    return follow_ups


def _authored(item_facts) -> float:
    """An item's starting difficulty: the author's, until answers move it."""
    return item_facts.difficulty if item_facts else 0.0


def _fold_answer(learner: LearnerStat, item: ItemStat, correct: bool, at: datetime) -> None:
    """One answer's effect on the learner's and the item's stats (live and in `rebuild_all` alike)."""
    learner.ability, item.difficulty = learner_model.update(learner.ability, item.difficulty,
                                                            item.attempts, correct)
    item.attempts, item.correct = item.attempts + 1, item.correct + int(correct)
    learner.answers, learner.correct, learner.last_active = learner.answers + 1, learner.correct + int(correct), at


class _LiveStates:
    """A learner's skill states of one pack, read from the database as the fold asks, saved together."""

    def __init__(self, learner_id: str, pack_id: str):
        self.learner_id, self.pack_id, self.touched, self.absent = learner_id, pack_id, {}, set()

    def get(self, skill_id: str, create: bool) -> SkillState | None:
        """The state of a skill (made when `create`), remembered to be saved."""
        if skill_id not in self.touched:
            state = None
            if skill_id not in self.absent:
                state = SkillState.get_or_none((SkillState.learner_id == self.learner_id)
                                               & (SkillState.pack_id == self.pack_id)
                                               & (SkillState.skill_id == skill_id))
            if state is None:
                self.absent.add(skill_id)
            if state is None and create:
                state = SkillState.create(learner_id=self.learner_id, pack_id=self.pack_id, skill_id=skill_id)
            if state is None:
                return None
            self.touched[skill_id] = state
        return self.touched[skill_id]

    def save(self) -> None:
        """Write every state the fold touched."""
        for skill_id, state in self.touched.items():
            _save(state, SkillState, learner_id=self.learner_id, pack_id=self.pack_id, skill_id=skill_id)


def _apply_legacy_mastery(event: Event) -> None:
    p = event.payload
    states = _LiveStates(event.learner_id, p.get("pack_id", ""))
    state = states.get(p.get("skill_id", ""), True)
    skill_fold.honour_legacy_mastery(state, event.created_at)
    states.save()


REBUILD_BATCH = 500  # rows per INSERT: well under SQLite's limit on bound variables


def rebuild_all() -> int:
    """Recompute every derived table from the event log; return the number of events replayed.

    Lessons and answers are replayed in memory with the same fold functions as live events
    (`_fold_answer`, `skill_fold.fold_answer`), then each derived table is written with batched INSERTs;
    other kinds go through `apply_event`. All in one transaction: a failed rebuild changes nothing.
    """
    count = 0
    learners: dict[str, LearnerStat] = {}
    items: dict[tuple, ItemStat] = {}
    states: dict[tuple, SkillState] = {}
    lessons: dict[tuple, LessonProgress] = {}
    answers: list[dict] = []
    with database.atomic():
        for model in DERIVED_MODELS:
            model.delete().execute()
        event_kinds.clear_all()
        names = list(Event._meta.fields)
        events = (Event.select().where(Event.kind != "mastery_lost").order_by(Event.created_at, Event.id)
                  .dicts().iterator())
        facts: dict[str, pack_facts.PackFacts | None] = {}
        for event in events:
            event_id, learner_id, kind = event["id"], event["learner_id"], event["kind"]
            payload, at = event["payload"], event["created_at"]
            count += kind not in FOLLOW_UPS
            if kind == "answer":
                answers.append(_answer_row(event_id, learner_id, payload, at))
                if len(answers) >= REBUILD_BATCH:
                    _insert_rows(Answer, answers)
                    answers = []
                correct, pack_id = bool(payload["correct"]), payload["pack_id"]
                if pack_id not in facts:
                    facts[pack_id] = pack_facts.active_facts(pack_id)
                item_facts = facts[pack_id].items.get(payload["item_id"]) if facts[pack_id] else None
                learner = learners.get(learner_id) or learners.setdefault(learner_id, LearnerStat(learner_id=learner_id))
                key = (pack_id, payload["item_id"])
                item = items.get(key) or items.setdefault(key, _new_item_stat(key, item_facts))
                if payload.get("skill_id"):
                    skill_fold.fold_answer(_memory_states(states, learner_id, pack_id), facts[pack_id], item_facts,
                                           item, payload["skill_id"], payload["item_id"], correct, at)
                _fold_answer(learner, item, correct, at)
            elif kind == "mastered":
                if "model" not in payload:
                    get_state = _memory_states(states, learner_id, payload.get("pack_id", ""))
                    skill_fold.honour_legacy_mastery(get_state(payload.get("skill_id", ""), True), at)
            elif kind in ("lesson_opened", "lesson_finished"):
                key = (learner_id, payload["pack_id"], payload["lesson_id"])
                row = lessons.get(key) or lessons.setdefault(
                    key, LessonProgress(learner_id=key[0], pack_id=key[1], lesson_id=key[2]))
                field = "opened_at" if kind == "lesson_opened" else "finished_at"
                if getattr(row, field) is None:
                    setattr(row, field, at)
            else:
                apply_event(Event(**{name: event[name] for name in names}))
        _insert_rows(Answer, answers)
        for model, rows in ((LearnerStat, learners), (ItemStat, items), (SkillState, states),
                            (LessonProgress, lessons)):
            fields = list(model._meta.fields)
            _insert_rows(model, [{f: getattr(row, f) for f in fields} for row in rows.values()])
    return count


def _new_item_stat(key: tuple, item_facts) -> ItemStat:
    return ItemStat(pack_id=key[0], item_id=key[1], difficulty=_authored(item_facts), attempts=0, correct=0,
                    guess_weight=0.0, guess_excess=0.0, slip_weight=0.0, slip_excess=0.0)


def _memory_states(states: dict, learner_id: str, pack_id: str):
    """The fold's `get_state` over the rebuild's in-memory states."""
    def get(skill_id: str, create: bool) -> SkillState | None:
        key = (learner_id, pack_id, skill_id)
        if key not in states and create:
            states[key] = SkillState(learner_id=learner_id, pack_id=pack_id, skill_id=skill_id, attempts=0,
                                     correct=0, streak=0, wrong_streak=0, recent=[], evidence={})
        return states.get(key)
    return get


def _insert_rows(model, rows: list[dict]) -> None:
    """INSERT rows (dicts by field name) into an emptied table, in batches of one prepared statement
    (peewee's insert_many spent most of a rebuild building SQL text); values converted by each field."""
    fields = list(model._meta.fields.values())
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join([database.param] * len(fields))
    sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'
    for start in range(0, len(rows), REBUILD_BATCH):
        values = [tuple(f.db_value(row[f.name]) for f in fields) for row in rows[start:start + REBUILD_BATCH]]
        database.cursor().executemany(sql, values)

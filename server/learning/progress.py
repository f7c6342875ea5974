"""Recording learner events and deriving progress from them.

`record_event` writes the event and every summary it changes in one transaction; an
event id seen before changes nothing (a double submit or a repeated sync counts once).
`rebuild_all` replays every event in order and must give identical summaries.
"""
from datetime import datetime

from server.learning import event_kinds, learner_model, mastery, review
from server import identity
from server.db import database
from server.errors import InvalidInput
from server.i18n import N_
from server.ids import is_uuid, uuid7
from server.models import (DERIVED_MODELS, Answer, Event, ItemStat, LearnerStat, LessonProgress,
                           Outbox, PackVersion, Skill, SkillState)
from server.models.base import utcnow

KINDS = {"answer", "lesson_opened", "lesson_finished", "goal_set", "reflection", "mastered", "erased",
         "post", "post_deleted", "handed_in", "work_reviewed"}


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
        event = Event.create(id=event_id, device_id=device_id, learner_id=learner_id, kind=kind,
                             payload=payload, created_at=at or utcnow())
        Outbox.create(event_id=event.id)
        follow_up = apply_event(event)
        if follow_up:
            mastered = Event.create(id=uuid7(), device_id=device_id, learner_id=learner_id, kind="mastered",
                                    payload=follow_up, created_at=event.created_at)
            Outbox.create(event_id=mastered.id)
    return event, True


def note_lesson_opened(learner_id: str, pack_id: str, lesson_id: str) -> None:
    """Record the first opening of a lesson by a learner (later visits add nothing)."""
    seen = LessonProgress.get_or_none((LessonProgress.learner_id == learner_id) & (LessonProgress.pack_id == pack_id)
                                      & (LessonProgress.lesson_id == lesson_id))
    if seen is None or seen.opened_at is None:
        record_event(learner_id, "lesson_opened", {"pack_id": pack_id, "lesson_id": lesson_id})


def apply_event(event: Event) -> dict | None:
    """Update the derived tables for one event; return a 'mastered' payload if it just happened."""
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
    else:
        apply = event_kinds.appliers().get(event.kind)
        if apply is not None:
            apply(event)
    return None


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


def _apply_answer(event: Event) -> dict | None:
    p = event.payload
    correct, at = bool(p["correct"]), event.created_at
    Answer.insert(**_answer_row(event.id, event.learner_id, p, at)).on_conflict_ignore().execute()
    learner, _ = LearnerStat.get_or_create(learner_id=event.learner_id)
    item, _ = ItemStat.get_or_create(pack_id=p["pack_id"], item_id=p["item_id"])
    _fold_answer(learner, item, correct, at)
    learner.save()
    _save(item, ItemStat, pack_id=item.pack_id, item_id=item.item_id)
    if p.get("skill_id"):
        return _apply_skill(event.learner_id, p["pack_id"], p["skill_id"], correct, at)
    return None


def _fold_answer(learner: LearnerStat, item: ItemStat, correct: bool, at: datetime) -> None:
    """One answer's effect on the learner's and the item's stats (live and in `rebuild_all` alike)."""
    learner.ability, item.difficulty = learner_model.update(learner.ability, item.difficulty,
                                                            item.attempts, correct)
    item.attempts, item.correct = item.attempts + 1, item.correct + int(correct)
    learner.answers, learner.correct, learner.last_active = learner.answers + 1, learner.correct + int(correct), at


def _apply_skill(learner_id: str, pack_id: str, skill_id: str, correct: bool, at: datetime) -> dict | None:
    state, _ = SkillState.get_or_create(learner_id=learner_id, pack_id=pack_id, skill_id=skill_id)
    just_mastered = _fold_skill(state, skill_rule(pack_id, skill_id), correct, at)
    _save(state, SkillState, learner_id=learner_id, pack_id=pack_id, skill_id=skill_id)
    return just_mastered


def _fold_skill(state: SkillState, rule: dict | None, correct: bool, at: datetime) -> dict | None:
    """One answer's effect on a skill state; the 'mastered' payload if it was just mastered."""
    state.attempts += 1
    state.correct += int(correct)
    state.streak = state.streak + 1 if correct else 0
    state.wrong_streak = 0 if correct else state.wrong_streak + 1
    state.recent = (state.recent + [int(correct)])[-mastery.RECENT_KEPT:]
    state.last_answer_at = at
    just_mastered = None
    if state.mastered_at is None and mastery.is_mastered(state.recent, rule):
        state.mastered_at = at
        state.review_card, state.review_due = review.start_reviews(at)
        just_mastered = {"pack_id": state.pack_id, "skill_id": state.skill_id}
    elif state.review_card and review.is_due(state.review_due, at):
        state.review_card, state.review_due = review.review(state.review_card, correct, at)
    return just_mastered


def skill_rule(pack_id: str, skill_id: str) -> dict | None:
    """The mastery rule the active pack version sets for a skill (None: the default)."""
    skill = (Skill.select(Skill.mastery).join(PackVersion)
             .where((PackVersion.pack_id == pack_id) & PackVersion.is_active & (Skill.skill_id == skill_id))
             .first())
    return skill.mastery if skill else None


REBUILD_BATCH = 500  # rows per INSERT: well under SQLite's limit on bound variables


def rebuild_all() -> int:
    """Recompute every derived table from the event log; return the number of events replayed.

    Lessons and answers are replayed in memory with the same fold functions as live events
    (`_fold_answer`, `_fold_skill`), then each derived table is written with batched INSERTs;
    other kinds go through `apply_event`. All in one transaction: a failed rebuild changes nothing.
    """
    count = 0
    learners: dict[str, LearnerStat] = {}
    items: dict[tuple, ItemStat] = {}
    states: dict[tuple, SkillState] = {}
    lessons: dict[tuple, LessonProgress] = {}
    rules: dict[tuple, dict | None] = {}
    answers: list[dict] = []
    with database.atomic():
        for model in DERIVED_MODELS:
            model.delete().execute()
        event_kinds.clear_all()
        names = list(Event._meta.fields)
        events = (Event.select().where(Event.kind != "mastered").order_by(Event.created_at, Event.id)
                  .dicts().iterator())
        for event in events:
            event_id, learner_id, kind = event["id"], event["learner_id"], event["kind"]
            payload, at = event["payload"], event["created_at"]
            count += 1
            if kind == "answer":
                answers.append(_answer_row(event_id, learner_id, payload, at))
                if len(answers) >= REBUILD_BATCH:
                    _insert_rows(Answer, answers)
                    answers = []
                correct, pack_id = bool(payload["correct"]), payload["pack_id"]
                learner = learners.get(learner_id) or learners.setdefault(learner_id, LearnerStat(learner_id=learner_id))
                key = (pack_id, payload["item_id"])
                item = items.get(key) or items.setdefault(key, ItemStat(pack_id=key[0], item_id=key[1]))
                _fold_answer(learner, item, correct, at)
                skill_id = payload.get("skill_id")
                if skill_id:
                    key = (learner_id, pack_id, skill_id)
                    state = states.get(key) or states.setdefault(
                        key, SkillState(learner_id=learner_id, pack_id=pack_id, skill_id=skill_id))
                    if (pack_id, skill_id) not in rules:
                        rules[(pack_id, skill_id)] = skill_rule(pack_id, skill_id)
                    _fold_skill(state, rules[(pack_id, skill_id)], correct, at)
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

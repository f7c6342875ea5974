"""Generated learner events in a data folder's SQLite, for `lantern rebuild` and sync benchmarks.

A first sample goes through `server.learning.progress.record_event`, exactly as the pages record them (derived
tables, a sync outbox row). The rest are bulk-inserted with `Event.insert_many` with the same payloads
and time-ordered UUIDv7 ids; `outbox=True` adds their outbox rows too (events waiting for the hub).

The mix: 75 % answers on the demo packs' real items (right with each learner's own probability),
12 % lesson opened, 8 % lesson finished, 3 % weekly goals, 2 % unit reflections; a few a day per learner
over the past months.
"""
import json
import os
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

KIND_WEIGHTS = (("answer", 75), ("lesson_opened", 12), ("lesson_finished", 8), ("goal_set", 3), ("reflection", 2))
BATCH = 1000


@dataclass(frozen=True)
class Catalogue:
    """What events can be about: (pack, item, skill, version) and (pack, lesson) and (pack, unit)."""

    items: list[tuple[str, str, str | None, str]]
    lessons: list[tuple[str, str]]
    units: list[tuple[str, str]]


def catalogue() -> Catalogue:
    """The active packs' items, lessons and units (database already open)."""
    from server.models import Item, Lesson, PackVersion, Unit

    active = PackVersion.is_active
    items = [(i.pack_version.pack_id, i.item_id, i.skill_id, i.pack_version.version)
             for i in Item.select(Item, PackVersion).join(PackVersion).where(active)
             if i.kind not in ("essay", "description")]
    lessons = [(l.pack_version.pack_id, l.lesson_id) for l in Lesson.select(Lesson, PackVersion).join(PackVersion)
               .where(active)]
    units = [(u.pack_version.pack_id, u.unit_id) for u in Unit.select(Unit, PackVersion).join(PackVersion)
             .where(active)]
    return Catalogue(items, lessons, units)


def uuid7_at(millis: int, rng: random.Random) -> str:
    """A UUIDv7 for a given time (as server.ids.uuid7 makes them, with a seeded random part)."""
    rand = rng.getrandbits(80)
    value = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | (rand & (2**62 - 1))
    return str(uuid.UUID(int=value))


def event_stream(count: int, learner_ids: list[str], cat: Catalogue, seed: int = 3, days: int = 120):
    """(id, learner id, kind, payload, created_at) in time order, `count` of them."""
    rng = random.Random(seed)
    kinds, weights = zip(*KIND_WEIGHTS)
    skill_chance = {lid: rng.uniform(0.55, 0.95) for lid in learner_ids}
    start = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0) - timedelta(days=days)
    step = timedelta(days=days) / max(1, count)
    for n in range(count):
        at = start + step * n
        learner = rng.choice(learner_ids)
        kind = rng.choices(kinds, weights)[0]
        if kind == "answer":
            pack_id, item_id, skill_id, version = rng.choice(cat.items)
            correct = rng.random() < skill_chance[learner]
            payload = {"pack_id": pack_id, "item_id": item_id, "skill_id": skill_id, "correct": correct,
                       "score": 1.0 if correct else 0.0, "response": json.dumps({"answer": str(rng.randint(0, 3))}),
                       "version": version}
        elif kind in ("lesson_opened", "lesson_finished"):
            pack_id, lesson_id = rng.choice(cat.lessons)
            payload = {"pack_id": pack_id, "lesson_id": lesson_id}
        elif kind == "goal_set":
            payload = {"weekly_answers": rng.choice((20, 30, 50))}
        else:
            pack_id, unit_id = rng.choice(cat.units)
            payload = {"pack_id": pack_id, "unit_id": unit_id, "text": "I learned to share a chapati fairly."}
        yield uuid7_at(int(at.timestamp() * 1000), rng), learner, kind, payload, at


def generate_events(count: int, learner_ids: list[str], *, sample: int = 2000, outbox: bool = False,
                    seed: int = 3) -> dict:
    """Write `count` events into the open database; {"recorded": via record_event, "inserted": bulk}."""
    from server import identity
    from server.db import database
    from server.models import Event, Outbox
    from server.learning.progress import record_event

    with database.connection_context():
        cat, device = catalogue(), identity.device_id()
        stream = event_stream(count, learner_ids, cat, seed)
        recorded = 0
        for event_id, learner, kind, payload, at in stream:
            record_event(learner, kind, payload, event_id=event_id, at=at)
            recorded += 1
            if recorded >= min(sample, count):
                break
        inserted, batch = 0, []
        for event_id, learner, kind, payload, at in stream:
            batch.append({"id": event_id, "device_id": device, "learner_id": learner, "kind": kind,
                          "payload": payload, "created_at": at, "recorded_at": at})
            if len(batch) >= BATCH:
                inserted += _insert(batch, outbox, Event, Outbox, database)
                batch = []
        if batch:
            inserted += _insert(batch, outbox, Event, Outbox, database)
    return {"recorded": recorded, "inserted": inserted}


def _insert(rows: list[dict], outbox: bool, Event, Outbox, database) -> int:
    with database.atomic():
        Event.insert_many(rows).execute()
        if outbox:
            Outbox.insert_many([{"event_id": r["id"]} for r in rows]).execute()
    return len(rows)


def learner_ids(count: int) -> list[str]:
    """Ids of `count` learner accounts (added with fixtures.add_learners) in the open database."""
    from server.db import database
    from server.models import Account

    with database.connection_context():
        return [a.id for a in Account.select(Account.id).where(Account.role == "learner").limit(count)]


def database_size_mb(data_dir) -> float:
    """The SQLite file plus its WAL, in MB."""
    total = sum(os.path.getsize(p) for p in (data_dir / "lantern.db", data_dir / "lantern.db-wal") if p.exists())
    return round(total / 1e6, 1)

"""A learner's data, theirs: export it (JSON and CSV) and erase it (events included).

Erasure removes every event and summary of the learner here (hand-ins, plans, proposals and the
upload files no one else refers to included), ends their sessions, blanks the account, and leaves one `erased` event (no personal data) so sync erases the learner on the hub.
"""
from pathlib import Path

from server.coaching import buddies, handins, uploads
from server.learning import discussion
from server.people.csv_files import write_csv
from server.db import database
from server.errors import NotFound
from server.i18n import N_
from server.identity import device_id
from server.ids import uuid7
from server.models import (Account, Answer, AuditEntry, Event, LearnerStat, LessonProgress, Outbox,
                           Session, SkillState)
from server.models.base import utcnow
from sync.protocol import event_to_wire

EXPORT_FORMAT = 1


def learner(account_id: str) -> Account:
    """A (not erased) learner account, or NotFound."""
    account = Account.get_or_none((Account.id == account_id) & (Account.role == "learner") & ~Account.deleted)
    if account is None:
        raise NotFound(N_("No such learner."))
    return account


def export_learner(account: Account) -> dict:
    """Everything this server holds about a learner, as one JSON-ready document."""
    events = Event.select().where(Event.learner_id == account.id).order_by(Event.created_at, Event.id)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "account": {"id": account.id, "username": account.username, "display_name": account.display_name,
                    "class": account.classroom.name if account.classroom else None, "profile": account.profile},
        "skills": [{"pack": s.pack_id, "skill": s.skill_id, "attempts": s.attempts, "correct": s.correct,
                    "mastered_at": s.mastered_at and s.mastered_at.isoformat(timespec="seconds"),
                    "review_due": s.review_due and s.review_due.isoformat(timespec="seconds"),
                    "chance_known": s.p_known,
                    "refresh_since": s.refresh_at and s.refresh_at.isoformat(timespec="seconds")}
                   for s in SkillState.select().where(SkillState.learner_id == account.id)],
        "events": [event_to_wire(e) for e in events],
        "hand_ins": handins.export_rows(account.id),
        "posts": discussion.posts_of(account.id),
        "study_buddies": buddies.pairs_of(account.id),
    }


def answers_csv(account: Account) -> bytes:
    """A learner's answers as a spreadsheet-safe CSV."""
    rows = [["answered_at", "pack", "item", "skill", "correct", "score", "response"]]
    for a in Answer.select().where(Answer.learner_id == account.id).order_by(Answer.answered_at):
        rows.append([a.answered_at.isoformat(timespec="seconds"), a.pack_id, a.item_id, a.skill_id or "",
                     "yes" if a.is_correct else "no", a.score, a.response])
    return write_csv(rows)


def erase_learner(account: Account, actor: Account, data_dir: Path | None = None) -> int:
    """Erase a learner here and queue the erasure for the hub; return the events removed.
    With `data_dir`, the learner's upload files are deleted too (after the database commit)."""
    with database.atomic():
        orphans = handins.forget_learner(account.id)
        discussion.erase_posts(account.id)
        buddies.erase_pairs(account.id)
        event_ids = [e.id for e in Event.select(Event.id).where(Event.learner_id == account.id)]
        for start in range(0, len(event_ids), 500):
            Outbox.delete().where(Outbox.event_id.in_(event_ids[start:start + 500])).execute()
        removed = Event.delete().where(Event.learner_id == account.id).execute()
        for model in (Answer, SkillState, LessonProgress, LearnerStat):
            model.delete().where(model.learner_id == account.id).execute()
        Session.delete().where(Session.account == account).execute()
        tombstone = Event.create(id=uuid7(), device_id=device_id(), learner_id=account.id, kind="erased",
                                 payload={}, created_at=utcnow())
        Outbox.create(event_id=tombstone.id)
        account.username, account.display_name = f"erased-{account.id[:8]}", "Erased learner"
        account.password_hash, account.profile, account.classroom = None, {}, None
        account.deleted, account.version, account.updated_at = True, account.version + 1, utcnow()
        account.save()
        AuditEntry.create(actor=actor.id, action="erase_learner", detail={"learner": account.id, "events": removed})
    if data_dir is not None:
        uploads.remove_blobs(data_dir, orphans)
    return removed

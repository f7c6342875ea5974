"""What hand-in events derive: `handed_in` adds a HandIn row, `work_reviewed` fills in its review.

Registered with server.learning.event_kinds: `record_event` calls it inside the event's transaction, and
`lantern rebuild` empties the table first and replays.
"""
from server.learning import event_kinds
from server.models.projects import HandIn

KINDS = {"handed_in", "work_reviewed"}


def clear_derived() -> None:
    """Empty the table (before a rebuild replays every event)."""
    HandIn.delete().execute()


@event_kinds.applies_to(*KINDS, clear=clear_derived)
def apply_handin_event(event) -> None:
    """Update the HandIn table for one hand-in event (replaying an event changes nothing)."""
    p = event.payload
    if event.kind == "handed_in":
        upload = p.get("upload") or {}
        HandIn.insert(id=event.id, learner_id=event.learner_id, source=p["source"],
                      project_id=p.get("project_id"), pack_id=p.get("pack_id"), item_id=p.get("item_id"),
                      version=int(p.get("version", 1)), text=str(p.get("text", "")),
                      upload_sha256=upload.get("sha256"), upload_type=upload.get("type"),
                      upload_size=int(upload.get("size", 0)), handed_in_at=event.created_at
                      ).on_conflict_ignore().execute()
    elif event.kind == "work_reviewed":
        (HandIn.update(reviewed_at=event.created_at, reviewer_id=p.get("reviewer_id"),
                       levels=p.get("levels") or {}, feedback=str(p.get("feedback", "")),
                       is_finished=bool(p.get("finished")))
         .where((HandIn.id == p.get("handin_id")) & (HandIn.learner_id == event.learner_id)).execute())


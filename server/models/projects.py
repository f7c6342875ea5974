"""Projects a coach offers (or a learner proposes), a learner's plan for one, and hand-ins.

`Project` and `ProjectPlan` are plain records of this school (not synced). `HandIn` is derived
from the learner's `handed_in` and `work_reviewed` events (server.coaching.handin_events), so it can be
rebuilt from the event log and travels to the hub as those events do.
"""
from peewee import BooleanField, CharField, DateTimeField, IntegerField, TextField

from server.models.base import BaseModel, JSONField, utcnow


class Project(BaseModel):
    """A project on a class's menu; a learner's own proposal waits for the coach's answer."""

    id = CharField(primary_key=True, max_length=36)
    classroom_id = CharField(max_length=36, index=True)
    title = CharField(max_length=120)
    description = TextField(default="")
    criteria = JSONField(default=list)  # rubric criteria, short phrases
    status = CharField(max_length=16, default="offered")  # offered | proposed | accepted | declined
    proposed_by = CharField(max_length=36, null=True, index=True)  # a learner's own proposal
    created_by = CharField(max_length=36)
    created_at = DateTimeField(default=utcnow)
    deleted = BooleanField(default=False)


class ProjectPlan(BaseModel):
    """A learner's checklist of steps for one project."""

    learner_id = CharField(max_length=36)
    project_id = CharField(max_length=36)
    steps = JSONField(default=list)  # [{"text": …, "done": bool}]
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        primary_key = False
        indexes = ((("learner_id", "project_id"), True),)


class HandIn(BaseModel):
    """One version of handed-in work (a project or an open question) and the coach's review of it."""

    id = CharField(primary_key=True, max_length=36)  # the handed_in event's id
    learner_id = CharField(max_length=36, index=True)
    source = CharField(max_length=16)  # project | essay
    project_id = CharField(max_length=36, null=True)
    pack_id = CharField(max_length=64, null=True)
    item_id = CharField(max_length=80, null=True)
    version = IntegerField(default=1)
    text = TextField(default="")
    upload_sha256 = CharField(max_length=64, null=True, index=True)
    upload_type = CharField(max_length=40, null=True)
    upload_size = IntegerField(default=0)
    handed_in_at = DateTimeField()
    reviewed_at = DateTimeField(null=True)
    reviewer_id = CharField(max_length=36, null=True)
    levels = JSONField(default=dict)  # rubric criterion -> level
    feedback = TextField(default="")
    is_finished = BooleanField(default=False)

    class Meta:
        indexes = ((("learner_id", "project_id", "version"), False), (("learner_id", "pack_id", "item_id"), False))


PROJECT_MODELS = [Project, ProjectPlan, HandIn]

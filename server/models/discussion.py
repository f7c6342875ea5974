"""Learning together: questions and answers under a lesson, and study buddies a coach paired.

A `Post` is made from a learner's `post` event (same id) and changed by a `post_deleted` event;
the moderation fields (hidden, helpful, reported) are the coach's, kept beside it. A `StudyPair`
is a coach's decision (a mutable record, not a learner event).
"""
from peewee import BooleanField, CharField, DateTimeField, TextField

from server.models.base import BaseModel, utcnow


class Post(BaseModel):
    """A question on a lesson (parent_id is None) or an answer to one, seen by one class."""

    id = CharField(primary_key=True, max_length=36)  # the id of the `post` event
    classroom_id = CharField(max_length=36)
    pack_id = CharField(max_length=64)
    lesson_id = CharField(max_length=80)
    parent_id = CharField(max_length=36, null=True, index=True)
    author_id = CharField(max_length=36, index=True)
    body = TextField()
    created_at = DateTimeField()
    deleted = BooleanField(default=False)  # by its author (the text is removed)
    hidden = BooleanField(default=False)  # by the coach
    helpful = BooleanField(default=False)  # marked by the coach
    reported_at = DateTimeField(null=True)  # a learner asked the coach to look at it
    reported_by = CharField(max_length=36, null=True)
    moderated_by = CharField(max_length=36, null=True)

    class Meta:
        table_name = "discussion_post"
        indexes = ((("classroom_id", "pack_id", "lesson_id", "created_at"), False),
                   (("classroom_id", "created_at"), False))


class StudyPair(BaseModel):
    """A coach-confirmed pairing: `helper` has mastered a skill `learner` is stuck on."""

    id = CharField(primary_key=True, max_length=36)
    classroom_id = CharField(max_length=36, index=True)
    pack_id = CharField(max_length=64)
    skill_id = CharField(max_length=80)
    helper_id = CharField(max_length=36, index=True)
    learner_id = CharField(max_length=36, index=True)
    created_by = CharField(max_length=36)
    created_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)
    ended_by = CharField(max_length=36, null=True)

    class Meta:
        table_name = "study_pair"


DISCUSSION_MODELS = [Post, StudyPair]

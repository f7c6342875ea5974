"""The learner event log and the summaries derived from it.

`Event` is append-only and is what sync moves. Every other table here is derived from
events and can be rebuilt by `lantern rebuild` (server.learning.progress.rebuild_all).
"""
from peewee import (BooleanField, CharField, DateTimeField, FloatField, IntegerField,
                    TextField)

from server.models.base import BaseModel, JSONField, utcnow


class Event(BaseModel):
    """One immutable learner event. `id` is a time-ordered UUID (uuid7), globally unique."""

    id = CharField(primary_key=True, max_length=36)
    device_id = CharField(max_length=64)
    learner_id = CharField(max_length=36)
    kind = CharField(max_length=32)
    payload = JSONField(default=dict)
    created_at = DateTimeField()  # the device clock when it happened
    recorded_at = DateTimeField(default=utcnow)  # when this database stored it

    class Meta:
        indexes = ((("learner_id", "created_at"), False), (("kind", "created_at"), False))


class LessonProgress(BaseModel):
    learner_id = CharField(max_length=36)
    pack_id = CharField(max_length=64)
    lesson_id = CharField(max_length=80)
    opened_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)

    class Meta:
        primary_key = False
        indexes = ((("learner_id", "pack_id", "lesson_id"), True),)


class SkillState(BaseModel):
    """A learner's standing on one skill: recent answers, the mastery estimate, mastery, review schedule."""

    learner_id = CharField(max_length=36)
    pack_id = CharField(max_length=64)
    skill_id = CharField(max_length=80)
    attempts = IntegerField(default=0)
    correct = IntegerField(default=0)
    streak = IntegerField(default=0)  # correct in a row
    wrong_streak = IntegerField(default=0)
    recent = JSONField(default=list)  # last results, newest last, 1/0
    mastered_at = DateTimeField(null=True)
    review_card = JSONField(null=True)  # FSRS card state
    review_due = DateTimeField(null=True, index=True)
    last_answer_at = DateTimeField(null=True)
    p_known = FloatField(null=True)  # the chance the learner knows the skill, as of estimated_at (mastery.py)
    estimated_at = DateTimeField(null=True)
    refresh_at = DateTimeField(null=True)  # when mastery was taken back (None unless the skill is to refresh)
    evidence = JSONField(default=dict)  # right items, the last item and whether it was missed, a review under way

    class Meta:
        primary_key = False
        indexes = ((("learner_id", "pack_id", "skill_id"), True),)


class ItemStat(BaseModel):
    """Per item: attempts, correct answers and an Elo-style difficulty."""

    pack_id = CharField(max_length=64)
    item_id = CharField(max_length=80)
    attempts = IntegerField(default=0)
    correct = IntegerField(default=0)
    difficulty = FloatField(default=0.0)  # starts at the authored difficulty, then follows the answers (Elo)
    guess_weight = FloatField(default=0.0)  # what the item's own answers say of its guess and slip
    guess_excess = FloatField(default=0.0)  # (mastery.learn_from_answer)
    slip_weight = FloatField(default=0.0)
    slip_excess = FloatField(default=0.0)

    class Meta:
        primary_key = False
        indexes = ((("pack_id", "item_id"), True),)


class LearnerStat(BaseModel):
    """Per learner: the Elo-style ability, answer counts, the weekly goal's progress."""

    learner_id = CharField(max_length=36, primary_key=True)
    ability = FloatField(default=0.0)
    answers = IntegerField(default=0)
    correct = IntegerField(default=0)
    last_active = DateTimeField(null=True)


class Answer(BaseModel):
    """A derived, query-friendly copy of each answer event (for reports and item analysis)."""

    event_id = CharField(max_length=36, primary_key=True)
    learner_id = CharField(max_length=36)
    pack_id = CharField(max_length=64)
    item_id = CharField(max_length=80)
    skill_id = CharField(max_length=80, null=True)
    is_correct = BooleanField()
    score = FloatField()
    response = TextField()  # the learner's answer, as text
    answered_at = DateTimeField()

    class Meta:
        indexes = ((("learner_id", "answered_at"), False), (("pack_id", "item_id"), False))


class Assignment(BaseModel):
    """Work a coach assigned (a lesson or practice on a skill) to a class, group or learner."""

    id = CharField(primary_key=True, max_length=36)
    classroom_id = CharField(max_length=36, index=True)
    target = JSONField()  # {"type": "class"|"group"|"learner", "id": …}
    pack_id = CharField(max_length=64)
    kind = CharField(max_length=16)  # lesson | skill
    ref_id = CharField(max_length=80)
    title = CharField(max_length=200)
    due = DateTimeField(null=True)
    created_by = CharField(max_length=36)
    created_at = DateTimeField(default=utcnow)
    version = IntegerField(default=1)
    deleted = BooleanField(default=False)


LEARNING_MODELS = [Event, LessonProgress, SkillState, ItemStat, LearnerStat, Answer, Assignment]
DERIVED_MODELS = [LessonProgress, SkillState, ItemStat, LearnerStat, Answer]

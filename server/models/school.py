"""People and places: the school, its classes and groups, accounts and sign-in sessions.

Shared records carry `version` (a counter) and `updated_by` (device id) so sync can resolve
them last-writer-wins; deletion is a tombstone (`deleted`), never a row removal.
"""
from peewee import (BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField,
                    TextField)

from server.models.base import BaseModel, JSONField, utcnow


class Versioned(BaseModel):
    """Fields every synced, mutable record has."""

    version = IntegerField(default=1)
    updated_at = DateTimeField(default=utcnow)
    updated_by = CharField(max_length=64, default="")
    deleted = BooleanField(default=False)


class School(Versioned):
    id = CharField(primary_key=True, max_length=36)
    name = CharField(max_length=200)
    language = CharField(max_length=16, default="en")
    is_demo = BooleanField(default=False)


class Classroom(Versioned):
    id = CharField(primary_key=True, max_length=36)
    school = ForeignKeyField(School, backref="classrooms")
    name = CharField(max_length=100)
    pin_length = IntegerField(default=4)  # migration 9: the shortest PIN an admin may give in this class


class Account(Versioned):
    """A learner, coach, admin or hub operator. Learners sign in with a PIN; others with a password."""

    id = CharField(primary_key=True, max_length=36)
    school = ForeignKeyField(School, backref="accounts", null=True)
    username = CharField(max_length=64, unique=True)
    display_name = CharField(max_length=100)
    role = CharField(max_length=16)  # learner | coach | admin | operator
    password_hash = TextField(null=True)
    classroom = ForeignKeyField(Classroom, backref="learners", null=True)
    profile = JSONField(default=dict)  # language, interests, accessibility, weekly goal


class CoachClass(BaseModel):
    """Which classes a coach teaches."""

    coach = ForeignKeyField(Account, backref="coach_classes", on_delete="CASCADE")
    classroom = ForeignKeyField(Classroom, backref="coaches", on_delete="CASCADE")

    class Meta:
        indexes = ((("coach", "classroom"), True),)


class LearnerGroup(Versioned):
    id = CharField(primary_key=True, max_length=36)
    classroom = ForeignKeyField(Classroom, backref="groups")
    name = CharField(max_length=100)
    members = JSONField(default=list)  # account ids


class Session(BaseModel):
    """A server-side sign-in session; the cookie holds only its random id."""

    id = CharField(primary_key=True, max_length=64)  # sha256 of the token
    account = ForeignKeyField(Account, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    revoked = BooleanField(default=False)


class SignInThrottle(BaseModel):
    """Failed sign-ins per key (an account or a client address), for throttling."""

    key = CharField(primary_key=True, max_length=128)
    failures = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)


class AuditEntry(BaseModel):
    """Who did what, when: every admin action."""

    actor = CharField(max_length=36)
    action = CharField(max_length=64)
    detail = JSONField(default=dict)
    at = DateTimeField(default=utcnow, index=True)


SCHOOL_MODELS = [School, Classroom, Account, CoachClass, LearnerGroup, Session,
                 SignInThrottle, AuditEntry]

"""Sync, hub → school: roster/assignment records (last-writer-wins) and the packs the hub offers.

Hub tables carry `school_id` first in their key, like the other hub tables, so they partition by
school. `SentRecord` is the school's memory of what the hub already holds, so a pass sends only
records that changed (and notices edits made without a version bump).
"""
from peewee import (BigIntegerField, BooleanField, CharField, CompositeKey, DateTimeField,
                    IntegerField)

from server.models.base import BaseModel, JSONField, utcnow


class HubRecord(BaseModel):
    """The hub's copy of one roster or assignment record of a school (the winning version)."""

    school_id = CharField(max_length=36)
    kind = CharField(max_length=16)  # class | account | group | assignment
    id = CharField(max_length=36)
    seq = BigIntegerField()  # the school's change counter when this version arrived
    version = IntegerField()
    updated_at = CharField(max_length=32)  # ISO-8601, compared as text (fixed width)
    updated_by = CharField(max_length=64)
    deleted = BooleanField(default=False)
    data = JSONField(default=dict)
    sent_by = CharField(max_length=36, null=True)  # migration 10: the paired device that sent this version

    class Meta:
        primary_key = CompositeKey("school_id", "kind", "id")
        indexes = ((("school_id", "seq"), False),)


class HubRecordCounter(BaseModel):
    """One counter per school, bumped under a row lock so concurrent hub processes never reuse a seq."""

    school_id = CharField(primary_key=True, max_length=36)
    seq = BigIntegerField(default=0)


class SentRecord(BaseModel):
    """School side: the version and digest of a record the hub is known to hold."""

    kind = CharField(max_length=16)
    id = CharField(max_length=36)
    version = IntegerField()
    digest = CharField(max_length=64)

    class Meta:
        primary_key = CompositeKey("kind", "id")


class HubPack(BaseModel):
    """A pack archive the hub offers to schools (a file in DATA/offered-packs, named by its SHA-256)."""

    sha256 = CharField(primary_key=True, max_length=64)
    pack_id = CharField(max_length=64, index=True)
    version = CharField(max_length=32)
    title = CharField(max_length=200)
    language = CharField(max_length=16)
    size = BigIntegerField()
    suffix = CharField(max_length=16)
    offered_at = DateTimeField(default=utcnow)
    signed_by = CharField(max_length=100, null=True)  # migration 8: who signed the offered file


class HubAuthority(BaseModel):
    """An admin account a paired device says its school has: who may change roles and class membership."""

    device_id = CharField(max_length=36)
    admin_id = CharField(max_length=36)
    school_id = CharField(max_length=36)
    username = CharField(max_length=64)
    seen_at = DateTimeField(default=utcnow)

    class Meta:
        primary_key = CompositeKey("device_id", "admin_id")


SYNC_PULL_MODELS = [HubRecord, HubRecordCounter, SentRecord, HubPack]
AUTHORITY_MODELS = [HubAuthority]  # migration 10

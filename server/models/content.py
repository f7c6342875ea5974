"""Installed content: pack versions and what they contain, plus the blob catalogue.

Stable ids (pack id, lesson id, item id, skill id) are strings chosen by the author, so a new
pack version keeps every learner's progress; rows here belong to one installed version.
"""
from peewee import (AutoField, BigIntegerField, BooleanField, CharField, DateTimeField,
                    FloatField, ForeignKeyField, IntegerField, TextField)

from server.models.base import BaseModel, JSONField, utcnow


class Blob(BaseModel):
    """A file in the content-addressed store (data/blobs), known by its SHA-256."""

    sha256 = CharField(primary_key=True, max_length=64)
    size = BigIntegerField()
    media_type = CharField(max_length=100)


class PackVersion(BaseModel):
    """One installed version of a pack; exactly one version of a pack is active."""

    id = AutoField()
    pack_id = CharField(max_length=64, index=True)
    version = CharField(max_length=64)
    title = CharField(max_length=200)
    language = CharField(max_length=16)
    licence = CharField(max_length=100)
    description = TextField(default="")
    authors = JSONField(default=list)
    subjects = JSONField(default=list)
    manifest = JSONField()
    signed_by = CharField(max_length=200, null=True)  # None: unsigned
    is_active = BooleanField(default=False)
    lesson_count = IntegerField(default=0)
    item_count = IntegerField(default=0)
    size_bytes = BigIntegerField(default=0)
    warnings = JSONField(default=list)
    imported_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("pack_id", "version"), True),)


class Unit(BaseModel):
    id = AutoField()
    pack_version = ForeignKeyField(PackVersion, backref="units", on_delete="CASCADE")
    unit_id = CharField(max_length=80)
    title = CharField(max_length=200)
    position = IntegerField()


class Skill(BaseModel):
    id = AutoField()
    pack_version = ForeignKeyField(PackVersion, backref="skills", on_delete="CASCADE")
    skill_id = CharField(max_length=80)
    title = CharField(max_length=200)
    prerequisites = JSONField(default=list)
    mastery = JSONField(null=True)  # the pack's rule for this skill, or None for the default
    position = IntegerField()


class Lesson(BaseModel):
    id = AutoField()
    pack_version = ForeignKeyField(PackVersion, backref="lessons", on_delete="CASCADE")
    unit = ForeignKeyField(Unit, backref="lessons", on_delete="CASCADE")
    lesson_id = CharField(max_length=80)
    title = CharField(max_length=200)
    summary = TextField(default="")
    position = IntegerField()  # order within the pack
    minutes = IntegerField(null=True)
    skills = JSONField(default=list)
    media = JSONField(default=list)  # resolved audio/video with caption tracks
    html = TextField()  # sanitized, pre-rendered at import
    headings = JSONField(default=list)

    class Meta:
        indexes = ((("pack_version", "lesson_id"), True),)


class Item(BaseModel):
    """One practice item; `data` is the validated item with its prompt pre-rendered."""

    id = AutoField()
    pack_version = ForeignKeyField(PackVersion, backref="items", on_delete="CASCADE")
    unit = ForeignKeyField(Unit, backref="items", on_delete="CASCADE")
    item_id = CharField(max_length=80)
    skill_id = CharField(max_length=80, null=True)
    kind = CharField(max_length=20)
    position = IntegerField()
    difficulty = FloatField(default=0.0)
    data = JSONField()

    class Meta:
        indexes = ((("pack_version", "item_id"), True), (("pack_version", "skill_id"), False))


class PackFile(BaseModel):
    """A file of a pack version, mapped to its blob."""

    id = AutoField()
    pack_version = ForeignKeyField(PackVersion, backref="files", on_delete="CASCADE")
    path = CharField(max_length=255)
    sha256 = CharField(max_length=64, index=True)
    size = BigIntegerField()

    class Meta:
        indexes = ((("pack_version", "path"), True),)


class TrustedPublisher(BaseModel):
    """A publisher key whose pack signatures this server trusts (added by the admin, or sent by the hub)."""

    public_key = CharField(primary_key=True, max_length=64)  # base64 of the 32 raw Ed25519 bytes
    key_id = CharField(max_length=16, index=True)
    name = CharField(max_length=100)
    source = CharField(max_length=8, default="admin")  # admin | hub
    added_at = DateTimeField(default=utcnow)


CONTENT_MODELS = [Blob, PackVersion, Unit, Skill, Lesson, Item, PackFile]
TRUST_MODELS = [TrustedPublisher]  # migration 8

"""Sync bookkeeping. School side: this device's identity and the outbox of events the hub has
not acknowledged. Hub side: schools, their paired devices, pairing codes, received events.

Hub tables that grow with activity carry `school_id` as the first part of their key, so they
can be partitioned (and later sharded) by school.
"""
from peewee import (AutoField, BigIntegerField, CharField, CompositeKey, DateTimeField,
                    IntegerField, TextField)

from server.models.base import BaseModel, JSONField, utcnow


class SyncState(BaseModel):
    """Small named values: this device's id, the hub's address, last sync results."""

    key = CharField(primary_key=True, max_length=64)
    value = JSONField(null=True)


class Outbox(BaseModel):
    """Events made here that the hub has not yet acknowledged, in the order they were made."""

    seq = AutoField()
    event_id = CharField(max_length=36, unique=True)


class HubSchool(BaseModel):
    id = CharField(primary_key=True, max_length=36)
    name = CharField(max_length=200)
    created_at = DateTimeField(default=utcnow)
    last_sync_at = DateTimeField(null=True)
    events_received = BigIntegerField(default=0)


class HubDevice(BaseModel):
    id = CharField(primary_key=True, max_length=36)
    school_id = CharField(max_length=36, index=True)
    name = CharField(max_length=100)
    public_key = CharField(max_length=64)  # Ed25519, hex
    paired_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)
    last_seen = DateTimeField(null=True)
    acked_seq = BigIntegerField(default=0)  # the school outbox position received up to
    pairing_code_hash = CharField(max_length=64, null=True)  # proves the hub to a USB-paired school


class PairingCode(BaseModel):
    code_hash = CharField(primary_key=True, max_length=64)
    school_id = CharField(max_length=36)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class ReceivedEvent(BaseModel):
    """An event as the hub received it from a school (merging is a set union by id)."""

    school_id = CharField(max_length=36)
    id = CharField(max_length=36)
    device_id = CharField(max_length=64)
    learner_id = CharField(max_length=36)
    kind = CharField(max_length=32)
    payload = JSONField(default=dict)
    created_at = DateTimeField()
    received_at = DateTimeField(default=utcnow)

    class Meta:
        primary_key = CompositeKey("school_id", "id")


class SeenNonce(BaseModel):
    """Request nonces seen recently, so a captured request cannot be replayed."""

    device_id = CharField(max_length=36)
    nonce = CharField(max_length=64)
    seen_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        primary_key = CompositeKey("device_id", "nonce")


class SyncLog(BaseModel):
    """One line per sync attempt or bundle, for the admin and operator pages."""

    id = AutoField()
    school_id = CharField(max_length=36, null=True)
    direction = CharField(max_length=16)  # push | bundle-in | bundle-out | ack-in
    ok = IntegerField()
    events = IntegerField(default=0)
    bytes = BigIntegerField(default=0)
    message = TextField(default="")
    at = DateTimeField(default=utcnow)


SYNC_MODELS = [SyncState, Outbox, HubSchool, HubDevice, PairingCode, ReceivedEvent, SeenNonce, SyncLog]

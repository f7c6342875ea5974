"""Migration 2: Tables for school↔hub sync: outbox, device identity, hub-side schools and events.

Frozen DDL: what peewee 4.5.3 generated from the models of the time. Never edit it;
change the schema with a new migration (see server/migrations/__init__.py)."""

NAME = "sync tables"

SQLITE = (
    """CREATE TABLE IF NOT EXISTS "hub_device" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "school_id" VARCHAR(36) NOT NULL,
        "name" VARCHAR(100) NOT NULL,
        "public_key" VARCHAR(64) NOT NULL,
        "paired_at" DATETIME NOT NULL,
        "revoked_at" DATETIME,
        "last_seen" DATETIME,
        "acked_seq" INTEGER NOT NULL,
        "pairing_code_hash" VARCHAR(64))""",
    'CREATE INDEX IF NOT EXISTS "hub_device_school_id" ON "hub_device" ("school_id")',
    """CREATE TABLE IF NOT EXISTS "hub_school" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "name" VARCHAR(200) NOT NULL,
        "created_at" DATETIME NOT NULL,
        "last_sync_at" DATETIME,
        "events_received" INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS "outbox" (
        "seq" INTEGER NOT NULL PRIMARY KEY,
        "event_id" VARCHAR(36) NOT NULL)""",
    'CREATE UNIQUE INDEX IF NOT EXISTS "outbox_event_id" ON "outbox" ("event_id")',
    """CREATE TABLE IF NOT EXISTS "pairing_code" (
        "code_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
        "school_id" VARCHAR(36) NOT NULL,
        "expires_at" DATETIME NOT NULL,
        "used_at" DATETIME)""",
    """CREATE TABLE IF NOT EXISTS "received_event" (
        "school_id" VARCHAR(36) NOT NULL,
        "id" VARCHAR(36) NOT NULL,
        "device_id" VARCHAR(64) NOT NULL,
        "learner_id" VARCHAR(36) NOT NULL,
        "kind" VARCHAR(32) NOT NULL,
        "payload" TEXT NOT NULL,
        "created_at" DATETIME NOT NULL,
        "received_at" DATETIME NOT NULL,
        PRIMARY KEY ("school_id", "id"))""",
    """CREATE TABLE IF NOT EXISTS "seen_nonce" (
        "device_id" VARCHAR(36) NOT NULL,
        "nonce" VARCHAR(64) NOT NULL,
        "seen_at" DATETIME NOT NULL,
        PRIMARY KEY ("device_id", "nonce"))""",
    'CREATE INDEX IF NOT EXISTS "seen_nonce_seen_at" ON "seen_nonce" ("seen_at")',
    """CREATE TABLE IF NOT EXISTS "sync_log" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "school_id" VARCHAR(36),
        "direction" VARCHAR(16) NOT NULL,
        "ok" INTEGER NOT NULL,
        "events" INTEGER NOT NULL,
        "bytes" INTEGER NOT NULL,
        "message" TEXT NOT NULL,
        "at" DATETIME NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS "sync_state" (
        "key" VARCHAR(64) NOT NULL PRIMARY KEY,
        "value" TEXT)""",
)

POSTGRES = (
    """CREATE TABLE IF NOT EXISTS "hub_device" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "school_id" VARCHAR(36) NOT NULL,
        "name" VARCHAR(100) NOT NULL,
        "public_key" VARCHAR(64) NOT NULL,
        "paired_at" TIMESTAMP NOT NULL,
        "revoked_at" TIMESTAMP,
        "last_seen" TIMESTAMP,
        "acked_seq" BIGINT NOT NULL,
        "pairing_code_hash" VARCHAR(64))""",
    'CREATE INDEX IF NOT EXISTS "hub_device_school_id" ON "hub_device" ("school_id")',
    """CREATE TABLE IF NOT EXISTS "hub_school" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "name" VARCHAR(200) NOT NULL,
        "created_at" TIMESTAMP NOT NULL,
        "last_sync_at" TIMESTAMP,
        "events_received" BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS "outbox" (
        "seq" SERIAL NOT NULL PRIMARY KEY,
        "event_id" VARCHAR(36) NOT NULL)""",
    'CREATE UNIQUE INDEX IF NOT EXISTS "outbox_event_id" ON "outbox" ("event_id")',
    """CREATE TABLE IF NOT EXISTS "pairing_code" (
        "code_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
        "school_id" VARCHAR(36) NOT NULL,
        "expires_at" TIMESTAMP NOT NULL,
        "used_at" TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS "received_event" (
        "school_id" VARCHAR(36) NOT NULL,
        "id" VARCHAR(36) NOT NULL,
        "device_id" VARCHAR(64) NOT NULL,
        "learner_id" VARCHAR(36) NOT NULL,
        "kind" VARCHAR(32) NOT NULL,
        "payload" TEXT NOT NULL,
        "created_at" TIMESTAMP NOT NULL,
        "received_at" TIMESTAMP NOT NULL,
        PRIMARY KEY ("school_id", "id"))""",
    """CREATE TABLE IF NOT EXISTS "seen_nonce" (
        "device_id" VARCHAR(36) NOT NULL,
        "nonce" VARCHAR(64) NOT NULL,
        "seen_at" TIMESTAMP NOT NULL,
        PRIMARY KEY ("device_id", "nonce"))""",
    'CREATE INDEX IF NOT EXISTS "seen_nonce_seen_at" ON "seen_nonce" ("seen_at")',
    """CREATE TABLE IF NOT EXISTS "sync_log" (
        "id" SERIAL NOT NULL PRIMARY KEY,
        "school_id" VARCHAR(36),
        "direction" VARCHAR(16) NOT NULL,
        "ok" INTEGER NOT NULL,
        "events" INTEGER NOT NULL,
        "bytes" BIGINT NOT NULL,
        "message" TEXT NOT NULL,
        "at" TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS "sync_state" (
        "key" VARCHAR(64) NOT NULL PRIMARY KEY,
        "value" TEXT)""",
)

"""Migration 6: Roster records on the hub (last-writer-wins), what the school sent, packs the hub offers (issue 6).

Frozen DDL: what peewee 4.5.3 generated from the models of the time. Never edit it;
change the schema with a new migration (see server/migrations/__init__.py)."""

NAME = "sync pull: roster records and offered packs"

SQLITE = (
    """CREATE TABLE IF NOT EXISTS "hub_pack" (
        "sha256" VARCHAR(64) NOT NULL PRIMARY KEY,
        "pack_id" VARCHAR(64) NOT NULL,
        "version" VARCHAR(32) NOT NULL,
        "title" VARCHAR(200) NOT NULL,
        "language" VARCHAR(16) NOT NULL,
        "size" INTEGER NOT NULL,
        "suffix" VARCHAR(16) NOT NULL,
        "offered_at" DATETIME NOT NULL)""",
    'CREATE INDEX IF NOT EXISTS "hub_pack_pack_id" ON "hub_pack" ("pack_id")',
    """CREATE TABLE IF NOT EXISTS "hub_record" (
        "school_id" VARCHAR(36) NOT NULL,
        "kind" VARCHAR(16) NOT NULL,
        "id" VARCHAR(36) NOT NULL,
        "seq" INTEGER NOT NULL,
        "version" INTEGER NOT NULL,
        "updated_at" VARCHAR(32) NOT NULL,
        "updated_by" VARCHAR(64) NOT NULL,
        "deleted" INTEGER NOT NULL,
        "data" TEXT NOT NULL,
        PRIMARY KEY ("school_id", "kind", "id"))""",
    'CREATE INDEX IF NOT EXISTS "hub_record_school_id_seq" ON "hub_record" ("school_id", "seq")',
    """CREATE TABLE IF NOT EXISTS "hub_record_counter" (
        "school_id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "seq" INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS "sent_record" (
        "kind" VARCHAR(16) NOT NULL,
        "id" VARCHAR(36) NOT NULL,
        "version" INTEGER NOT NULL,
        "digest" VARCHAR(64) NOT NULL,
        PRIMARY KEY ("kind", "id"))""",
)

POSTGRES = (
    """CREATE TABLE IF NOT EXISTS "hub_pack" (
        "sha256" VARCHAR(64) NOT NULL PRIMARY KEY,
        "pack_id" VARCHAR(64) NOT NULL,
        "version" VARCHAR(32) NOT NULL,
        "title" VARCHAR(200) NOT NULL,
        "language" VARCHAR(16) NOT NULL,
        "size" BIGINT NOT NULL,
        "suffix" VARCHAR(16) NOT NULL,
        "offered_at" TIMESTAMP NOT NULL)""",
    'CREATE INDEX IF NOT EXISTS "hub_pack_pack_id" ON "hub_pack" ("pack_id")',
    """CREATE TABLE IF NOT EXISTS "hub_record" (
        "school_id" VARCHAR(36) NOT NULL,
        "kind" VARCHAR(16) NOT NULL,
        "id" VARCHAR(36) NOT NULL,
        "seq" BIGINT NOT NULL,
        "version" INTEGER NOT NULL,
        "updated_at" VARCHAR(32) NOT NULL,
        "updated_by" VARCHAR(64) NOT NULL,
        "deleted" BOOLEAN NOT NULL,
        "data" TEXT NOT NULL,
        PRIMARY KEY ("school_id", "kind", "id"))""",
    'CREATE INDEX IF NOT EXISTS "hub_record_school_id_seq" ON "hub_record" ("school_id", "seq")',
    """CREATE TABLE IF NOT EXISTS "hub_record_counter" (
        "school_id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "seq" BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS "sent_record" (
        "kind" VARCHAR(16) NOT NULL,
        "id" VARCHAR(36) NOT NULL,
        "version" INTEGER NOT NULL,
        "digest" VARCHAR(64) NOT NULL,
        PRIMARY KEY ("kind", "id"))""",
)

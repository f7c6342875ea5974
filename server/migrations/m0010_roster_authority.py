"""Migration 10: the admins each paired device declared, and which device sent each roster record (issue 18).
Frozen DDL: never edit it; change the schema with a new migration."""

NAME = "roster authority"

_TABLE = ('CREATE TABLE IF NOT EXISTS "hub_authority" ("device_id" VARCHAR(36) NOT NULL, '
          '"admin_id" VARCHAR(36) NOT NULL, "school_id" VARCHAR(36) NOT NULL, "username" VARCHAR(64) NOT NULL, '
          '"seen_at" {datetime} NOT NULL, PRIMARY KEY ("device_id", "admin_id"))')
_COLUMN = 'ALTER TABLE "hub_record" ADD COLUMN "sent_by" VARCHAR(36)'

SQLITE = (_TABLE.format(datetime="DATETIME"), _COLUMN)
POSTGRES = (_TABLE.format(datetime="TIMESTAMP"), _COLUMN)

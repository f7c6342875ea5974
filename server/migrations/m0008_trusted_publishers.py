"""Migration 8: publisher keys whose signed packs this server trusts, and who signed each pack a hub offers
(issue 18). Frozen DDL: never edit it; change the schema with a new migration."""

NAME = "trusted pack publishers"

_TABLE = ('CREATE TABLE IF NOT EXISTS "trusted_publisher" ("public_key" VARCHAR(64) NOT NULL PRIMARY KEY, '
          '"key_id" VARCHAR(16) NOT NULL, "name" VARCHAR(100) NOT NULL, "source" VARCHAR(8) NOT NULL, '
          '"added_at" {datetime} NOT NULL)')
_INDEX = 'CREATE INDEX IF NOT EXISTS "trusted_publisher_key_id" ON "trusted_publisher" ("key_id")'
_COLUMN = 'ALTER TABLE "hub_pack" ADD COLUMN "signed_by" VARCHAR(100)'

SQLITE = (_TABLE.format(datetime="DATETIME"), _INDEX, _COLUMN)
POSTGRES = (_TABLE.format(datetime="TIMESTAMP"), _INDEX, _COLUMN)

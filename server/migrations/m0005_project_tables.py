"""Migration 5: Projects, learners' plans, and hand-ins with their reviews (issue 10).

Frozen DDL: what peewee 4.5.3 generated from the models of the time. Never edit it;
change the schema with a new migration (see server/migrations/__init__.py)."""

NAME = "projects and hand-ins"

SQLITE = (
    """CREATE TABLE IF NOT EXISTS "hand_in" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "learner_id" VARCHAR(36) NOT NULL,
        "source" VARCHAR(16) NOT NULL,
        "project_id" VARCHAR(36),
        "pack_id" VARCHAR(64),
        "item_id" VARCHAR(80),
        "version" INTEGER NOT NULL,
        "text" TEXT NOT NULL,
        "upload_sha256" VARCHAR(64),
        "upload_type" VARCHAR(40),
        "upload_size" INTEGER NOT NULL,
        "handed_in_at" DATETIME NOT NULL,
        "reviewed_at" DATETIME,
        "reviewer_id" VARCHAR(36),
        "levels" TEXT NOT NULL,
        "feedback" TEXT NOT NULL,
        "is_finished" INTEGER NOT NULL)""",
    'CREATE INDEX IF NOT EXISTS "hand_in_learner_id" ON "hand_in" ("learner_id")',
    'CREATE INDEX IF NOT EXISTS "hand_in_upload_sha256" ON "hand_in" ("upload_sha256")',
    'CREATE INDEX IF NOT EXISTS "hand_in_learner_id_project_id_version" ON "hand_in" ("learner_id", "project_id", "version")',
    'CREATE INDEX IF NOT EXISTS "hand_in_learner_id_pack_id_item_id" ON "hand_in" ("learner_id", "pack_id", "item_id")',
    """CREATE TABLE IF NOT EXISTS "project" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "classroom_id" VARCHAR(36) NOT NULL,
        "title" VARCHAR(120) NOT NULL,
        "description" TEXT NOT NULL,
        "criteria" TEXT NOT NULL,
        "status" VARCHAR(16) NOT NULL,
        "proposed_by" VARCHAR(36),
        "created_by" VARCHAR(36) NOT NULL,
        "created_at" DATETIME NOT NULL,
        "deleted" INTEGER NOT NULL)""",
    'CREATE INDEX IF NOT EXISTS "project_classroom_id" ON "project" ("classroom_id")',
    'CREATE INDEX IF NOT EXISTS "project_proposed_by" ON "project" ("proposed_by")',
    """CREATE TABLE IF NOT EXISTS "project_plan" (
        "learner_id" VARCHAR(36) NOT NULL,
        "project_id" VARCHAR(36) NOT NULL,
        "steps" TEXT NOT NULL,
        "updated_at" DATETIME NOT NULL)""",
    'CREATE UNIQUE INDEX IF NOT EXISTS "project_plan_learner_id_project_id" ON "project_plan" ("learner_id", "project_id")',
)

POSTGRES = (
    """CREATE TABLE IF NOT EXISTS "hand_in" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "learner_id" VARCHAR(36) NOT NULL,
        "source" VARCHAR(16) NOT NULL,
        "project_id" VARCHAR(36),
        "pack_id" VARCHAR(64),
        "item_id" VARCHAR(80),
        "version" INTEGER NOT NULL,
        "text" TEXT NOT NULL,
        "upload_sha256" VARCHAR(64),
        "upload_type" VARCHAR(40),
        "upload_size" INTEGER NOT NULL,
        "handed_in_at" TIMESTAMP NOT NULL,
        "reviewed_at" TIMESTAMP,
        "reviewer_id" VARCHAR(36),
        "levels" TEXT NOT NULL,
        "feedback" TEXT NOT NULL,
        "is_finished" BOOLEAN NOT NULL)""",
    'CREATE INDEX IF NOT EXISTS "hand_in_learner_id" ON "hand_in" ("learner_id")',
    'CREATE INDEX IF NOT EXISTS "hand_in_upload_sha256" ON "hand_in" ("upload_sha256")',
    'CREATE INDEX IF NOT EXISTS "hand_in_learner_id_project_id_version" ON "hand_in" ("learner_id", "project_id", "version")',
    'CREATE INDEX IF NOT EXISTS "hand_in_learner_id_pack_id_item_id" ON "hand_in" ("learner_id", "pack_id", "item_id")',
    """CREATE TABLE IF NOT EXISTS "project" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "classroom_id" VARCHAR(36) NOT NULL,
        "title" VARCHAR(120) NOT NULL,
        "description" TEXT NOT NULL,
        "criteria" TEXT NOT NULL,
        "status" VARCHAR(16) NOT NULL,
        "proposed_by" VARCHAR(36),
        "created_by" VARCHAR(36) NOT NULL,
        "created_at" TIMESTAMP NOT NULL,
        "deleted" BOOLEAN NOT NULL)""",
    'CREATE INDEX IF NOT EXISTS "project_classroom_id" ON "project" ("classroom_id")',
    'CREATE INDEX IF NOT EXISTS "project_proposed_by" ON "project" ("proposed_by")',
    """CREATE TABLE IF NOT EXISTS "project_plan" (
        "learner_id" VARCHAR(36) NOT NULL,
        "project_id" VARCHAR(36) NOT NULL,
        "steps" TEXT NOT NULL,
        "updated_at" TIMESTAMP NOT NULL)""",
    'CREATE UNIQUE INDEX IF NOT EXISTS "project_plan_learner_id_project_id" ON "project_plan" ("learner_id", "project_id")',
)

"""Migration 4: Questions and answers under lessons, and coach-confirmed study buddies (issue 10).

Frozen DDL: what peewee 4.5.3 generated from the models of the time. Never edit it;
change the schema with a new migration (see server/migrations/__init__.py)."""

NAME = "discussion posts and study pairs"

SQLITE = (
    """CREATE TABLE IF NOT EXISTS "discussion_post" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "classroom_id" VARCHAR(36) NOT NULL,
        "pack_id" VARCHAR(64) NOT NULL,
        "lesson_id" VARCHAR(80) NOT NULL,
        "parent_id" VARCHAR(36),
        "author_id" VARCHAR(36) NOT NULL,
        "body" TEXT NOT NULL,
        "created_at" DATETIME NOT NULL,
        "deleted" INTEGER NOT NULL,
        "hidden" INTEGER NOT NULL,
        "helpful" INTEGER NOT NULL,
        "reported_at" DATETIME,
        "reported_by" VARCHAR(36),
        "moderated_by" VARCHAR(36))""",
    'CREATE INDEX IF NOT EXISTS "discussion_post_parent_id" ON "discussion_post" ("parent_id")',
    'CREATE INDEX IF NOT EXISTS "discussion_post_author_id" ON "discussion_post" ("author_id")',
    'CREATE INDEX IF NOT EXISTS "discussion_post_classroom_id_pack_id_lesson_id_created_at" ON "discussion_post" ("classroom_id", "pack_id", "lesson_id", "created_at")',
    'CREATE INDEX IF NOT EXISTS "discussion_post_classroom_id_created_at" ON "discussion_post" ("classroom_id", "created_at")',
    """CREATE TABLE IF NOT EXISTS "study_pair" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "classroom_id" VARCHAR(36) NOT NULL,
        "pack_id" VARCHAR(64) NOT NULL,
        "skill_id" VARCHAR(80) NOT NULL,
        "helper_id" VARCHAR(36) NOT NULL,
        "learner_id" VARCHAR(36) NOT NULL,
        "created_by" VARCHAR(36) NOT NULL,
        "created_at" DATETIME NOT NULL,
        "ended_at" DATETIME,
        "ended_by" VARCHAR(36))""",
    'CREATE INDEX IF NOT EXISTS "study_pair_classroom_id" ON "study_pair" ("classroom_id")',
    'CREATE INDEX IF NOT EXISTS "study_pair_helper_id" ON "study_pair" ("helper_id")',
    'CREATE INDEX IF NOT EXISTS "study_pair_learner_id" ON "study_pair" ("learner_id")',
)

POSTGRES = (
    """CREATE TABLE IF NOT EXISTS "discussion_post" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "classroom_id" VARCHAR(36) NOT NULL,
        "pack_id" VARCHAR(64) NOT NULL,
        "lesson_id" VARCHAR(80) NOT NULL,
        "parent_id" VARCHAR(36),
        "author_id" VARCHAR(36) NOT NULL,
        "body" TEXT NOT NULL,
        "created_at" TIMESTAMP NOT NULL,
        "deleted" BOOLEAN NOT NULL,
        "hidden" BOOLEAN NOT NULL,
        "helpful" BOOLEAN NOT NULL,
        "reported_at" TIMESTAMP,
        "reported_by" VARCHAR(36),
        "moderated_by" VARCHAR(36))""",
    'CREATE INDEX IF NOT EXISTS "discussion_post_parent_id" ON "discussion_post" ("parent_id")',
    'CREATE INDEX IF NOT EXISTS "discussion_post_author_id" ON "discussion_post" ("author_id")',
    'CREATE INDEX IF NOT EXISTS "discussion_post_classroom_id_pack_id_lesson_id_created_at" ON "discussion_post" ("classroom_id", "pack_id", "lesson_id", "created_at")',
    'CREATE INDEX IF NOT EXISTS "discussion_post_classroom_id_created_at" ON "discussion_post" ("classroom_id", "created_at")',
    """CREATE TABLE IF NOT EXISTS "study_pair" (
        "id" VARCHAR(36) NOT NULL PRIMARY KEY,
        "classroom_id" VARCHAR(36) NOT NULL,
        "pack_id" VARCHAR(64) NOT NULL,
        "skill_id" VARCHAR(80) NOT NULL,
        "helper_id" VARCHAR(36) NOT NULL,
        "learner_id" VARCHAR(36) NOT NULL,
        "created_by" VARCHAR(36) NOT NULL,
        "created_at" TIMESTAMP NOT NULL,
        "ended_at" TIMESTAMP,
        "ended_by" VARCHAR(36))""",
    'CREATE INDEX IF NOT EXISTS "study_pair_classroom_id" ON "study_pair" ("classroom_id")',
    'CREATE INDEX IF NOT EXISTS "study_pair_helper_id" ON "study_pair" ("helper_id")',
    'CREATE INDEX IF NOT EXISTS "study_pair_learner_id" ON "study_pair" ("learner_id")',
)

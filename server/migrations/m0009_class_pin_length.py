"""Migration 9: a class can require longer PINs (issue 18). Frozen DDL: never edit it."""

NAME = "class PIN length"

SQLITE = ('ALTER TABLE "classroom" ADD COLUMN "pin_length" INTEGER NOT NULL DEFAULT 4',)
POSTGRES = SQLITE

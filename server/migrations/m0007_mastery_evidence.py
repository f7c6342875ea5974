"""Mastery from evidence (issue 14): each skill state's estimate (`p_known` as of `estimated_at`), when mastery
was taken back (`refresh_at`) and its evidence; each item's learned guess and slip.

The values come from replaying the event log with the new model: this migration is in `REDERIVE_AFTER`, so
the first start after it recomputes every derived table (server/device/maintenance.py)."""
NAME = "mastery from evidence"

_COLUMNS = (
    ('"skill_state"', '"p_known" REAL'),
    ('"skill_state"', '"estimated_at" {datetime}'),
    ('"skill_state"', '"refresh_at" {datetime}'),
    ('"skill_state"', '"evidence" TEXT NOT NULL DEFAULT \'{{}}\''),
    ('"item_stat"', '"guess_weight" REAL NOT NULL DEFAULT 0'),
    ('"item_stat"', '"guess_excess" REAL NOT NULL DEFAULT 0'),
    ('"item_stat"', '"slip_weight" REAL NOT NULL DEFAULT 0'),
    ('"item_stat"', '"slip_excess" REAL NOT NULL DEFAULT 0'),
)

SQLITE = tuple(f"ALTER TABLE {table} ADD COLUMN {column.format(datetime='DATETIME')}" for table, column in _COLUMNS)
POSTGRES = tuple(f"ALTER TABLE {table} ADD COLUMN {column.format(datetime='TIMESTAMP')}"
                 for table, column in _COLUMNS)

"""Migration 3: a covering index for a class's answers in a pack (item analysis reads only the index).

PostgreSQL limits an index entry to ~2.7 KB and a response may be longer, so there (a hub, which shows
no item analysis) the index leaves the response out. Frozen: never edit it; add a new migration instead.
"""

NAME = "covering index for item analysis"

SQLITE = (
    "CREATE INDEX IF NOT EXISTS answer_class_items ON answer (learner_id, pack_id, is_correct, item_id, response)",
)

POSTGRES = (
    "CREATE INDEX IF NOT EXISTS answer_class_items ON answer (learner_id, pack_id, is_correct, item_id)",
)

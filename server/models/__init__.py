"""All tables. Import models from here."""
from server.models.content import (CONTENT_MODELS, Blob, Item, Lesson, PackFile, PackVersion,
                                   Skill, Unit)
from server.models.learning import (DERIVED_MODELS, LEARNING_MODELS, Answer, Assignment, Event,
                                    ItemStat, LearnerStat, LessonProgress, SkillState)
from server.models.school import (SCHOOL_MODELS, Account, AuditEntry, Classroom, CoachClass,
                                  LearnerGroup, School, Session, SignInThrottle)

from server.models.sync import (SYNC_MODELS, HubDevice, HubSchool, Outbox, PairingCode,
                                ReceivedEvent, SeenNonce, SyncLog, SyncState)

# Tables of the first release (migration 1); later tables arrive by their own migrations.
ALL_MODELS = CONTENT_MODELS + SCHOOL_MODELS + LEARNING_MODELS

__all__ = [m.__name__ for m in ALL_MODELS + SYNC_MODELS] + ["ALL_MODELS", "DERIVED_MODELS", "SYNC_MODELS"]

"""The admin's first-run checklist: what a new school still has to do, each step ticked from the data.

Decisions:
* Nothing is ticked by hand: each step is read from what exists (classes, learners, installed packs, the
  last backup) or from the audit log for the printed things (a card sheet or the poster opened, PINs made
  for a class, an import that made up PINs). So the list is right after a restore or on a second admin's
  phone, and it cannot be ticked without the work being done.
* The steps are keys; the page says them in words and links each to where it is done.
"""
from dataclasses import dataclass
from pathlib import Path

from server.device.backup import last_backup
from server.models import Account, AuditEntry, Classroom, PackVersion

STEPS = ("classes", "learners", "cards", "content", "backup", "poster")


@dataclass(frozen=True)
class Step:
    key: str
    done: bool


def checklist(admin: Account, data_dir: Path) -> list[Step]:
    """The six first-run steps in order, each with whether it is done."""
    school = admin.school_id
    printed = _printed(school)
    done = {
        "classes": Classroom.select().where((Classroom.school == school) & ~Classroom.deleted).exists(),
        "learners": Account.select().where((Account.school == school) & (Account.role == "learner")
                                           & ~Account.deleted).exists(),
        "cards": "cards" in printed,
        "content": PackVersion.select().where(PackVersion.is_active).exists(),
        "backup": last_backup(data_dir) is not None,
        "poster": "poster" in printed,
    }
    return [Step(key, bool(done[key])) for key in STEPS]


def _printed(school: str) -> set[str]:
    """Which printed things the school's staff have made: "cards", "poster" (from the audit log)."""
    staff = Account.select(Account.id).where((Account.school == school) & Account.role.in_(("admin", "coach")))
    entries = AuditEntry.select(AuditEntry.action, AuditEntry.detail).where(
        AuditEntry.actor.in_(staff)
        & AuditEntry.action.in_(("print_cards", "reset_class_pins", "import_accounts", "print_poster")))
    found = set()
    for entry in entries:
        if entry.action == "print_poster":
            found.add("poster")
        elif entry.action != "import_accounts" or (entry.detail or {}).get("cards"):
            found.add("cards")
    return found

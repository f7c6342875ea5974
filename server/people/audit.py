"""The audit log: who did what, when — every admin action and every coach action that changes what
learners see (assigned work, groups, which coach teaches which class).

Call `record` inside the transaction that makes the change, so the change and its entry are written
together or not at all. Details hold ids and short names only, never answers or PINs.
"""
from server.i18n import N_

from server.models import Account, AuditEntry

ACTIONS = {  # audit action -> how the log page says it (translated when shown)
    "create_class": N_("created a class"), "create_account": N_("created an account"),
    "import_accounts": N_("imported accounts from a file"), "reset_pin": N_("reset a PIN"),
    "set_symbol": N_("gave a learner a sign-in symbol"),
    "move_learner": N_("moved a learner to another class"),
    "add_coach": N_("added a coach to a class"), "remove_coach": N_("took a coach off a class"),
    "assign_work": N_("assigned work"), "remove_assignment": N_("took back assigned work"),
    "make_group": N_("made a group"), "edit_group": N_("changed a group"), "delete_group": N_("deleted a group"),
    "pin_length": N_("changed how long PINs are in a class"),
    "publisher_trusted": N_("trusted a pack publisher's key"),
    "publisher_distrusted": N_("stopped trusting a pack publisher's key"),
    "reset_class_pins": N_("gave every learner in a class a new PIN"),
    "print_cards": N_("opened a class's sign-in cards to print"),
    "print_poster": N_("opened the poster to print"),
}


def record(actor: Account, action: str, **detail) -> AuditEntry:
    """Write one audit entry (call inside the transaction that makes the change)."""
    assert action in ACTIONS, f"unknown audit action {action!r}: add it to ACTIONS"
    return AuditEntry.create(actor=actor.id, action=action, detail=detail)

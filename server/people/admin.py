"""What a school's admin does: classes, accounts (one by one or from a spreadsheet), PINs, moves.

Every action is written to the audit log (server.people.audit: who, what, when) in the same transaction
as the change itself. An admin only ever sees and changes their own school. Imports check every
row first (server.people.roster_import) and then write all rows in one transaction, or none.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from server.people import auth, pins, school
from server.people.audit import ACTIONS, record
from server.people.classes import ClassSummary, classes_for
from server.people.csv_files import decode_upload, read_rows
from server.db import database
from server.errors import InvalidInput, NotFound
from server.i18n import N_
from server.identity import device_id
from server.models import Account, AuditEntry, Classroom, CoachClass
from server.models.base import utcnow
from server.people.roster_import import ImportPlan, plan_import
from server.people.symbols import SYMBOLS

STAFF_ROLES = ("learner", "coach")


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    created: list[Account]
    filename: str


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str
    action: str  # an ACTIONS entry, translated when shown
    detail: list[tuple[str, str]]  # (label to translate, value)


@dataclass(frozen=True)
class AdminHome:
    school_name: str
    classes: list[ClassSummary]
    coaches: int
    learners: int
    recent: list[AuditLine]


def school_classes(admin: Account) -> list[Classroom]:
    """The classes of the admin's school, by name."""
    return list(Classroom.select().where((Classroom.school == admin.school_id) & ~Classroom.deleted)
                .order_by(Classroom.name))


def school_class(admin: Account, class_id: str) -> Classroom:
    """A class of the admin's school, or NotFound."""
    classroom = Classroom.get_or_none((Classroom.id == class_id) & (Classroom.school == admin.school_id)
                                      & ~Classroom.deleted)
    if classroom is None:
        raise NotFound(N_("This class is not in your school."))
    return classroom


def school_accounts(admin: Account, class_id: str | None = None) -> list[Account]:
    """Learners and coaches of the school (optionally of one class), by role then name."""
    query = Account.select().where((Account.school == admin.school_id) & ~Account.deleted
                                   & Account.role.in_(STAFF_ROLES))
    if class_id:
        query = query.where(Account.classroom == school_class(admin, class_id))
    return list(query.order_by(Account.role, Account.display_name))


def school_account(admin: Account, account_id: str) -> Account:
    """A learner or coach of the admin's school, or NotFound."""
    account = Account.get_or_none((Account.id == account_id) & (Account.school == admin.school_id)
                                  & ~Account.deleted & Account.role.in_(STAFF_ROLES))
    if account is None:
        raise NotFound(N_("This account is not in your school."))
    return account


def create_class(admin: Account, name: str) -> Classroom:
    """Create a class (names are unique within the school)."""
    name = " ".join((name or "").split())
    if any(c.name.lower() == name.lower() for c in school_classes(admin)):
        raise InvalidInput(N_("There is already a class called “%(name)s”."), field="name", name=name)
    with database.atomic():
        classroom = school.create_class(admin.school, name)
        record(admin, "create_class", class_id=classroom.id, name=classroom.name)
    return classroom


def create_account(admin: Account, form) -> Account:
    """Create one learner (with a PIN) or coach (with a password), in a class of the school."""
    role = form.get("role", "learner")
    if role not in STAFF_ROLES:
        raise InvalidInput(N_("Choose learner or coach."), field="role")
    classroom = school_class(admin, form["class_id"]) if form.get("class_id") else None
    if role == "learner" and classroom is None:
        raise InvalidInput(N_("Choose the learner's class."), field="class_id")
    if role == "learner":
        pins.check_pin(form.get("secret", ""), classroom.pin_length)
    with database.atomic():
        account = school.create_account(admin.school, role, form.get("username", ""), form.get("name", ""),
                                        form.get("secret", ""), classroom)
        record(admin, "create_account", account_id=account.id, username=account.username, role=role,
               class_id=classroom.id if classroom else None)
    return account


def reset_pin(admin: Account, account_id: str, new_pin: str = "") -> tuple[Account, str]:
    """Give a learner a new PIN (made up when none is given) and sign them out everywhere."""
    learner = school_account(admin, account_id)
    if learner.role != "learner":
        raise InvalidInput(N_("Only learners have PINs. A coach's password is changed by the coach."))
    length = learner.classroom.pin_length if learner.classroom_id else 4
    pin = pins.check_pin(new_pin, length, field="pin") if (new_pin or "").strip() else pins.make_pin(length)
    hashed = auth.hash_secret(pin, is_pin=True)
    with database.atomic():
        Account.update(password_hash=hashed, version=Account.version + 1, updated_at=utcnow(),
                       updated_by=device_id()).where(Account.id == learner.id).execute()
        auth.end_all_sessions(learner.id)
        record(admin, "reset_pin", account_id=learner.id, username=learner.username)
    return learner, pin


def reset_class_pins(admin: Account, class_id: str) -> tuple[Classroom, list[tuple[Account, str]]]:
    """Give every learner of a class a new made-up PIN and sign them all out; return each with their PIN.

    Decisions: only PIN hashes are kept, so this is the one moment the PINs can be printed on cards; the
    hashes are made before the write transaction (they are slow), and all learners change together or none.
    """
    classroom = school_class(admin, class_id)
    learners = list(Account.select().where((Account.classroom == classroom) & (Account.role == "learner")
                                           & ~Account.deleted).order_by(Account.display_name, Account.username))
    if not learners:
        raise InvalidInput(N_("There are no learners in %(classroom)s yet."), classroom=classroom.name)
    new = [(learner, pins.make_pin(classroom.pin_length)) for learner in learners]
    hashes = [auth.hash_secret(pin, is_pin=True) for _, pin in new]
    with database.atomic():
        for (learner, _), hashed in zip(new, hashes):
            Account.update(password_hash=hashed, version=Account.version + 1, updated_at=utcnow(),
                           updated_by=device_id()).where(Account.id == learner.id).execute()
            auth.end_all_sessions(learner.id)
        record(admin, "reset_class_pins", class_id=classroom.id, count=len(new))
    return classroom, new


def note_printed(admin: Account, action: str, class_id: str | None = None) -> None:
    """Write in the audit log, the first time only, that a printable page (cards, poster) was opened."""
    assert action in ("print_cards", "print_poster")
    earlier = AuditEntry.select(AuditEntry.detail).where((AuditEntry.action == action)
                                                         & AuditEntry.actor.in_(_staff_ids(admin)))
    if any((entry.detail or {}).get("class_id") == class_id for entry in earlier):
        return
    with database.atomic():
        record(admin, action, **({"class_id": class_id} if class_id else {}))


def _staff_ids(admin: Account):
    return Account.select(Account.id).where((Account.school == admin.school_id)
                                            & Account.role.in_(("admin", "coach")))


def set_symbol(admin: Account, account_id: str, code: str) -> Account:
    """Give a learner a sign-in symbol (or none), so same-name learners look different on the class list."""
    learner = school_account(admin, account_id)
    if learner.role != "learner":
        raise InvalidInput(N_("Only learners sign in from the class list."))
    if code and code not in SYMBOLS:
        raise InvalidInput(N_("Please choose a symbol from the list."), field="symbol")
    profile = {k: v for k, v in (learner.profile or {}).items() if k != "symbol"}
    if code:
        profile["symbol"] = code
    with database.atomic():
        Account.update(profile=profile, version=Account.version + 1, updated_at=utcnow(),
                       updated_by=device_id()).where(Account.id == learner.id).execute()
        record(admin, "set_symbol", account_id=learner.id, username=learner.username, symbol=code)
    learner.profile = profile
    return learner


def move_learner(admin: Account, account_id: str, class_id: str) -> Account:
    """Move a learner to another class of the school."""
    learner = school_account(admin, account_id)
    if learner.role != "learner":
        raise InvalidInput(N_("Only learners belong to one class."))
    if not class_id:
        raise InvalidInput(N_("Choose the class to move them to."), field="class_id")
    target = school_class(admin, class_id)
    if learner.classroom_id == target.id:
        raise InvalidInput(N_("%(learner)s is already in %(classroom)s."), field="class_id",
                           learner=learner.display_name, classroom=target.name)
    with database.atomic():
        Account.update(classroom=target, version=Account.version + 1, updated_at=utcnow(),
                       updated_by=device_id()).where(Account.id == learner.id).execute()
        record(admin, "move_learner", account_id=learner.id, username=learner.username,
               from_class=learner.classroom_id, to_class=target.id)
    return Account.get_by_id(learner.id)


def taught_classes(admin: Account, coach: Account) -> list[Classroom]:
    """The classes of the school this coach teaches, by name."""
    taught = {row.classroom_id for row in CoachClass.select(CoachClass.classroom).where(CoachClass.coach == coach.id)}
    return [c for c in school_classes(admin) if c.id in taught]


def set_teaching(admin: Account, account_id: str, class_id: str, teaches: bool) -> tuple[Account, Classroom]:
    """Let a coach teach a class (they see it at once) or take them off it; learners' work is unchanged."""
    coach = school_account(admin, account_id)
    if coach.role != "coach":
        raise InvalidInput(N_("Only coaches teach classes. A learner belongs to one class: use Move."))
    if not class_id:
        raise InvalidInput(N_("Choose a class."), field="teach_class")
    classroom = school_class(admin, class_id)
    link = (CoachClass.coach == coach.id) & (CoachClass.classroom == classroom.id)
    with database.atomic():
        if teaches:
            if CoachClass.select().where(link).exists():
                raise InvalidInput(N_("%(coach)s already teaches %(classroom)s."), field="teach_class",
                                   coach=coach.display_name, classroom=classroom.name)
            CoachClass.create(coach=coach, classroom=classroom)
        elif not CoachClass.delete().where(link).execute():
            raise InvalidInput(N_("%(coach)s does not teach %(classroom)s."), field="teach_class",
                               coach=coach.display_name, classroom=classroom.name)
        record(admin, "add_coach" if teaches else "remove_coach", account_id=coach.id, username=coach.username,
               class_id=classroom.id)
    return coach, classroom


def make_pin() -> str:
    """A random 4-digit PIN that is not an easy one (spreadsheet imports)."""
    return pins.make_pin(4)


def set_pin_length(admin: Account, class_id: str, length: str) -> Classroom:
    """Require PINs of at least `length` digits in a class (for PINs given from now on)."""
    classroom = school_class(admin, class_id)
    if not str(length).isdigit() or int(length) not in pins.PIN_LENGTHS:
        raise InvalidInput(N_("Choose 4, 6 or 8 digits."), field="pin_length")
    with database.atomic():
        Classroom.update(pin_length=int(length)).where(Classroom.id == classroom.id).execute()
        record(admin, "pin_length", class_id=classroom.id, length=int(length))
    return school_class(admin, class_id)


def import_accounts(admin: Account, filename: str, data: bytes, default_class_id: str = "") -> ImportResult:
    """Check every row of an uploaded CSV; if none has an error, create all its accounts at once."""
    header, rows = read_rows(decode_upload(data))
    classes = {c.name.lower(): c for c in school_classes(admin)}
    default = school_class(admin, default_class_id).name if default_class_id else None
    taken = {a.username for a in Account.select(Account.username)}
    plan = plan_import(header, rows, taken, {k: c.name for k, c in classes.items()}, default, make_pin)
    if plan.has_errors:
        return ImportResult(plan, [], filename)
    hashes = [auth.hash_secret(p.secret, is_pin=p.role == "learner") for p in plan.accounts]  # slow: outside the write lock
    with database.atomic():
        if Account.select().where(Account.username.in_([p.username for p in plan.accounts])).exists():
            raise InvalidInput(N_("Someone created one of these usernames a moment ago. Please upload the file again."))
        created = [_write_account(admin, p, h, classes) for p, h in zip(plan.accounts, hashes)]
        cards = sum(p.secret_made_up for p in plan.accounts)  # PINs shown on cards: the checklist's "cards" step
        record(admin, "import_accounts", file=filename[:200], count=len(created),
               usernames=[a.username for a in created], **({"cards": cards} if cards else {}))
    return ImportResult(plan, created, filename)


def _write_account(admin: Account, planned, password_hash: str, classes: dict) -> Account:
    classroom = classes[planned.class_name.lower()] if planned.class_name else None
    account = Account.create(id=str(uuid.uuid4()), school=admin.school_id, username=planned.username,
                             display_name=planned.name, role=planned.role, password_hash=password_hash,
                             classroom=classroom if planned.role == "learner" else None)
    if planned.role == "coach" and classroom is not None:
        CoachClass.create(coach=account, classroom=classroom)
    return account


def admin_home(admin: Account) -> AdminHome:
    """The admin's start page: classes with their sizes, head counts, the latest actions."""
    counts = dict(Account.select(Account.role, fn.COUNT(Account.id)).where(
        (Account.school == admin.school_id) & ~Account.deleted).group_by(Account.role).tuples())
    return AdminHome(admin.school.name, classes_for(admin), counts.get("coach", 0), counts.get("learner", 0),
                     audit_log(admin, limit=5))


def audit_log(admin: Account, limit: int = 200) -> list[AuditLine]:
    """The newest audit entries of the admin's school, in words."""
    staff = {a.id: a.display_name for a in Account.select(Account.id, Account.display_name).where(
        (Account.school == admin.school_id) & Account.role.in_(("admin", "coach")))}
    class_names = {c.id: c.name for c in Classroom.select(Classroom.id, Classroom.name).where(
        Classroom.school == admin.school_id)}
    entries = (AuditEntry.select().where(AuditEntry.actor.in_(list(staff)))
               .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    return [AuditLine(e.at, staff.get(e.actor, "?"), ACTIONS.get(e.action, e.action),
                      detail_parts(e.detail, class_names)) for e in entries]


DETAIL_LABELS = {  # audit detail key -> its label on the log page (translated when shown)
    "username": N_("username"), "usernames": N_("usernames"), "role": N_("role"), "class_id": N_("class"),
    "name": N_("name"), "file": N_("file"), "count": N_("count"), "cards": N_("cards"),
    "from_class": N_("from class"), "to_class": N_("to class"), "symbol": N_("symbol"), "length": N_("length"),
    "key_id": N_("key"), "group": N_("group"), "size": N_("size"), "to": N_("to"), "pack": N_("pack"),
    "work": N_("work"), "due": N_("due"),
}


def detail_parts(detail: dict, class_names: dict[str, str]) -> list[tuple[str, str]]:
    """An audit entry's details as (label to translate, value): class ids become class names; account ids
    are left out."""
    parts = []
    for key, value in detail.items():
        if key in ("account_id",) or value in (None, "", []):
            continue
        if key.endswith("class") or key == "class_id":
            value = class_names.get(value, value)
        elif isinstance(value, list):
            value = ", ".join(map(str, value[:20])) + (f" … (+{len(value) - 20})" if len(value) > 20 else "")
        parts.append((DETAIL_LABELS.get(key, key.replace("_id", "").replace("_", " ")), str(value)))
    return parts


def describe_detail(detail: dict, class_names: dict[str, str]) -> str:
    """An audit entry's details in English words (for tests and logs)."""
    return "; ".join(f"{label}: {value}" for label, value in detail_parts(detail, class_names))

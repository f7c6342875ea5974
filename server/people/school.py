"""Creating the school, its classes and accounts (used by setup, the demo and admin pages)."""
import re
import uuid

from server.people.auth import hash_secret
from server.db import database
from server.errors import InvalidInput
from server.i18n import N_
from server.models import Account, Classroom, CoachClass, School

ROLES = ("learner", "coach", "admin", "operator")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}\Z")


def the_school() -> School | None:
    """The school this server belongs to (None before setup)."""
    return School.select().where(~School.deleted).first()


def create_school(name: str, language: str = "en", is_demo: bool = False) -> School:
    """Create the school record."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput(N_("Please give the school a name."), field="name")
    return School.create(id=str(uuid.uuid4()), name=name, language=language, is_demo=is_demo)


def create_class(school: School, name: str) -> Classroom:
    """Create a class in the school."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput(N_("Please give the class a name."), field="name")
    return Classroom.create(id=str(uuid.uuid4()), school=school, name=name)


def create_account(school: School, role: str, username: str, display_name: str, secret: str,
                   classroom: Classroom | None = None) -> Account:
    """Create an account; learners need a PIN of 4+ digits, others a password of 8+ characters."""
    username = (username or "").strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}.", field="role")
    if not USERNAME.match(username):
        raise InvalidInput(N_("A username has 2-64 lowercase letters, digits, '.', '_' or '-'."), field="username")
    if Account.select().where(Account.username == username).exists():
        raise InvalidInput(N_("The username “%(username)s” is taken."), field="username", username=username)
    if role == "learner" and not (secret.isdigit() and 4 <= len(secret) <= 12):
        raise InvalidInput(N_("A learner's PIN has 4 to 12 digits."), field="password")
    if role != "learner" and len(secret) < 8:
        raise InvalidInput(N_("A password needs at least 8 characters."), field="password")
    with database.atomic():
        account = Account.create(id=str(uuid.uuid4()), school=school, username=username,
                                 display_name=(display_name or username).strip()[:100], role=role,
                                 password_hash=hash_secret(secret, is_pin=role == "learner"),
                                 classroom=classroom if role == "learner" else None)
        if role == "coach" and classroom is not None:
            CoachClass.create(coach=account, classroom=classroom)
    return account

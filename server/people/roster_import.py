"""Planning an account import from a spreadsheet (pure): every row checked before anything is written.

Columns (any order, case ignored): `name` (required), `username`, `pin`, `class`, `role`.
A missing username is made from the name (juma.hassan, juma.hassan2 …); a learner's missing
PIN is made up and shown once on the results page. Each problem names its spreadsheet row.
`server.people.admin.import_accounts` writes the plan only when no row has an error.
"""
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from server.people.pins import is_easy
from server.people.csv_files import FORMULA_START
from server.people.school import USERNAME

COLUMNS = {"name": "name", "full name": "name", "display name": "name", "learner": "name", "nom": "name",
           "jina": "name", "username": "username", "user name": "username", "user": "username",
           "login": "username", "pin": "pin", "password": "pin", "class": "class", "classroom": "class",
           "classe": "class", "darasa": "class", "role": "role"}
ROLES = ("learner", "coach")


@dataclass(frozen=True)
class PlannedAccount:
    row: int
    name: str
    username: str
    secret: str
    class_name: str | None
    role: str
    secret_made_up: bool


@dataclass(frozen=True)
class RowMessage:
    row: int
    text: str
    is_error: bool


@dataclass
class ImportPlan:
    accounts: list[PlannedAccount] = field(default_factory=list)
    messages: list[RowMessage] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(m.is_error for m in self.messages)

    def error(self, row: int, text: str) -> None:
        self.messages.append(RowMessage(row, text, True))

    def note(self, row: int, text: str) -> None:
        self.messages.append(RowMessage(row, text, False))


def username_from(name: str) -> str:
    """A username made from a name: accents dropped, lowercase, words joined by dots."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = ".".join(re.findall(r"[a-z0-9]+", folded))[:56].strip(".")
    return base if len(base) >= 2 else "learner"


def plan_import(header: list[str], rows: list[tuple[int, list[str]]], taken: set[str],
                classes: dict[str, str], default_class: str | None,
                make_pin: Callable[[], str]) -> ImportPlan:
    """Check every row; `taken` holds existing usernames, `classes` maps lowercase names to names."""
    plan = ImportPlan()
    columns = {COLUMNS[h.lower()]: i for i, h in reversed(list(enumerate(header))) if h.lower() in COLUMNS}
    if "name" not in columns:
        plan.error(1, "The first row must name the columns, for example: name, username, pin, class.")
        return plan
    if not rows:
        plan.error(2, "The file has no rows of people under the column names.")
    ignored = [h for h in header if h and h.lower() not in COLUMNS]
    if ignored:
        plan.note(1, f"These columns are not used: {', '.join(ignored)}.")
    used = dict.fromkeys(taken, 0)  # username -> row it came from (0: already on the server)
    names: dict[str, int] = {}
    for number, cells in rows:
        value = {key: (cells[i].strip() if i < len(cells) else "") for key, i in columns.items()}
        _plan_row(plan, number, value, used, names, classes, default_class, make_pin)
    return plan


def _plan_row(plan: ImportPlan, row: int, value: dict, used: dict, names: dict, classes: dict,
              default_class: str | None, make_pin) -> None:
    problems = []
    name, role = " ".join(value.get("name", "").split()), (value.get("role") or "learner").lower()
    if not name:
        problems.append("the name is empty")
    elif name.startswith(FORMULA_START):
        problems.append(f"the name starts with “{name[0]}”, which spreadsheets treat as a formula")
    elif len(name) > 100:
        problems.append("the name is longer than 100 characters")
    if role not in ROLES:
        problems.append(f"the role must be learner or coach, not “{role[:20]}”")
    username = _username(value.get("username", "").lower(), name, row, used, problems, plan)
    secret, made_up = _secret(value.get("pin", ""), role, make_pin, problems)
    class_name = _class_name(value.get("class", ""), role, classes, default_class, problems)
    if problems:
        text = "; ".join(problems)
        plan.error(row, text[0].upper() + text[1:] + ".")
        return
    if name.lower() in names:
        plan.note(row, f"{name} has the same name as row {names[name.lower()]}; "
                       f"they are told apart by username ({username}).")
    names.setdefault(name.lower(), row)
    plan.accounts.append(PlannedAccount(row, name, username, secret, class_name, role, made_up))


def _username(given: str, name: str, row: int, used: dict, problems: list, plan: ImportPlan) -> str:
    if given:
        if not USERNAME.match(given):
            problems.append(f"the username “{given[:30]}” must be 2-64 lowercase letters, digits, '.', '_' or '-'")
        elif given in used:
            where = f"row {used[given]}" if used[given] else "an account already on this server"
            problems.append(f"the username “{given}” is already used by {where}")
        else:
            used[given] = row
        return given
    base = username_from(name) if name else ""
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}{n}"
    if base:
        used[candidate] = row
    return candidate


def _secret(given: str, role: str, make_pin, problems: list) -> tuple[str, bool]:
    if role == "coach":
        if len(given) < 8:
            problems.append("a coach needs a password of at least 8 characters in the pin column")
        return given, False
    if not given:
        return make_pin(), True
    if not (given.isdigit() and given.isascii() and 4 <= len(given) <= 12):
        hint = " (a spreadsheet may have dropped a leading 0)" if given.isdigit() and len(given) < 4 else ""
        problems.append(f"the PIN must be 4 to 12 digits{hint}")
    elif is_easy(given):
        problems.append(f"the PIN {given} is one of the first a guesser would try: choose another, or leave it "
                        "empty for a random one")
    return given, False


def _class_name(given: str, role: str, classes: dict, default_class: str | None, problems: list) -> str | None:
    if not given:
        if role == "learner" and not default_class:
            problems.append("no class is given: fill in the class column, or choose a class for the whole file")
        return default_class if role == "learner" else None
    if given.lower() not in classes:
        known = ", ".join(sorted(classes.values())) or "none yet"
        problems.append(f"there is no class called “{given[:40]}” (classes: {known})")
        return None
    return classes[given.lower()]

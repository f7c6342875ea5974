"""First run: naming the school and creating the first admin, in the browser."""
from server.db import database
from server.errors import InvalidInput
from server.models import Account
from server.people.school import create_account, create_school, the_school

LANGUAGES = [("en", "English"), ("fr", "Français"), ("sw", "Kiswahili"), ("es", "Español"), ("ar", "العربية")]


def needs_setup() -> bool:
    """True until the school exists."""
    return the_school() is None


def complete_setup(form, role: str = "school") -> Account:
    """Create the school (or district) and its first admin (or hub operator) from the setup form."""
    if not needs_setup():
        raise InvalidInput("This server is already set up. Sign in as an administrator instead.")
    language = form.get("language", "en")
    if language not in {code for code, _ in LANGUAGES}:
        raise InvalidInput("Please choose the school's language from the list.", field="language")
    password = form.get("password", "")
    if password != form.get("password2", ""):
        raise InvalidInput("The two passwords are not the same.", field="password2")
    with database.atomic():
        school = create_school(form.get("school_name", ""), language)
        return create_account(school, "operator" if role == "hub" else "admin", form.get("username", ""),
                              form.get("display_name", ""), password)

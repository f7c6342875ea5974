"""Learner profiles (language, interests, accessibility, weekly goal) and sign-in rosters."""
from datetime import timedelta

from server.db import database
from server.errors import InvalidInput, NotFound
from server.i18n import N_
from server.models import Account, Answer, Classroom
from server.models.base import utcnow
from server.learning.progress import record_event
from server.people.symbols import SignInTile, signin_tiles

CHOICES = {
    "language": [("", "School default"), ("en", "English"), ("fr", "Français"), ("sw", "Kiswahili"),
                 ("es", "Español"), ("ar", "العربية")],
    "text_size": [("normal", "Normal"), ("large", "Large"), ("larger", "Larger")],
    "interests": ["mathematics", "health", "science", "reading", "computing", "farming", "music"],
}
DEFAULTS = {"language": "", "interests": [], "text_size": "normal", "high_contrast": False,
            "more_spacing": False, "reduced_motion": False, "captions": True, "low_data": False,
            "weekly_goal": 50}


def profile_of(account: Account) -> dict:
    """The account's profile with defaults filled in."""
    return {**DEFAULTS, **(account.profile or {})}


def update_profile(account: Account, form) -> dict:
    """Validate and save a profile form; a changed weekly goal is recorded as an event."""
    profile = profile_of(account)
    language = form.get("language", "")
    if language not in {code for code, _ in CHOICES["language"]}:
        raise InvalidInput(N_("Please choose a language from the list."), field="language")
    size = form.get("text_size", "normal")
    if size not in {code for code, _ in CHOICES["text_size"]}:
        raise InvalidInput(N_("Please choose a text size from the list."), field="text_size")
    try:
        goal = int(form.get("weekly_goal", profile["weekly_goal"]))
    except ValueError:
        raise InvalidInput(N_("The weekly goal must be a number of answers, like 50."), field="weekly_goal") from None
    if not 1 <= goal <= 1000:
        raise InvalidInput(N_("The weekly goal must be between 1 and 1000 answers."), field="weekly_goal")
    new = {**profile, "language": language, "text_size": size, "weekly_goal": goal,
           "interests": [i for i in form.getlist("interests") if i in CHOICES["interests"]]}
    for flag in ("high_contrast", "more_spacing", "reduced_motion", "captions", "low_data"):
        new[flag] = form.get(flag) == "on"
    with database.atomic():
        if goal != profile["weekly_goal"]:
            record_event(account.id, "goal_set", {"weekly_answers": goal})
        account.profile = new
        account.version += 1
        account.updated_at = utcnow()
        account.save()
    return new


def body_classes(profile: dict) -> str:
    """CSS classes on <body> that apply the accessibility preferences."""
    classes = [f"text-{profile['text_size']}"] if profile.get("text_size", "normal") != "normal" else []
    classes += [name.replace("_", "-") for name in ("high_contrast", "more_spacing", "reduced_motion")
                if profile.get(name)]
    return " ".join(classes)


def weekly_progress(account: Account) -> tuple[int, int]:
    """(answers in the last 7 days, weekly goal)."""
    since = utcnow() - timedelta(days=7)
    done = Answer.select().where((Answer.learner_id == account.id) & (Answer.answered_at >= since)).count()
    return done, profile_of(account)["weekly_goal"]


def classes_for_signin() -> list[Classroom]:
    """Classes learners can pick on the sign-in page."""
    return list(Classroom.select().where(~Classroom.deleted).order_by(Classroom.name))


def class_roster(class_id: str) -> tuple[Classroom, list[SignInTile]]:
    """A class and its learners' sign-in tiles (names, symbols; learners who share a name told apart)."""
    classroom = Classroom.get_or_none((Classroom.id == class_id) & ~Classroom.deleted)
    if classroom is None:
        raise NotFound(N_("This class does not exist."))
    return classroom, signin_tiles(_learners_of(classroom))


def learner_for_signin(username: str) -> tuple[Classroom, SignInTile] | None:
    """The class and tile of the learner with this username (for the PIN page's greeting), if any."""
    learner = Account.get_or_none((Account.username == (username or "").strip().lower()[:64])
                                  & (Account.role == "learner") & ~Account.deleted)
    if learner is None or learner.classroom_id is None:
        return None
    classroom = Classroom.get_or_none((Classroom.id == learner.classroom_id) & ~Classroom.deleted)
    if classroom is None:
        return None
    tiles = signin_tiles(_learners_of(classroom))
    return classroom, next(t for t in tiles if t.username == learner.username)


def set_language(account: Account, code: str) -> None:
    """Save the interface language the person chose with the footer switch (their own choice wins)."""
    if code not in {c for c, _ in CHOICES["language"]} or (account.profile or {}).get("language") == code:
        return
    Account.update(profile={**(account.profile or {}), "language": code}, version=Account.version + 1,
                   updated_at=utcnow()).where(Account.id == account.id).execute()


def _learners_of(classroom: Classroom) -> list[Account]:
    return list(Account.select(Account.username, Account.display_name, Account.profile)
                .where((Account.classroom == classroom) & (Account.role == "learner") & ~Account.deleted)
                .order_by(Account.display_name))

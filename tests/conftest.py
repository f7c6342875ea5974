"""Shared fixtures: real temp data folders, real SQLite files, the third-party corpus."""
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]


def _find_corpus() -> Path:
    """../shared/corpus beside the checkout (or beside a worktree's folder), or LANTERN_CORPUS."""
    if os.environ.get("LANTERN_CORPUS"):
        return Path(os.environ["LANTERN_CORPUS"])
    candidates = [REPO.parent / "shared" / "corpus", REPO.parent.parent / "shared" / "corpus"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


CORPUS = _find_corpus()

# Hypothesis: the suite (and CI) runs the `ci` profile, derandomized: the same examples on every run, so a
# red build is reproducible and a green one is not luck. The longer search is its own command (README):
#     HYPOTHESIS_PROFILE=fuzz .venv/bin/python -m pytest -m fuzz
# which runs FUZZ_FACTOR times the examples of each test with fresh randomness (and keeps failures found in
# .hypothesis/ so they replay).
FUZZ_FACTOR = 20
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, deadline=None, print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """A test's number of Hypothesis examples: `n` in the suite, FUZZ_FACTOR times more in the fuzz run."""
    return n * FUZZ_FACTOR if PROFILE == "fuzz" else n


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared third-party corpus (../shared/corpus); tests skip clearly when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"third-party corpus not found at {CORPUS} (it ships in ../shared/corpus)")
    return CORPUS


@pytest.fixture
def config(tmp_path, request):
    """A config for a fresh data folder with a real SQLite file.

    For a test that uses `demo_app`, the folder starts as a copy of the demo data made once per session
    (school set up, bundled packs imported): copying it takes milliseconds, importing the packs seconds."""
    from server.config import load_config

    if "demo_app" in request.fixturenames:
        shutil.copytree(request.getfixturevalue("demo_data"), tmp_path / "data")
    return load_config(tmp_path / "data")


@pytest.fixture
def fresh_app(config):
    """The real app on a fresh data folder (migrations applied), before first-run setup."""
    from server import create_app

    application = create_app(config)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def app(fresh_app, request):
    """The real app on a fresh data folder, with its school set up (no people, no packs)."""
    from server.db import database
    from server.people.school import create_school

    if "demo_app" not in request.fixturenames:  # the demo data's copy has its school already
        with database.connection_context():
            create_school("Test School", "en")
    return fresh_app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def library(app):
    """The app's pack library, with a database connection open for direct calls."""
    from server.db import database
    from server.content.packs.install import Library

    with database.connection_context():
        yield Library(app.config["DATA_DIR"], app.config["MIN_FREE_BYTES"])


@pytest.fixture(scope="session")
def built_packs(tmp_path_factory) -> dict[str, Path]:
    """The bundled content packs, built once per test session: {source folder name: pack file}."""
    from server.cli.demo import bundled_sources
    from server.content.packs.build import build_pack

    out = tmp_path_factory.mktemp("packs")
    return {src.name: build_pack(src, out / f"{src.name}.lantern").path for src in bundled_sources()}


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory, built_packs) -> Path:
    """A data folder made once per session exactly as `app` and then `demo_app` made it for each test:
    the school set up and every bundled pack imported. Tests get a copy (see `config`), never this one."""
    from server import create_app
    from server.config import load_config
    from server.content.packs.install import Library, import_pack
    from server.db import database
    from server.people.school import create_school

    folder = tmp_path_factory.mktemp("demo-data") / "data"
    config = load_config(folder)
    create_app(config)
    with database.connection_context():
        create_school("Test School", "en")
        library = Library(config["DATA_DIR"], config["MIN_FREE_BYTES"])
        for path in built_packs.values():
            import_pack(path, library, progress=lambda _: None)
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    return folder


@pytest.fixture
def demo_app(app, library):
    """An app with every bundled pack imported (on a copy of `demo_data`)."""
    return app


def copy_tree(src: Path, dest: Path) -> Path:
    """Copy a folder (for tests that modify a pack source)."""
    shutil.copytree(src, dest)
    return dest


@pytest.fixture
def people(app):
    """The demo school's people (class, learners, coach, admin) on the fresh database."""
    from server.db import database
    from server.cli.demo import _ensure_people
    from server.models import Account

    with database.connection_context():
        _ensure_people()
        return {a.username: a for a in Account.select()}


class Browser:
    """A test client signed in as one account, that adds the CSRF token to every form post."""

    def __init__(self, app, account=None):
        from server.people import auth
        from server.db import database
        from server.web.access import SESSION_COOKIE

        self.app, self.client, self.account = app, app.test_client(), account
        self.csrf = None
        if account is not None:
            with database.connection_context():
                token = auth.start_session(account)
            self.client.set_cookie(SESSION_COOKIE, token)
            self.csrf = auth.csrf_token(app.config["SECRET_KEY"], "s:" + token)

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        if self.csrf is None:
            import re
            html = self.client.get("/signin").get_data(as_text=True)
            self.csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        data.setdefault("csrf", self.csrf)
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def browser_for(app, people):
    """Make a Browser signed in as a demo username (or anonymous with None)."""
    return lambda username=None: Browser(app, people[username] if username else None)


# --- a class with people in it (coach, discussion and buddy tests) ----------------------------------------

CLASS_SKILL = "fraction-meaning"  # the fractions pack's first skill: never locked


@pytest.fixture
def class_id(demo_app, people):
    """The demo school's "Class 5"."""
    from server.db import database
    from server.models import Classroom

    with database.connection_context():
        return Classroom.get(Classroom.name == "Class 5").id


@pytest.fixture
def other_class(demo_app, people):
    """A second class, "Class 6", with its own coach and learner (who must not see Class 5)."""
    from server.db import database
    from server.people.school import create_account, create_class, the_school

    with database.connection_context():
        school = the_school()
        classroom = create_class(school, "Class 6")
        coach = create_account(school, "coach", "mwalimu-juma", "Mwalimu Juma", "other-coach-pw", classroom)
        learner = create_account(school, "learner", "halima", "Halima", "9876", classroom)
    return {"class_id": classroom.id, "coach": coach, "learner": learner}


def answer_in_practice(browser, item_id, correct=True, fields_override=None, skill=CLASS_SKILL):
    """Answer one given question of the fractions pack through the practice pages, like a learner's phone."""
    from server.db import database
    from server.models import Item, PackVersion
    from tests.factories import correct_response, form_fields, wrong_response

    page = browser.get(f"/practice/fractions/{skill}?item={item_id}")
    assert page.status_code == 200
    fields = form_fields(page.get_data(as_text=True))
    with database.connection_context():
        item = Item.select().join(PackVersion).where(PackVersion.is_active & (PackVersion.pack_id == "fractions")
                                                     & (Item.item_id == item_id)).get().data
    response = fields_override or (correct_response(item) if correct else wrong_response(item))
    posted = browser.post(f"/practice/fractions/{skill}", data={**fields, **response})
    assert posted.status_code == 303


@pytest.fixture
def stuck_and_mastered(demo_app, browser_for):
    """Amina masters the first skill (4 right in a row, on two different questions: the evidence rule);
    Juma gets 4 wrong in a row on it."""
    amina, juma = browser_for("amina"), browser_for("juma")
    for item in ("pw-equal-loaves", "pw-equal-loaves", "pw-equal-loaves", "pw-halves-of-things"):
        answer_in_practice(amina, item, correct=True)
    for _ in range(4):
        answer_in_practice(juma, "pw-equal-loaves", correct=False)
    return amina, juma


def pytest_collection_modifyitems(items):
    """Mark every Hypothesis test `fuzz`, so the fuzz run can select them (`-m fuzz`)."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.fuzz)

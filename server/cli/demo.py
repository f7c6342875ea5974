"""The demo school: bundled packs imported (and a one-lesson video pack the demo draws itself), a class of
learners, a coach and an admin, and some classwork (server.cli.demo_activity)."""
import tempfile
from pathlib import Path

from server import shipped
from server.db import database
from server.models import Account
from server.content.packs.build import build_pack
from server.content.packs.install import Library, import_pack
from server.cli.demo_activity import ensure_activity
from server.people.school import create_account, create_class, create_school, the_school

BUNDLED = shipped("content_packs")
DEMO_LEARNERS = [("amina", "Amina", "1234"), ("juma", "Juma", "2345"), ("neema", "Neema", "3456"),
                 ("baraka", "Baraka", "4567"), ("zawadi", "Zawadi", "5678"), ("jean", "Jean", "6789")]
DEMO_STAFF = [("coach", "teacher", "Mwalimu Grace", "teacher-demo"), ("admin", "admin", "Head teacher", "admin-demo")]


def bundled_sources() -> list[Path]:
    """The source folders of the bundled packs."""
    return sorted(p for p in BUNDLED.iterdir() if (p / "pack.yaml").is_file())


def ensure_demo(config: dict) -> list[str]:
    """Create the demo school and import the bundled packs (idempotent); return lines to print."""
    library = Library(config["DATA_DIR"], config["MIN_FREE_BYTES"])
    lines = []
    with database.connection_context():
        with tempfile.TemporaryDirectory(prefix="lantern-demo-") as tmp:
            for src in bundled_sources():
                built = build_pack(src, Path(tmp) / f"{src.name}.lantern")
                lines.append(import_pack(built.path, library, progress=lambda _: None).summary)
        _ensure_people()
        ensure_activity(config["DATA_DIR"])
    lines.append("Demo accounts (sign in at /signin):")
    lines += [f"  learner {u} PIN {pin}" for u, _, pin in DEMO_LEARNERS[:2]]
    lines += [f"  {role} {u} password {pw}" for role, u, _, pw in DEMO_STAFF]
    return lines


def _ensure_people() -> None:
    if Account.select().where(Account.username == "admin").exists():
        return
    with database.atomic():
        school = the_school() or create_school("Lantern Demo School", "en", is_demo=True)
        classroom = create_class(school, "Class 5")
        for username, name, pin in DEMO_LEARNERS:
            create_account(school, "learner", username, name, pin, classroom)
        for role, username, name, password in DEMO_STAFF:
            create_account(school, role, username, name, password, classroom)

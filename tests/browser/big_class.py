"""Serve the demo school with Class 5 grown to 41 learners who have practised (real answer events), for the
checks of the coach's pages at class size (the mastery grid on a phone).

    python tests/browser/big_class.py DATA_DIR

Only the bundled packs are imported (no corpus fixtures), so it starts quickly. Prints
`LISTENING http://127.0.0.1:PORT/` like live_server.py, then serves until it is terminated.
"""
import sys
import uuid

import waitress

from server import create_app
from server.cli.demo import ensure_demo
from server.config import load_config
from server.db import database
from server.learning.progress import record_event
from server.models import Account, Classroom, Item, PackVersion

LEARNERS = 41
FIRST = ("Abdallah", "Bahati", "Chausiku", "Daudi", "Esther", "Faraji", "Grace", "Halima", "Imani", "Jabari",
         "Kheri", "Lulu", "Mosi", "Nuru", "Omari", "Pendo", "Rehema", "Saida", "Tumaini", "Upendo")
LAST = ("Mwakilema", "Njoroge", "Ochieng", "Kiprotich", "Wanjiru", "Hassan", "Mohamed")
SKILLS = ("fraction-meaning", "naming-fractions")
FAMILY_LANGUAGES = ("ar", "sw", "fr", "es")  # the first four new learners' families read these (profile)


def _items(skill_id: str) -> list[str]:
    pack = PackVersion.get(PackVersion.is_active & (PackVersion.pack_id == "fractions"))
    return [i.item_id for i in Item.select(Item.item_id).where((Item.pack_version == pack) & (Item.skill_id == skill_id)
                                                                & (Item.kind != "essay")).order_by(Item.position)]


def _answer(learner_id: str, skill_id: str, item_id: str, correct: bool) -> None:
    record_event(learner_id, "answer", {"pack_id": "fractions", "item_id": item_id, "skill_id": skill_id,
                                        "correct": correct, "score": 1.0 if correct else 0.0,
                                        "response": '{"answer": "0"}'})


def grow_class(total: int = LEARNERS) -> None:
    """Add learners to Class 5 up to `total`, each with a pattern of answers (none, a few, stuck, mastered);
    four of them with a family language other than the school's."""
    classroom = Classroom.get(Classroom.name == "Class 5")
    have = Account.select().where((Account.classroom == classroom) & (Account.role == "learner")).count()
    items = {skill: _items(skill) for skill in SKILLS}
    for n in range(total - have):
        learner = Account.create(id=str(uuid.uuid4()), school=classroom.school, username=f"big{n:02d}",
                                 display_name=f"{FIRST[n % len(FIRST)]} {LAST[n % len(LAST)]}", role="learner",
                                 password_hash="x", classroom=classroom,
                                 profile={"language": FAMILY_LANGUAGES[n]} if n < len(FAMILY_LANGUAGES) else {})
        pattern = n % 5
        if pattern == 1:  # a few answers: in progress
            for k, correct in enumerate((True, False, True)):
                _answer(learner.id, SKILLS[0], items[SKILLS[0]][k % len(items[SKILLS[0]])], correct)
        elif pattern == 2:  # stuck: wrong in a row
            for _ in range(4):
                _answer(learner.id, SKILLS[0], items[SKILLS[0]][0], False)
        elif pattern in (3, 4):  # mastered the first skill, then started the second
            for k in range(8):
                _answer(learner.id, SKILLS[0], items[SKILLS[0]][k % len(items[SKILLS[0]])], True)
            for k in range(pattern - 1):
                _answer(learner.id, SKILLS[1], items[SKILLS[1]][k], k % 2 == 0)


def main(data_dir: str) -> None:
    """Create the demo school in DATA_DIR with a class of 41, and serve it on an ephemeral loopback port."""
    config = load_config(data_dir, DEMO=True)
    app = create_app(config)
    ensure_demo(config)
    with database.connection_context():
        grow_class()
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, ident="Lantern",
                                    clear_untrusted_proxy_headers=True)
    print(f"LISTENING http://127.0.0.1:{server.effective_port}/", flush=True)
    server.run()


if __name__ == "__main__":
    main(*sys.argv[1:])

"""The server's policy in the learning simulator: the same code path as a live request, on a temp data folder.

Only public server functions are used (the model behind them is being rewritten, so nothing else is
relied on): `packs.install.import_pack`, `people.school.create_school`, `models.base.set_clock`,
`learning.recommend.suggest` ("What next"), `learning.practice.skill_statuses`, `next_question`,
`question_for_item` (the "Try again" after a miss) and `record_answer` with a form as the practice page
posts it. A skill counts as mastered when its state is 'mastered' or 'review_due'; any other state
(locked, new, in_progress, refresh, ...) does not.

How the simulated learner moves: they stay on a skill (as the practice page keeps offering its next
question) until the server shows it mastered, or it locks; then, and at the start of each school day, they
open "What next" and follow its first practice suggestion; if it offers none (it may offer a lesson first),
the first unlocked skill not shown as mastered. After full mastery, a "What next" that offers no practice
while a review is due or a skill is no longer shown as mastered is counted ("no practice offered"). During the
30 days after full mastery they follow only "What next"'s practice on skills not plainly 'mastered' (due
reviews, refreshes; not optional "keep it fresh" practice on a mastered skill), up to 20 answers a day.

Decisions: SQLite with synchronous=OFF on /dev/shm (when present): this is a simulation, not a school, and
durability costs most of the time otherwise. Learners are created as the bench fixtures create them (one
Argon2 hash shared), since signing in is not simulated.
"""
import shutil
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from bench.sim_truth import TruthItem

MASTERED_STATES = ("mastered", "review_due")
BASE_DATE = datetime(2027, 1, 4)  # a Monday; day 0 of the simulation
PIN = "2468"


def scratch_root() -> Path | None:
    """Where to put the simulation's data folders: tmpfs when there is one."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() else None


class ServerPolicy:
    """The server's own choice of skill and item, mastery and reviews, driven in-process."""

    name = "server"
    has_reviews = True

    def __init__(self, graph, clock, learners: int, data_dir: Path | None = None):
        self.graph, self.clock = graph, clock
        self.made_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="lantern-sim-", dir=scratch_root()))
        self.accounts = _setup(self.data_dir, graph, learners, clock)
        self.pack_id = graph.pack_id
        self._practised = {s.skill_id for s in graph.practised}

    def start(self, n: int, seed: int) -> dict:
        """A learner's state: their account, the skill they are on, the statuses after the last answer."""
        from server.models import Account

        account = Account.get_by_id(self.accounts[n])
        st = {"account": account, "current": None, "attempt": None, "fallbacks": 0}
        st["states"] = self._states(st)
        return st

    def day_start(self, st: dict) -> None:
        """A new day: the learner opens "What next" again before practising (reviews may have come due)."""
        st["current"] = None
        st["states"] = self._states(st)

    def next_item(self, st: dict) -> TruthItem | None:
        """The server's next question, on the current skill or on "What next"'s first practice suggestion."""
        return self._question(st, review=False)

    def review_item(self, st: dict) -> TruthItem | None:
        """After full mastery: only what "What next" offers as practice."""
        return self._question(st, review=True)

    def _question(self, st: dict, review: bool) -> TruthItem | None:
        from server.errors import LanternError
        from server.learning import practice

        for _ in range(3):
            skill_id = st["current"] if self._still_on(st) else self._choose(st, review)
            if skill_id is None:
                return None
            st["current"] = skill_id
            try:
                question = practice.next_question(st["account"].id, self.pack_id, skill_id)
            except LanternError:
                st["current"], st["states"] = None, self._states(st)
                continue
            st["attempt"] = question.attempt_id
            return self._truth_item(question.item.item_id)
        return None

    def _still_on(self, st: dict) -> bool:
        current = st["current"]
        return current is not None and st["states"].get(current) not in ("mastered", "locked", None)

    def _choose(self, st: dict, review: bool) -> str | None:
        from server.learning.recommend import suggest

        prefix = f"/practice/{self.pack_id}/"
        for suggestion in suggest(st["account"]):
            if suggestion.url.startswith(prefix):
                skill_id = suggestion.url[len(prefix):].split("/")[0]
                if review and st["states"].get(skill_id) == "mastered":
                    continue  # after full mastery: reviews and refreshes, not optional extra practice
                if suggestion.kind == "keep_fresh":
                    continue  # while learning, the learner prefers the next new skill to keep-fresh practice
                return skill_id
        remaining = [sid for sid, state in st["states"].items() if state not in MASTERED_STATES + ("locked",)
                     and sid in self._practised]
        due = [sid for sid, state in st["states"].items() if state == "review_due"]
        if review and (remaining or due):  # while learning, a lesson first is a fine suggestion
            st["fallbacks"] += 1
        return remaining[0] if remaining else None

    def _truth_item(self, item_id: str) -> TruthItem:
        skill = self.graph.skill(self.graph.items[item_id]["skill"])
        return next(i for i in skill.items if i.item_id == item_id)

    def retry_allowed(self, st: dict, item: TruthItem) -> bool:
        """"Try again" is offered unless the skill is locked now (a miss can take a prerequisite back)."""
        return st["states"].get(item.skill_id) != "locked"

    def answered(self, st: dict, item: TruthItem, correct: bool, retry: bool) -> None:
        """Post the answer as the practice page would (a retry through question_for_item's new attempt)."""
        from server.learning import practice

        learner_id = st["account"].id
        attempt = st["attempt"]
        if retry:
            attempt = practice.question_for_item(learner_id, self.pack_id, item.item_id).attempt_id
        form = response_for(self.graph.items[item.item_id], correct)
        practice.record_answer(learner_id, self.pack_id, item.item_id, attempt, form)
        st["states"] = self._states(st)

    def _states(self, st: dict) -> dict:
        from server.content.library import get_pack
        from server.learning.practice import skill_statuses

        if st.get("pack") is None:  # the active version does not change during a run
            st["pack"] = get_pack(self.pack_id)
        return {s.skill_id: s.state for s in skill_statuses(st["account"].id, st["pack"])}

    def mastered(self, st: dict) -> set:
        """The skills the server shows as mastered ('mastered' or 'review_due')."""
        return {sid for sid, state in st["states"].items() if state in MASTERED_STATES}

    def predictions(self) -> tuple[list, int]:
        """(predicted, correct) of every answer event stored so far, and how many had no prediction."""
        from bench.sim_metrics import predictions_from_rows
        from server.models import Event

        return predictions_from_rows(e.payload for e in Event.select(Event.payload).where(Event.kind == "answer"))

    def finish(self) -> None:
        """Put the real clock back and remove the data folder this policy made."""
        from server.db import database
        from server.models.base import set_clock

        set_clock(None)
        if not database.is_closed():
            database.close()
        if self.made_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _setup(data_dir: Path, graph, learners: int, clock) -> list[str]:
    """Open the data folder, set the clock, create the school, install the pack, add learner accounts."""
    from server.config import load_config
    from server.content.packs.install import Library, import_pack
    from server.db import database, open_database
    from server.device.maintenance import prepare_data
    from server.models import Account
    from server.models.base import set_clock
    from server.people.auth import hash_secret
    from server.people.school import create_class, create_school

    config = load_config(data_dir)
    open_database(config["DATABASE"])
    prepare_data(config)
    database.connect(reuse_if_open=True)
    database.execute_sql("PRAGMA synchronous=OFF")
    set_clock(lambda: BASE_DATE + timedelta(days=clock.day))
    school = create_school("Simulated school", "en")
    import_pack(graph.pack_file, Library(config["DATA_DIR"]), progress=lambda _: None)
    classroom, hashed = create_class(school, "Simulated class"), hash_secret(PIN)
    ids = [str(uuid.UUID(int=n + 1)) for n in range(learners)]
    rows = [dict(id=i, school=school.id, username=f"sim{n:05d}", display_name=f"Learner {n}", role="learner",
                 password_hash=hashed, classroom=classroom.id) for n, i in enumerate(ids)]
    with database.atomic():
        for start in range(0, len(rows), 200):
            Account.insert_many(rows[start:start + 200]).execute()
    return ids


def response_for(item: dict, correct: bool) -> dict:
    """The form fields the practice page would post for a right (or a wrong) answer to this item."""
    kind, answers = item["kind"], item.get("answers", [])
    if kind == "single" or (kind == "fill" and item.get("input") == "choice"):
        best = max(range(len(answers)), key=lambda i: answers[i]["weight"])
        wrong = next((i for i, a in enumerate(answers) if a["weight"] < 0.999), 99)
        return {"answer": str(best if correct else wrong)}
    if kind == "multiple":
        if correct:
            return {"answer": [str(i) for i, a in enumerate(answers) if a["weight"] > 0]}
        return {"answer": [str(i) for i, a in enumerate(answers) if a["weight"] <= 0][:1] or ["99"]}
    if kind == "truefalse":
        right = next(a["value"] for a in answers if a["weight"] > 0)
        return {"answer": "true" if right == correct else "false"}
    if kind == "numeric":
        if not correct:
            return {"answer": "-987654"}
        best = next(a for a in answers if a.get("weight", 0) >= 0.999 and "any" not in a)
        return {"answer": str(best["value"] if "value" in best else best["min"])}
    if kind in ("short", "fill"):
        if not correct:
            return {"answer": "qqqq-not-an-answer"}
        return {"answer": next(a for a in answers if a["weight"] >= 0.999)["text"].replace("*", "x")}
    if kind == "matching":
        from server.content.quiz.grading import choices_for_display

        options, asked = choices_for_display(item), [p for p in item["pairs"] if p["left"]]
        return {f"match-{k}": str(options.index(p["right"])) if correct else "99" for k, p in enumerate(asked)}
    raise ValueError(f"cannot answer a {kind} item")

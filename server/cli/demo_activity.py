"""A demo class with something in it: a project the coach offered, a reviewed hand-in, a learner's question
(answered by a classmate) and a learner who keeps getting one skill wrong, so every coach page has
something to show.

Decisions:
* Everything goes through the same domain functions the pages call (offer, hand in, review, ask, answer,
  record an answer), so the demo's data is exactly what a real class would make.
* Amina and Juma, the accounts the demo prints, are left alone: their pages start empty for whoever
  tries them. Zawadi hands in, Neema asks, Jean answers, Baraka struggles.
* Written once: a demo data folder that already has the demo project is not touched again.
"""
import uuid
from pathlib import Path

from server.coaching import handins, projects
from server.learning import discussion
from server.learning.practice import record_answer
from server.models import Account, Classroom, Item, Lesson, PackVersion
from server.models.projects import Project

PROJECT = {"title": "Fractions at the market",
           "description": "Visit the market with a grown-up. Find three things sold in halves or quarters "
                          "(a loaf, a cabbage, a bunch of bananas) and write what each part costs.",
           "criteria": "Three things found\nEach part's price worked out"}
HAND_IN = ("Half a cabbage is 30 shillings, so a whole one is 60. A quarter of a loaf is 15 shillings. "
           "Half a bunch of bananas is 100.")
FEEDBACK = "Good prices, and clear working. Next time, check the quarter loaf: is 4 × 15 the whole price?"
QUESTION = "Why is 1/4 smaller than 1/2 when 4 is bigger than 2?"
ANSWER = "Because the chapati is shared by more people, so each piece is smaller."
STRUGGLING_ITEMS = ("pw-equal-loaves", "pw-halves-of-things", "pw-equal-loaves", "pw-halves-of-things",
                    "pw-equal-loaves")  # choice questions on the pack's first skill: a wrong choice each time
STRUGGLING_PACK = "fractions"


def ensure_activity(data_dir: Path) -> bool:
    """Give the demo class its project, hand-in, question and struggling learner (once); True if made now."""
    if Project.select().where(Project.title == PROJECT["title"]).exists():
        return False
    people = {a.username: a for a in Account.select().where(~Account.deleted)}
    classroom = Classroom.get(Classroom.name == "Class 5")
    coach = people["teacher"]
    _project_work(coach, people["zawadi"], classroom.id, data_dir)
    _question(people["neema"], people["jean"])
    _struggle(people["baraka"])
    return True


def _project_work(coach: Account, learner: Account, class_id: str, data_dir: Path) -> None:
    """The coach offers a project; the learner hands in work; the coach reviews it (finished)."""
    project = projects.offer_project(coach, class_id, PROJECT)
    work = handins.hand_in_project(learner, project.id, str(uuid.uuid4()), HAND_IN, handins.Files(None, None),
                                   data_dir)
    handins.review(coach, class_id, work.id, {"level-0": "got_it", "level-1": "getting_there",
                                              "feedback": FEEDBACK, "finished": "yes"})


def _question(asker: Account, helper: Account) -> None:
    """A learner asks about the first fractions lesson; a classmate answers."""
    pack = PackVersion.get((PackVersion.pack_id == STRUGGLING_PACK) & PackVersion.is_active)
    lesson_id = Lesson.select().where(Lesson.pack_version == pack).order_by(Lesson.position).first().lesson_id
    question = discussion.ask(asker, STRUGGLING_PACK, lesson_id, {"body": QUESTION})
    discussion.answer(helper, question.id, {"body": ANSWER})


def _struggle(learner: Account) -> None:
    """Wrong answers in a row on the first skill: the coach's overview lists the learner under needs help."""
    pack = PackVersion.get((PackVersion.pack_id == STRUGGLING_PACK) & PackVersion.is_active)
    for item_id in STRUGGLING_ITEMS:
        item = Item.get((Item.pack_version == pack) & (Item.item_id == item_id))
        wrong = next(n for n, answer in enumerate(item.data["answers"]) if answer["weight"] <= 0)
        record_answer(learner.id, STRUGGLING_PACK, item_id, str(uuid.uuid4()), {"answer": [str(wrong)]})

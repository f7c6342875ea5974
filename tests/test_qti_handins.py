"""A QTI extendedText item is an open question: the learner hands it in, a coach reviews it, and it is
never right-or-wrong evidence for mastery (neither before nor after the review), while a graded QTI
item on the same skill is."""
import re
import shutil
from pathlib import Path

import pytest

from server.db import database
from server.models import Answer, Event, SkillState
from server.models.projects import HandIn

IMS = Path("quizzes/qtiworks-qti21/items/ims")


@pytest.fixture
def postcard_pack(demo_app, library, corpus, tmp_path) -> dict[str, str]:
    """A pack.yaml source whose skill has a QTI essay (with its picture) and a graded QTI choice item."""
    from server.content.packs.build import build_pack
    from server.content.packs.install import import_pack

    src = tmp_path / "postcard-src"
    (src / "lessons").mkdir(parents=True)
    (src / "practice" / "images").mkdir(parents=True)
    for name in ("extended_text.xml", "choice.xml", "images/postcard.png", "images/sign.png"):
        shutil.copy(corpus / IMS / name, src / "practice" / name)
    (src / "pack.yaml").write_text(
        "format: 1\nid: postcards\nversion: 1.0.0\ntitle: Postcards\nlanguage: en\nlicence: CC0-1.0\n"
        "skills:\n  - {id: writing, title: Writing, prerequisites: []}\n"
        "units:\n  - id: u1\n    title: Writing\n    lessons: [lessons/01.md]\n    practice:\n"
        "      - {file: practice/extended_text.xml, format: qti21, skill: writing}\n"
        "      - {file: practice/choice.xml, format: qti21, skill: writing}\n", encoding="utf-8")
    (src / "lessons" / "01.md").write_text("---\nid: write\ntitle: Write\nskills: [writing]\n---\n\nWrite.\n")
    built = build_pack(src, tmp_path / "postcards.lantern")
    import_pack(built.path, library, progress=lambda _: None)
    return {item["kind"]: item["id"] for unit in built.manifest.units for item in unit.items}


def _rows(model, *where):
    with database.connection_context():
        return list(model.select().where(*where))


def _attempt(page: str) -> str:
    return re.search(r'name="attempt" value="([^"]+)"', page).group(1)


def test_an_extended_text_item_is_a_hand_in_the_coach_reviews(browser_for, people, postcard_pack):
    amina, teacher, essay = browser_for("amina"), browser_for("teacher"), postcard_pack["essay"]
    moved = amina.get(f"/practice/postcards/writing?item={essay}")  # never a practice question with a text box
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/open/postcards/{essay}")
    page = amina.get(f"/open/postcards/{essay}").get_data(as_text=True)
    assert "Write Sam a postcard. Answer the questions. Write 25-35 words." in page  # the interaction's prompt
    assert re.search(r'<img src="/media/[^"]+" alt="Here is a postcard of my town\.', page)  # the <object>
    sent = amina.post(f"/open/postcards/{essay}", data={"attempt": _attempt(page), "text": "Dear Sam, my town…"})
    assert sent.status_code == 303
    [work] = _rows(HandIn, HandIn.learner_id == people["amina"].id)
    assert (work.source, work.pack_id, work.item_id, work.text) == ("essay", "postcards", essay, "Dear Sam, my town…")
    class_id = people["amina"].classroom_id
    queue = teacher.get(f"/coach/classes/{class_id}/hand-ins").get_data(as_text=True)
    assert f"/hand-ins/{work.id}" in queue
    review = teacher.get(f"/coach/classes/{class_id}/hand-ins/{work.id}").get_data(as_text=True)
    assert "Write Sam a postcard" in review and "Dear Sam, my town…" in review
    teacher.post(f"/coach/classes/{class_id}/hand-ins/{work.id}", data={"feedback": "Say what size it is."})
    assert "Say what size it is." in amina.get(f"/open/postcards/{essay}").get_data(as_text=True)
    [reviewed] = _rows(HandIn, HandIn.id == work.id)
    assert reviewed.reviewed_at is not None


def test_an_extended_text_answer_is_no_evidence_for_mastery_before_or_after_review(browser_for, people,
                                                                                    postcard_pack):
    amina, teacher, essay = browser_for("amina"), browser_for("teacher"), postcard_pack["essay"]
    learner = people["amina"].id
    page = amina.get(f"/open/postcards/{essay}").get_data(as_text=True)
    amina.post(f"/open/postcards/{essay}", data={"attempt": _attempt(page), "text": "Dear Sam."})
    assert _rows(Answer, Answer.learner_id == learner) == [] and _rows(SkillState, SkillState.learner_id == learner) == []
    [work] = _rows(HandIn, HandIn.learner_id == learner)
    teacher.post(f"/coach/classes/{people['amina'].classroom_id}/hand-ins/{work.id}", data={"feedback": "Good."})
    assert _rows(Answer, Answer.learner_id == learner) == [] and _rows(SkillState, SkillState.learner_id == learner) == []
    assert {e.kind for e in _rows(Event, Event.learner_id == learner)} >= {"handed_in", "work_reviewed"}
    # The graded QTI item on the same skill does count: the essay is left out by kind, not by accident.
    form = amina.get(f"/practice/postcards/writing?item={postcard_pack['single']}").get_data(as_text=True)
    amina.post("/practice/postcards/writing", data={"item": postcard_pack["single"], "attempt": _attempt(form),
                                                    "answer": "0"})
    assert [a.item_id for a in _rows(Answer, Answer.learner_id == learner)] == [postcard_pack["single"]]
    assert [s.skill_id for s in _rows(SkillState, SkillState.learner_id == learner)] == ["writing"]

"""After a lesson: its practice is the main action and where finishing leads; assigned work is never
skipped; "What next" offers only packs in languages the learner reads."""
import re

from server.db import database
from server.models import School

LESSON_1 = "/packs/fractions/lessons/what-is-a-fraction"  # teaches fraction-meaning (never locked)
PRACTICE_1 = "/practice/fractions/fraction-meaning"


def test_the_lesson_offers_its_practice_first_and_finishing_leads_there(demo_app, browser_for):
    amina = browser_for("amina")
    html = amina.get(LESSON_1).get_data(as_text=True)
    action = re.search(r'<p class="next-action"><a class="button" href="([^"]+)">(.*?)</a></p>', html)
    assert action.group(1) == PRACTICE_1
    assert action.group(2) == 'Now practise: <bdi lang="en" dir="ltr">Knowing what a fraction means</bdi>'
    assert html.index('class="next-action"') < html.index("I finished this lesson")
    finished = amina.post(LESSON_1 + "/finish")
    assert finished.status_code == 303 and finished.headers["Location"] == PRACTICE_1


def test_once_mastered_finishing_goes_on_to_the_next_lesson(stuck_and_mastered):
    amina, _juma = stuck_and_mastered
    assert 'class="next-action"' not in amina.get(LESSON_1).get_data(as_text=True)
    finished = amina.post(LESSON_1 + "/finish")
    assert finished.headers["Location"].endswith("/packs/fractions/lessons/naming-fractions")


def test_finishing_leads_to_assigned_work_before_the_next_lesson(stuck_and_mastered, browser_for, class_id):
    amina, _juma = stuck_and_mastered
    assigned = browser_for("teacher").post(f"/coach/classes/{class_id}/assign", data={
        "pack": "fractions", "target": "class", "work": "lesson:comparing-fractions"})
    assert assigned.status_code == 303
    finished = amina.post(LESSON_1 + "/finish")
    assert finished.headers["Location"] == "/packs/fractions/lessons/comparing-fractions"


def _suggested_packs(html):
    return set(re.findall(r'<li><a href="/(?:packs|practice)/([^/"]+)', html))


def test_what_next_offers_only_packs_in_languages_the_learner_reads(demo_app, browser_for, people):
    amina = browser_for("amina")
    english = _suggested_packs(amina.get("/next").get_data(as_text=True))
    assert english and english <= {"fractions"}, english
    with database.connection_context():
        School.update(language="sw").execute()
    both = _suggested_packs(amina.get("/next").get_data(as_text=True))
    assert both and both <= {"fractions", "kusoma-saa"} and "sante-hygiene" not in both


def test_assigned_work_in_another_language_is_still_offered(demo_app, browser_for, class_id, people):
    from server.models import PackVersion

    with database.connection_context():
        french = PackVersion.get(PackVersion.is_active & (PackVersion.language == "fr"))
        lesson = sorted(french.lessons, key=lambda l: l.position)[0]
    made = browser_for("teacher").post(f"/coach/classes/{class_id}/assign", data={
        "pack": french.pack_id, "target": "class", "work": f"lesson:{lesson.lesson_id}"})
    assert made.status_code == 303
    html = browser_for("amina").get("/next").get_data(as_text=True)
    assert f"/packs/{french.pack_id}/lessons/{lesson.lesson_id}" in html

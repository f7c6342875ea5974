"""Mastery from evidence, end to end on a real app and SQLite file: gained, checked, lost, shown to the
learner, the coach and the family, rebuilt from the log, and sensible on odd data."""
from datetime import datetime, timedelta

import pytest

from server.content.packs.build import build_pack
from server.content.packs.install import import_pack
from server.db import database
from server.learning import practice, progress, recommend
from server.models import DERIVED_MODELS, Account, Event, Item, PackVersion, SkillState
from server.models.base import set_clock
from tests.conftest import Browser
from tests.factories import correct_response, wrong_response

DAY0 = datetime(2026, 2, 2, 8, 0)
SKILL = "fraction-meaning"  # fractions pack: the first skill, rule "4 right in a row"


class Clock:
    """Simulated school time for the real code path (models.base.set_clock)."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    clock = Clock(DAY0)
    set_clock(clock)
    yield clock
    set_clock(None)


def _answer(learner_id, item_id, correct, clock, skill=SKILL, pack="fractions"):
    """Answer one question through the same functions as the practice page."""
    clock.advance(seconds=40)
    with database.connection_context():
        item = Item.select().join(PackVersion).where(PackVersion.is_active & (PackVersion.pack_id == pack)
                                                     & (Item.item_id == item_id)).get()
        form = correct_response(item.data) if correct else wrong_response(item.data)
        question = practice.question_for_item(learner_id, pack, item_id)
        practice.record_answer(learner_id, pack, item_id, question.attempt_id, {k: [v] if isinstance(v, str) else v
                                                                                 for k, v in form.items()})


def _state(learner_id, skill=SKILL, pack="fractions"):
    with database.connection_context():
        return SkillState.get((SkillState.learner_id == learner_id) & (SkillState.pack_id == pack)
                              & (SkillState.skill_id == skill))


def _master_first_skill(learner_id, clock):
    for item in ("pw-equal-loaves", "pw-equal-loaves", "pw-equal-loaves", "pw-halves-of-things"):
        _answer(learner_id, item, True, clock)
    assert _state(learner_id).mastered_at is not None


def _snapshot():
    with database.connection_context():
        return {m.__name__: sorted(tuple(sorted((k, str(v)) for k, v in row.items())) for row in m.select().dicts())
                for m in DERIVED_MODELS}


def test_four_lucky_true_false_answers_do_not_master_a_skill(demo_app, people, clock):
    amina = people["amina"].id
    for item in ("pw-unequal-quarters-tf", "pw-more-parts-smaller-tf") * 2:
        _answer(amina, item, True, clock)
    state = _state(amina)
    assert state.streak == 4  # the pack's "4 in a row" is met...
    assert state.mastered_at is None and state.p_known < 0.95  # ...but coin-flip questions are weak evidence
    with database.connection_context():
        answer = Event.select().where(Event.kind == "answer").order_by(Event.created_at.desc()).first()
    assert 0 < answer.payload["predicted"] < 1  # the model's forecast is kept with the answer


def test_a_failed_review_sends_the_skill_back_to_refresh_everywhere(demo_app, people, clock):
    amina = people["amina"].id
    _master_first_skill(amina, clock)
    clock.now = _state(amina).review_due + timedelta(hours=1)
    for item in ("pw-halves-of-things", "pw-equal-loaves"):
        _answer(amina, item, False, clock)
    state = _state(amina)
    assert state.mastered_at is None and state.refresh_at is not None
    with database.connection_context():
        assert Event.select().where((Event.kind == "mastery_lost") & (Event.learner_id == amina)).count() == 1
        statuses = {s.skill_id: s for s in practice.skill_statuses(amina, PackVersion.get(
            PackVersion.is_active & (PackVersion.pack_id == "fractions")))}
        assert statuses[SKILL].state == "refresh"
        assert statuses["naming-fractions"].state == "locked"
        assert statuses["naming-fractions"].to_refresh == (statuses[SKILL].title,)
        suggestions = recommend.suggest(Account.get_by_id(amina))
    assert suggestions[0].kind == "refresh" and suggestions[0].url.endswith(SKILL)
    learner, coach = Browser(demo_app, people["amina"]), Browser(demo_app, people["teacher"])
    page = learner.get("/next").get_data(as_text=True)
    assert "Let's refresh <bdi>Knowing what a fraction means</bdi> first" in page, page[page.find("<main"):page.find("</main>")]
    class_id = people["amina"].classroom_id
    overview = coach.get(f"/coach/classes/{class_id}?pack=fractions").get_data(as_text=True)
    assert "needs a refresh" in overview and "To refresh" in overview
    report = coach.get(f"/coach/classes/{class_id}/parent-reports").get_data(as_text=True)
    assert "mastered before, now refreshing it" in report


def test_rebuild_reproduces_mastery_gained_and_lost(demo_app, people, clock):
    amina, juma = people["amina"].id, people["juma"].id
    _master_first_skill(amina, clock)
    _master_first_skill(juma, clock)
    clock.now = _state(amina).review_due + timedelta(days=2)
    _answer(amina, "pw-equal-loaves", False, clock)
    _answer(amina, "pw-halves-of-things", False, clock)
    _answer(juma, "pw-halves-of-things", True, clock)
    for item in ("pw-shaded-chapati", "pw-numerator-word", "pw-denominator-meaning"):  # juma misses onward
        _answer(juma, item, False, clock, skill="naming-fractions")
    before = _snapshot()
    assert _state(amina).refresh_at is not None and _state(juma).mastered_at is not None
    with database.connection_context():
        progress.rebuild_all()
    assert _snapshot() == before


def test_misses_downstream_put_a_prerequisite_up_for_a_check(demo_app, people, clock):
    amina = people["amina"].id
    _master_first_skill(amina, clock)
    clock.advance(hours=1)
    for item in ("pw-shaded-chapati", "pw-numerator-word", "pw-denominator-meaning"):
        _answer(amina, item, False, clock, skill="naming-fractions")
    prerequisite = _state(amina)
    assert prerequisite.mastered_at is not None and prerequisite.review_due <= clock.now
    with database.connection_context():
        kinds = [s.kind for s in recommend.suggest(Account.get_by_id(amina))]
    assert "review" in kinds


def test_what_next_always_offers_practice_once_everything_is_mastered(demo_app, people, clock):
    amina = people["amina"].id
    _master_first_skill(amina, clock)
    with database.connection_context():
        pack = PackVersion.get(PackVersion.is_active & (PackVersion.pack_id == "fractions"))
        SkillState.update(mastered_at=clock.now, review_due=clock.now + timedelta(days=9)).where(
            SkillState.learner_id == amina).execute()
        for status in practice.skill_statuses(amina, pack):  # every skill of every pack mastered
            SkillState.insert(learner_id=amina, pack_id="fractions", skill_id=status.skill_id, attempts=5,
                              mastered_at=clock.now, review_due=clock.now + timedelta(days=9), evidence={},
                              p_known=0.97, estimated_at=clock.now).on_conflict_ignore().execute()
        suggestions = recommend.suggest(Account.get_by_id(amina))
    assert any(s.kind == "keep_fresh" and "/practice/fractions/" in s.url for s in suggestions)


def test_answers_for_dropped_items_and_replays_are_handled(demo_app, people, clock):
    amina = people["amina"].id
    with database.connection_context():
        payload = {"pack_id": "fractions", "item_id": "gone-in-v2", "skill_id": "gone-skill", "correct": True,
                   "score": 1.0, "response": "{}"}
        event, is_new = progress.record_event(amina, "answer", payload)
        again, is_new_again = progress.record_event(amina, "answer", payload, event_id=event.id)
        state = SkillState.get((SkillState.learner_id == amina) & (SkillState.skill_id == "gone-skill"))
    assert is_new and not is_new_again and state.attempts == 1
    assert 0.2 < state.p_known < 0.95  # middling evidence, no crash
    with database.connection_context():  # an answer that arrives late (e.g. by sync), dated before the others
        progress.record_event(amina, "answer", {**payload, "item_id": "also-gone"}, at=DAY0 - timedelta(days=3))
        progress.rebuild_all()  # the log is replayed in time order, whatever the order of arrival
    replayed = _snapshot()
    with database.connection_context():
        progress.rebuild_all()
        state = SkillState.get((SkillState.learner_id == amina) & (SkillState.skill_id == "gone-skill"))
    assert _snapshot() == replayed and state.attempts == 2 and state.evidence["last"] == "gone-in-v2"


def test_the_coach_is_told_when_a_skill_is_weak_evidence(app, library, people, tmp_path, clock):
    source = tmp_path / "src"
    (source / "lessons").mkdir(parents=True)
    (source / "practice").mkdir()
    (source / "pack.yaml").write_text(
        "format: 1\nid: weak\nversion: 1.0.0\ntitle: Weak evidence\nlanguage: en\nlicence: CC0-1.0\n"
        "authors: [Lantern tests]\nsubjects: [mathematics]\n"
        "skills:\n  - {id: coins, title: Coin flips, prerequisites: []}\n"
        "  - {id: solo, title: One question, prerequisites: []}\n"
        "units:\n  - id: u\n    title: U\n    lessons: [lessons/a.md]\n    practice:\n"
        "      - file: practice/items.yaml\n")
    (source / "lessons" / "a.md").write_text("---\nid: a\ntitle: A\nskills: [coins, solo]\n---\nText.\n")
    (source / "practice" / "items.yaml").write_text(
        "items:\n"
        "  - {id: t1, kind: truefalse, skill: coins, prompt: One is odd., answers: [{value: true, weight: 1}, "
        "{value: false, weight: 0}]}\n"
        "  - {id: t2, kind: truefalse, skill: coins, prompt: Two is odd., answers: [{value: true, weight: 0}, "
        "{value: false, weight: 1}]}\n"
        "  - {id: n1, kind: numeric, skill: solo, prompt: 'Two plus two?', answers: [{value: 4, weight: 1}]}\n")
    with database.connection_context():
        import_pack(build_pack(source, tmp_path / "weak.lantern").path, library, progress=lambda _: None)
    _answer(people["amina"].id, "t1", True, clock, skill="coins", pack="weak")
    coach = Browser(app, people["teacher"])
    page = coach.get(f"/coach/classes/{people['amina'].classroom_id}?pack=weak").get_data(as_text=True)
    assert "Coin flips has only true/false questions, so mastery there is weak evidence." in page
    assert "One question has a single question, so mastery there rests on that one question." in page


def test_the_stored_prediction_is_the_models_chance_before_the_answer(demo_app, people, clock):
    """Worked by hand. A first answer on a new skill, a true/false item of authored difficulty -1 (guess 0.5):
    P(right) = 0.2 (1 - slip(-1)) + 0.8 * 0.5. The next, on a three-choice item of difficulty -1.5 (guess 1/3),
    starts from the estimate the first answer left (40 seconds of fading are negligible)."""
    from server.learning import mastery

    amina = people["amina"].id
    _answer(amina, "pw-unequal-quarters-tf", True, clock)
    with database.connection_context():
        first = Event.select().where(Event.kind == "answer").order_by(Event.created_at.desc()).first()
        p_after = _state(amina).p_known
    assert first.payload["predicted"] == pytest.approx(0.2 * (1 - mastery.format_slip(-1.0)) + 0.8 * 0.5, abs=1e-4)
    _answer(amina, "pw-equal-loaves", False, clock)
    with database.connection_context():
        second = Event.select().where(Event.kind == "answer").order_by(Event.created_at.desc()).first()
    expected = p_after * (1 - mastery.format_slip(-1.5)) + (1 - p_after) / 3
    assert second.payload["predicted"] == pytest.approx(expected, abs=1e-3)


def test_the_answer_that_reaches_mastery_says_so_and_names_what_it_opens(demo_app, people, clock):
    """The result page of the answer that masters a skill says so (a heading of its own) and links the skills
    it opens; the answer before it, and the next one, do not."""
    amina = people["amina"]
    attempts = []
    for item in ("pw-equal-loaves", "pw-equal-loaves", "pw-equal-loaves", "pw-halves-of-things", "pw-equal-loaves"):
        _answer(amina.id, item, True, clock)
        with database.connection_context():
            attempts.append(Event.select().where(Event.kind == "answer").order_by(Event.created_at.desc()).first())
    with database.connection_context():
        mastered_at = _state(amina.id).mastered_at
    reaching = next(n for n, event in enumerate(attempts) if event.created_at == mastered_at)
    browser = Browser(demo_app, amina)
    pages = {n: browser.get(f"/practice/fractions/{SKILL}/result/{attempts[n].id}").get_data(as_text=True)
             for n in (reaching - 1, reaching, reaching + 1) if 0 <= n < len(attempts)}
    assert "You have mastered" in pages[reaching]
    assert 'aria-labelledby="mastered-now"' in pages[reaching]
    assert 'href="/practice/fractions/naming-fractions"' in pages[reaching]  # the next skill, now open
    assert all("You have mastered" not in html for n, html in pages.items() if n != reaching)

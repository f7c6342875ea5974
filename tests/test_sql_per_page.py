"""How many SQL statements a learner's page costs (counted, not timed): content comes from the per-process
cache and the sign-in check is one query, so a lesson or pack page needs at most three.

Practice pages belong to server/learning/; their counts are printed (`pytest -s`) for docs/performance.md.
"""
import re
from contextlib import contextmanager

import pytest

from server.db import database

LESSON = "/packs/fractions/lessons/what-is-a-fraction"
PAGE_BUDGET = 3


@contextmanager
def counted_statements():
    """The SQL statements run on this thread's connection meanwhile (BEGIN and friends included)."""
    statements: list[str] = []
    conn = database.connection()
    conn.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        conn.set_trace_callback(None)


def _statements_for(browser, url: str) -> list[str]:
    assert browser.get(url).status_code == 200  # warms this process's content cache, opens the connection
    with counted_statements() as statements:
        response = browser.get(url)
    assert response.status_code == 200
    return statements


@pytest.fixture
def amina(demo_app, browser_for):
    return browser_for("amina")


# A lesson page read again: the session, the discussion count, the skill states for "Now practise: …"; the
# lesson-progress read is gone once this process has seen the lesson opened (progress.note_lesson_opened).
@pytest.mark.parametrize("url", [LESSON, "/packs/fractions"])
def test_a_learners_content_page_costs_at_most_three_statements(amina, url):
    statements = _statements_for(amina, url)
    assert len(statements) <= PAGE_BUDGET, "\n".join(s[:60] + " … " + s[-90:] for s in statements)
    assert not any(re.search(r'FROM "(lesson|pack_version|unit|item)"', s) for s in statements), statements


def test_the_sign_in_check_is_one_indexed_query(amina):
    statements = _statements_for(amina, LESSON)
    sessions = [s for s in statements if '"session"' in s]
    assert len(sessions) == 1 and '"t2"."id" = ' in sessions[0]
    with database.connection_context():
        plan = " ".join(str(row) for row in database.execute_sql("EXPLAIN QUERY PLAN " + sessions[0]))
    assert "USING INDEX" in plan or "PRIMARY KEY" in plan, plan


def test_an_anonymous_lesson_page_reads_no_content_rows_once_cached(demo_app, browser_for):
    statements = _statements_for(browser_for(None), LESSON)
    assert not any(re.search(r'FROM "(lesson|pack_version|unit)"', s) for s in statements), statements


def test_a_pack_switched_in_is_seen_by_the_cached_pages(demo_app, browser_for, library, built_packs):
    """The cache is dropped when the content generation changes (here: the pack removed, then put back)."""
    from server.content.packs.install import import_pack, remove_pack

    anonymous = browser_for(None)
    assert anonymous.get(LESSON).status_code == 200
    remove_pack("fractions", library)
    assert anonymous.get(LESSON).status_code == 404
    import_pack(next(p for name, p in built_packs.items() if "fraction" in name), library)
    assert anonymous.get(LESSON).status_code == 200


@pytest.mark.parametrize("url", ["/", "/next", "/practice/fractions/fraction-meaning"])
def test_report_statements_of_the_learning_pages(amina, url, capsys):
    """Measured for docs/performance.md (the pages are server/learning's, rewritten elsewhere): no budget."""
    statements = _statements_for(amina, url)
    with capsys.disabled():
        print(f"\n{url}: {len(statements)} SQL statements")
    assert statements  # a signed-in page checks its session at least


def test_the_first_opening_of_a_lesson_is_recorded_once_and_a_revisit_reads_no_progress(demo_app, browser_for):
    from server.models import Event

    juma = browser_for("juma")
    other = "/packs/fractions/lessons/naming-fractions"
    with database.connection_context():
        before = Event.select().where(Event.kind == "lesson_opened").count()
    with counted_statements() as first:
        assert juma.get(other).status_code == 200
    assert any('"lesson_progress"' in s for s in first)  # read once: was it opened before?
    with counted_statements() as again:
        assert juma.get(other).status_code == 200
    assert not any('"lesson_progress"' in s for s in again)
    with database.connection_context():
        assert Event.select().where(Event.kind == "lesson_opened").count() == before + 1

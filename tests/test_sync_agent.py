"""The sync agent's rules (pure) and one real attempt against a hub process."""
import random
from datetime import date

import pytest

from server.db import database
from server.models import Outbox, SyncLog, SyncState
from server.learning.progress import record_event
from sync.agent import SyncAgent, budget_left, retry_delay
from sync.client import pair
from sync.transport import HttpTransport
from tests.test_cli import free_port
from tests.test_sync import hub, new_code  # noqa: F401  (the module-scoped hub fixture)


@pytest.mark.parametrize("failures, low, high", [(0, 150, 450), (1, 300, 900), (3, 1200, 3600), (10, 1800, 5400)])
def test_backoff_doubles_with_jitter_up_to_an_hour(failures, low, high):
    rng = random.Random(7)
    delays = [retry_delay(failures, rng=rng) for _ in range(200)]
    assert low <= min(delays) and max(delays) <= high
    assert len({round(d) for d in delays}) > 50  # spread out, so schools do not call at once


@pytest.mark.parametrize("state, budget, left", [
    (None, None, None), (None, 1000, 1000), ({"day": "2026-11-23", "bytes": 400}, 1000, 600),
    ({"day": "2026-11-22", "bytes": 999}, 1000, 1000), ({"day": "2026-11-23", "bytes": 5000}, 1000, 0),
])
def test_daily_budget(state, budget, left):
    assert budget_left(state, budget, date(2026, 11, 23)) == left


def test_agent_pushes_when_the_hub_is_there_and_records_failures_when_not(demo_app, people, hub):  # noqa: F811
    data = demo_app.config["DATA_DIR"]
    agent = SyncAgent(data)
    assert agent.try_once() == "not paired"
    with database.connection_context():
        pair(HttpTransport(hub["url"]), new_code(hub), data)
        SyncState.insert(key="hub_url", value=f"http://127.0.0.1:{free_port()}").on_conflict_replace().execute()
        record_event(people["amina"].id, "lesson_opened", {"pack_id": "fractions", "lesson_id": "x"})
    assert "cannot be reached" in agent.try_once() and agent.failures == 1
    with database.connection_context():
        assert SyncState.get(SyncState.key == "last_error").value["message"].startswith("The hub cannot be reached")
        SyncState.update(value=hub["url"]).where(SyncState.key == "hub_url").execute()
    assert agent.try_once() == "sent 1 event" and agent.failures == 0
    with database.connection_context():
        assert Outbox.select().count() == 0
        assert SyncState.get(SyncState.key == "bytes_today").value["bytes"] > 0
        assert SyncLog.select().where(SyncLog.ok == 0).count() == 1

"""Event kinds and what each one derives: the registry that keeps `progress` from calling features back.

`progress.record_event` and `lantern rebuild` derive answers, lessons and mastery themselves. Other features
(questions on lessons, hand-ins) own the tables their events derive, and register an applier here for their
kinds; the event layer never imports them.

Decisions:
- Registration happens when the feature's module is imported. So that no applier is ever missing (a rebuild
  run from the command line imports no view), `appliers()` first imports the modules named in `FEATURES`, by
  name: the event layer knows which features derive from events, not their code, and imports flow one way.
- An applier must be idempotent (a replayed event changes nothing) and runs inside the event's transaction.
"""
import importlib
from collections.abc import Callable

# The modules that register appliers for their event kinds (imported by name on first use).
FEATURES = ("server.learning.discussion", "server.coaching.handin_events")

_appliers: dict[str, Callable] = {}
_clearers: list[Callable[[], None]] = []
_loaded = False


def applies_to(*kinds: str, clear: Callable[[], None] | None = None):
    """Register the decorated function as the applier of these event kinds (and `clear` to empty its
    tables before a rebuild)."""
    def register(apply: Callable) -> Callable:
        for kind in kinds:
            _appliers[kind] = apply
        if clear is not None and clear not in _clearers:
            _clearers.append(clear)
        return apply
    return register


def appliers() -> dict[str, Callable]:
    """Every registered applier by event kind (the features in FEATURES are loaded first)."""
    global _loaded
    if not _loaded:
        for name in FEATURES:
            importlib.import_module(name)
        _loaded = True
    return _appliers


def clear_all() -> None:
    """Empty every feature's derived tables (before a rebuild replays the log)."""
    appliers()
    for clear in _clearers:
        clear()

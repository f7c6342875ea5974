"""The pack manifest is untrusted input: whatever bytes or JSON arrive, and however a real manifest is
bent, `load_manifest` either returns a manifest or raises our own clear error — never anything else."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.errors import LanternError
from server.content.packs.manifest import load_manifest, parse_manifest
from tests.packtools import manifest_of
from tests.conftest import examples

FUZZ = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
                    max_leaves=30)


@pytest.fixture(scope="module")
def real_manifest(built_packs):
    """The manifest of the bundled fractions pack (as JSON text): a valid starting point to bend."""
    return json.dumps(manifest_of(built_packs["fractions-en"]))


def _parses_or_refuses_clearly(call) -> None:
    try:
        call()
    except LanternError as err:
        assert str(err), "a refusal must say why"


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_are_a_manifest_or_a_clear_error(data):
    _parses_or_refuses_clearly(lambda: load_manifest(data))


@FUZZ
@given(JSON)
def test_any_json_document_is_a_manifest_or_a_clear_error(document):
    _parses_or_refuses_clearly(lambda: load_manifest(json.dumps(document).encode()))


def _paths(value, prefix=()):
    """Every place in a JSON value (for replacing one of them)."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from _paths(inner, prefix + (n,))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 10**6), st.booleans(), JSON), min_size=1, max_size=3))
def test_a_real_manifest_bent_anywhere_is_a_manifest_or_a_clear_error(real_manifest, changes):
    """Each change picks a place in the manifest (by number) and replaces it with any JSON, or removes it."""
    parse_manifest(json.loads(real_manifest))  # the starting point is valid
    bent = json.loads(real_manifest)
    for where, replace, value in changes:
        paths = [p for p in _paths(bent) if p]
        if not paths:
            break
        path = paths[where % len(paths)]
        parent = bent
        for key in path[:-1]:
            parent = parent[key]
        if replace:
            parent[path[-1]] = value
        elif isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    _parses_or_refuses_clearly(lambda: parse_manifest(bent))

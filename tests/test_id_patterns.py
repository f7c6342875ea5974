"""Id patterns accept the id and nothing after it: `$` also matches before a final newline, so every pattern
anchored at both ends ends in `\\Z` (`PACK_ID.match("fractions\\n")` must be false)."""
import ast
from pathlib import Path

import pytest

from server.coaching import assignments, groups
from server.content.packs import manifest
from server.people import school
from server.web import media
from sync import packs, protocol, uploads
from tests.conftest import REPO

VALID = [
    (manifest.PACK_ID, "fractions"), (manifest.LOCAL_ID, "adding-like.fractions_2"), (manifest.SEMVER, "1.2.0"),
    (manifest.LANGUAGE, "sw-TZ"), (manifest.SHA256, "a" * 64), (media.SHA, "0" * 64), (packs.SHA, "f" * 64),
    (packs.PACK_ID, "Hesabu.sw"), (uploads.SHA, "e" * 64), (school.USERNAME, "amina.k"),
    (groups.WORK, "lesson:naming-fractions"), (assignments.WORK, "skill:halves"),
    (protocol.UUID, "0b5e8a8e-7c1d-4c1a-9a4e-2f6d1b7c9e01"),
]


@pytest.mark.parametrize("pattern, good", VALID, ids=[f"{p.pattern[:24]}" for p, _ in VALID])
@pytest.mark.parametrize("tail", ["\n", "\r\n", "\n\n", " "])
def test_an_id_with_anything_after_it_is_refused(pattern, good, tail):
    assert pattern.match(good)
    assert not pattern.match(good + tail)


def _anchored_patterns(path: Path):
    """(line, pattern) of each module-level `re.compile(r"^...")` in a file."""
    for node in ast.parse(path.read_text("utf-8")).body:
        call = node.value if isinstance(node, ast.Assign) else None
        if (isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "compile" and call.args
                and isinstance(call.args[0], ast.Constant) and str(call.args[0].value).startswith("^")):
            flags = ast.unparse(call.args[1]) if len(call.args) > 1 else ""
            if "re.M" in flags or "MULTILINE" in flags:
                continue  # a pattern per line: there `$` is what is meant
            yield node.lineno, call.args[0].value


def test_no_pattern_anchored_at_the_start_ends_with_a_dollar():
    files = [*(REPO / "server").rglob("*.py"), *(REPO / "sync").rglob("*.py")]
    dollar = [f"{path.relative_to(REPO)}:{line} {pattern}" for path in files
              for line, pattern in _anchored_patterns(path) if pattern.endswith("$")]
    assert dollar == []
    assert sum(1 for path in files for _ in _anchored_patterns(path)) >= len(VALID)  # the scan finds them

"""Shared fixtures: real temp data folders, the third-party corpus, a real app."""
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared third-party corpus (../shared/corpus); tests skip clearly when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"third-party corpus not found at {CORPUS} (it ships in ../shared/corpus)")
    return CORPUS

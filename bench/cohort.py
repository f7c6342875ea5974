"""Retired: `python -m bench.cohort` now runs the honest learning simulator (bench/learning_sim.py).

The old cohort bench compared "adaptive" with "linear" order on a hidden truth of the same form as the
server's own Elo model (logistic in level minus difficulty, learning that did not depend on the item), so
it could only agree with the server: its "≥ 30 % fewer answers" was an artefact (issue #14). Its
replacement has a truth independent of the server's model; see bench/README.md.

    python -m bench.cohort [learning_sim options]      # the same as python -m bench.learning_sim
"""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/cohort.py
    sys.path.insert(0, str(REPO))

from bench.learning_sim import bench, main  # noqa: E402,F401  (bench: for old callers of cohort.bench)

if __name__ == "__main__":
    sys.exit(main())

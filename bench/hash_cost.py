"""What a sign-in's hash costs: Argon2id for a learner's PIN and for a staff password, hashed and verified,
in this process (run it under ../shared/tools/pi-core for Pi-class figures):

    python -m bench.hash_cost
    ../shared/tools/pi-core --model pi4 --cores 1 -- .venv/bin/python -m bench.hash_cost
"""
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from server.people.auth import HASHER, PIN_HASHER  # noqa: E402
from bench.tables import format_table  # noqa: E402


def cost_ms(hasher, secret: str, rounds: int = 5) -> float:
    """Median milliseconds of one verify (the sign-in's cost)."""
    stored = hasher.hash(secret)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        hasher.verify(stored, secret)
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2] * 1000


def bench(quick: bool = False) -> list[tuple[str, str]]:
    """Figures for bench.run."""
    rounds = 3 if quick else 7
    pin, password = cost_ms(PIN_HASHER, "2468", rounds), cost_ms(HASHER, "correct horse battery", rounds)
    return [("PIN verify (Argon2id 2 MiB, 1 pass)", f"{pin:.1f} ms"),
            ("password verify (Argon2id 19 MiB, 2 passes)", f"{password:.1f} ms"),
            ("all 10,000 4-digit PINs of one learner, one core, at the PIN cost", f"{pin * 10:.0f} s"),
            ("... at the password cost", f"{password * 10:.0f} s")]


if __name__ == "__main__":
    print(format_table(["figure", "value"], [list(f) for f in bench()], "Sign-in hash cost"))

"""The SD card: fsyncs per acknowledged answer, and answers/s when each fsync costs 3 ms.

An answer storm (bench/answer_storm.py) against `lantern serve` with the bench's own storage layer preloaded
(bench/native/slow_fsync.c, built here with the system C compiler): it counts every fsync/fdatasync of every
worker and can delay each one, as a slow SD card's flush would. Sign-ins write a session (one commit each);
those are counted apart, so the figure is the flushes the answers themselves cost.

    python -m bench.fsync [--learners 40] [--seconds 15] [--workers 1]

Skips (says so) where there is no C compiler. Asserts zero lost answers only.
"""
import argparse
import mmap
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.answer_storm import prepare_school, run_storm  # noqa: E402
from bench.server_process import answer_event_ids, start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402

SOURCE = Path(__file__).with_name("native") / "slow_fsync.c"


def build_shim(folder: Path) -> Path | None:
    """Compile the fsync shim into `folder`; None when there is no C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    library = folder / "slow_fsync.so"
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(library), str(SOURCE), "-ldl"], check=True)
    return library


def storm_with_flushes(tmp: Path, shim: Path, delay_us: int, learners: int, seconds: float,
                       workers: int) -> dict:
    """One storm on a fresh school with the shim loaded: answers, flushes and answers/s."""
    data = tmp / f"data-{delay_us}"
    plan = prepare_school(data, learners)
    counter = tmp / f"fsyncs-{delay_us}"
    counter.write_bytes(b"\0" * 8)
    saved = {k: os.environ.get(k) for k in ("LD_PRELOAD", "SLOWFSYNC_COUNTER", "SLOWFSYNC_DELAY_US")}
    os.environ.update(LD_PRELOAD=str(shim), SLOWFSYNC_COUNTER=str(counter), SLOWFSYNC_DELAY_US=str(delay_us))
    try:
        server = start_server(data, tmp / f"server-{delay_us}.log", extra=("--workers", str(workers)))
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    with open(counter, "r+b") as handle, mmap.mmap(handle.fileno(), 8) as shared:
        before = struct.unpack("q", shared[:8])[0]
        try:
            result = run_storm(server.base_url, plan, seconds)
        finally:
            flushes = struct.unpack("q", shared[:8])[0] - before
            server.stop()
    acked = set(result.tally.acked)
    lost = len(acked - answer_event_ids(data / "lantern.db"))
    assert lost == 0, f"{lost} acknowledged answers lost"
    sign_ins = len(result.tally.latencies.get("signin", []))
    return {"answers": len(acked), "flushes": flushes, "sign_ins": sign_ins,
            "per_answer": (flushes - sign_ins) / max(1, len(acked)), "answers_per_s": len(acked) / result.seconds,
            "errors": sum(result.tally.errors.values())}


def bench(quick: bool = False, learners: int | None = None, seconds: float | None = None,
          workers: int = 1) -> list[tuple[str, str]]:
    """Figures for bench.run."""
    learners, seconds = learners or (20 if quick else 40), seconds or (6.0 if quick else 15.0)
    with tempfile.TemporaryDirectory(prefix="lantern-fsync-") as folder:
        tmp = Path(folder)
        shim = build_shim(tmp)
        if shim is None:
            return [("fsyncs per answer", "skipped: no C compiler to build bench/native/slow_fsync.c")]
        plain = storm_with_flushes(tmp, shim, 0, learners, seconds, workers)
        slow = storm_with_flushes(tmp, shim, 3000, learners, seconds, workers)
    return [
        (f"fsyncs per acknowledged answer ({learners} learners, {workers} worker(s))",
         f"{plain['per_answer']:.2f} ({plain['flushes']} flushes, {plain['answers']} answers, "
         f"{plain['sign_ins']} sign-ins)"),
        ("answers/s, fsync as the disk does it", f"{plain['answers_per_s']:.1f} ({plain['errors']} errors)"),
        ("answers/s, every fsync 3 ms", f"{slow['answers_per_s']:.1f} ({slow['errors']} errors, "
                                        f"{slow['per_answer']:.2f} fsyncs/answer)"),
        ("lost acknowledged answers", "0"),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    figures = bench(learners=args.learners, seconds=args.seconds, workers=args.workers)
    print(format_table(["figure", "value"], [list(f) for f in figures], "SD card: fsyncs and slow flushes"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

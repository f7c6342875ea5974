"""kill -9 the real server mid answer storm, and `lantern pack import` mid import: nothing is lost or torn.

Both run the real `lantern` command in a subprocess on a temp data folder and kill it with SIGKILL (no
clean-up of any kind). This shows crash safety of the process (SQLite WAL, one transaction per answer,
staging emptied at start); a power cut also needs the fsync that synchronous=FULL gives, which a
process kill cannot show.
"""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from bench.answer_storm import Tally, prepare_school, run_storm
from bench.server_process import answer_event_ids, integrity_check, lantern_command, start_server

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
LESSON = "what-is-a-fraction"


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def _answers_without_derived_rows(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM event e LEFT JOIN answer a ON a.event_id = e.id "
                            "WHERE e.kind = 'answer' AND a.event_id IS NULL").fetchone()[0]


def _active_version(db: Path, pack_id: str) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return [r[0] for r in conn.execute("SELECT version FROM pack_version WHERE pack_id = ? AND is_active",
                                           (pack_id,))]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_kill_9_mid_answer_storm_keeps_every_acknowledged_answer(tmp_path, workers):
    """With several workers the kill hits the supervisor; its workers die with it (PR_SET_PDEATHSIG)."""
    data, db = tmp_path / "data", tmp_path / "data" / "lantern.db"
    plan = prepare_school(data, learners=20)
    server = start_server(data, tmp_path / "server.log", extra=("--workers", workers))
    stop, tally = threading.Event(), Tally(max_requests=20_000)
    storm = threading.Thread(target=run_storm, args=(server.base_url, plan, 25),
                             kwargs={"stop": stop, "tally": tally, "timeout": 5})
    storm.start()
    deadline = time.monotonic() + 60
    while len(tally.acked) < 50 and time.monotonic() < deadline:  # the storm is on: answers acknowledged
        time.sleep(0.01)
    server.kill()  # while answers are in flight (25 learners keep one request each in flight)
    assert server.proc.returncode == -signal.SIGKILL
    stop.set()
    storm.join(30)
    acked = set(tally.acked)
    assert len(acked) >= 50, "the kill should land mid-storm, after answers were acknowledged"
    assert tally.errors, "requests in flight at the kill should have failed"

    restarted = start_server(data, tmp_path / "server-after.log")
    try:
        assert integrity_check(db) == "ok"
        assert _get(f"{restarted.base_url}/healthz")[0] == 200
        status, html = _get(f"{restarted.base_url}/packs/fractions/lessons/{LESSON}")
        assert status == 200 and "What is a fraction" in html
    finally:
        restarted.stop()
    stored = answer_event_ids(db)
    assert acked - stored == set(), f"{len(acked - stored)} acknowledged answers lost"
    assert _answers_without_derived_rows(db) == 0  # event and summaries were written in one transaction


def _bigger_fractions_pack(tmp_path: Path, images: int = 6, side: int = 1600) -> Path:
    """fractions-en as version 1.0.1 with a few large photos, so its import takes a moment."""
    from server.content.packs.build import build_pack

    src = shutil.copytree(REPO / "content_packs" / "fractions-en", tmp_path / "fractions-big")
    manifest = src / "pack.yaml"
    manifest.write_text(manifest.read_text().replace("version: 1.0.0", "version: 1.0.1"))
    rng = random.Random(1)
    lesson = src / "lessons" / "06-fractions-in-daily-life.md"
    extra = []
    for n in range(images):  # noise does not compress, so each photo is ~7 MB
        Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(src / "images" / f"photo-{n}.png")
        extra.append(f"\n![Market photo {n}](../images/photo-{n}.png)\n")
    lesson.write_text(lesson.read_text() + "".join(extra))
    return build_pack(src, tmp_path / "fractions-1.0.1.lantern").path


def test_kill_9_mid_pack_import_leaves_the_previous_version_serving(tmp_path):
    data, db = tmp_path / "data", tmp_path / "data" / "lantern.db"
    prepare_school(data, learners=1)
    pack = _bigger_fractions_pack(tmp_path)
    importer = subprocess.Popen(lantern_command() + ["pack", "import", "--data", str(data), str(pack)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}, text=True)
    seen = []
    for line in importer.stdout:  # kill as soon as it reports preparing (images being resized)
        seen.append(line)
        if line.startswith("Preparing"):
            importer.send_signal(signal.SIGKILL)
            break
    seen += importer.stdout.readlines()  # all it printed before it died (the pipe ends with the process)
    importer.wait(15)
    importer.stdout.close()
    assert importer.returncode == -signal.SIGKILL, f"the import ended before the kill: {seen}"
    # It prints "Switching" before it switches: without that line, the kill landed before the switch began.
    assert not any(line.startswith("Switching") for line in seen), f"killed too late, after: {seen}"
    assert any((data / "staging").iterdir()), "the kill should leave a half-done staging folder"

    server = start_server(data, tmp_path / "server.log")
    try:
        assert list((data / "staging").iterdir()) == []
        assert _active_version(db, "fractions") == ["1.0.0"]
        assert integrity_check(db) == "ok"
        status, html = _get(f"{server.base_url}/packs/fractions/lessons/{LESSON}")
        assert status == 200 and "What is a fraction" in html
    finally:
        server.stop()
    again = subprocess.run(lantern_command() + ["pack", "import", "--data", str(data), str(pack)],
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _active_version(db, "fractions") == ["1.0.1"]

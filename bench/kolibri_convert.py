"""Kolibri channels: conversion rate and memory for a generated channel, and the weight of converted pages.

1. A generated channel (10,000 nodes; --quick 1,000): videos with captions and a shared thumbnail,
   documents, HTML5 apps and exercises. Conversion alone, then `lantern pack import` of the drive (convert +
   verify + prepare + install), each in a child process that reports its own peak RSS (with the malloc
   settings of the systemd unit, as on a school's server).
2. The corpus Kolibri channel (../shared/corpus) imported into the demo school and served by the real
   server: bytes on the wire and requests of a cold first visit (as bench/page_weight counts them) of the
   converted Perseus exercise (a practice question) and the converted video lesson, against Kolibri's own
   figures for the same kinds of page: 3,393 KiB in 30 requests (exercise), 3,268 KiB in 34 (video).

    python -m bench.kolibri_convert [--quick] [--nodes N]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/kolibri_convert.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.kolibri_channel import generated_channel  # noqa: E402
from bench.page_weight import Browser  # noqa: E402
from bench.server_process import start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402

KOLIBRI = {"exercise": (3393, 30), "video": (3268, 34)}  # KiB on the wire, requests (measured on Kolibri)
CORPUS_DRIVE = REPO.parent / "shared" / "corpus" / "packages" / "kolibri-channel-usb" / "KOLIBRI_DATA"
VIDEO, EXERCISE = "373657afb52a581aa03dc4e116d5b35b", "eab32c0f2247515b9f43d30fb7a53176"
CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from server.content.kolibri.drive import choose_channel
start = time.perf_counter()
if {mode!r} == "convert":
    from server.content.kolibri.convert import convert_channel
    conversion = convert_channel(choose_channel(Path({drive!r}), None), Path({work!r}))
    done = conversion.lessons
else:
    from bench.fixtures import open_data
    from server.content.packs.install import Library
    from server.content.kolibri.importing import import_channel
    from server.db import database
    config = open_data(Path({work!r}))
    with database.connection_context():
        result, _ = import_channel(Path({drive!r}), Library(config["DATA_DIR"], 0), progress=lambda _: None)
    done = result.lesson_count
print(json.dumps({{"seconds": time.perf_counter() - start, "lessons": done,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def _child(mode: str, drive: Path, work: Path) -> dict:
    code = CHILD.format(repo=str(REPO), mode=mode, drive=str(drive), work=str(work))
    # the malloc settings the systemd unit sets (`lantern service-unit`), so RSS is what a school sees
    env = {**os.environ, "MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "1048576"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=3600, env=env)
    if out.returncode:
        raise RuntimeError(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def conversion_rows(nodes: int) -> list[list]:
    """Generate a channel, convert it, import it; rows for the table."""
    root = fixtures.fresh_dir("kolibri-gen")
    start = time.perf_counter()
    drive = generated_channel(root, nodes)
    generated = time.perf_counter() - start
    storage = sum(p.stat().st_size for p in (drive / "content" / "storage").rglob("*") if p.is_file())
    converted = _child("convert", drive, root / "work")
    files = sum(1 for p in (root / "work").rglob("*") if p.is_file())
    imported = _child("import", drive, root / "data")
    mb = storage / 1e6
    return [
        [f"generated channel ({nodes:,} nodes, {mb:.1f} MB of files)", f"{generated:.1f} s"],
        ["convert: nodes/s", f"{nodes / converted['seconds']:,.0f}"],
        ["convert: MB/s", f"{mb / converted['seconds']:.1f}"],
        ["convert: pack files (shared thumbnail stored once)", f"{files:,}"],
        ["convert: peak RSS", f"{converted['rss_kib'] / 1024:.0f} MB"],
        ["import (convert + verify + prepare + install): s", f"{imported['seconds']:.1f}"],
        ["import: nodes/s", f"{nodes / imported['seconds']:,.0f}"],
        ["import: peak RSS", f"{imported['rss_kib'] / 1024:.0f} MB"],
    ]


def page_rows() -> list[list]:
    """The converted exercise and video pages, cold, against Kolibri's figures."""
    if not CORPUS_DRIVE.is_dir():
        return [["converted pages", f"skipped: the corpus channel is not at {CORPUS_DRIVE}"]]
    from server.content.packs.install import Library
    from server.content.kolibri.importing import import_channel
    from server.db import database

    data = fixtures.demo_copy("kolibri-pages")
    config = fixtures.open_data(data)
    with database.connection_context():
        result, _ = import_channel(CORPUS_DRIVE, Library(config["DATA_DIR"], 0), progress=lambda _: None)
    database.close()
    server = start_server(data, data / "server.log")
    try:
        browser = Browser(server.port)
        browser.sign_in("amina", "1234")
        pages = {"exercise": browser.weigh(f"/practice/{result.pack_id}/{EXERCISE}"),
                 "video": browser.weigh(f"/packs/{result.pack_id}/lessons/{VIDEO}")}
    finally:
        server.stop()
    rows = []
    for kind, page in pages.items():
        kib, requests = KOLIBRI[kind]
        ours = page["first_visit"] / 1024
        rows.append([f"{kind} page, cold (HTTP {page['status']})",
                     f"{ours:.1f} KiB in {page['requests']} requests; Kolibri {kib:,} KiB in {requests}: "
                     f"{kib / ours:.0f}x lighter"])
    return rows


def bench(quick: bool = False, nodes: int | None = None) -> list[tuple[str, object]]:
    """Figures for bench.run."""
    rows = conversion_rows(nodes or (1000 if quick else 10_000)) + page_rows()
    print(format_table(["figure", "value"], rows, "Kolibri channels"), file=sys.stderr)
    return [(r[0], r[1]) for r in rows]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--nodes", type=int)
    args = parser.parse_args()
    bench(args.quick, args.nodes)

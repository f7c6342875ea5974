"""Pack import speed: `lantern pack import` of a generated pack of ~500 MB with 1,000 lessons, audio for
every lesson (with captions) and 20 photos (quick: ~20 MB, 100 lessons, 5 photos).

The pack is built with the real `lantern pack build` (bench/content.py); the import runs as the real
command in a subprocess (pinned under --pi) into a data folder holding the demo school. Its wall time
includes the interpreter's start-up; `lantern pack verify` of the same file is timed too, to split the
checking (unzip to staging, sizes, SHA-256 of every file) from the rest (blobs, photo variants, rendering,
one transaction, search index).

    python -m bench.pack_import [--quick]
"""
import argparse
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/pack_import.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.content import LibrarySpec  # noqa: E402
from bench.tables import format_table  # noqa: E402

FULL = LibrarySpec("gen-import", 1000, images=20, image_size=(1600, 1200), audio_bytes=450_000, seed=2)
QUICK = LibrarySpec("gen-import-small", 100, images=5, image_size=(800, 600), audio_bytes=170_000, seed=2)


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run."""
    spec = QUICK if quick else FULL
    pack = fixtures.library_pack(spec)
    mb = pack.stat().st_size / 1e6
    data = fixtures.demo_copy("import")
    verify_s, _ = fixtures.lantern("pack", "verify", str(pack))
    import_s, output = fixtures.lantern("pack", "import", "--data", str(data), str(pack))
    startup_s, _ = fixtures.lantern("pack", "list", "--data", str(data))
    shutil.rmtree(data, ignore_errors=True)
    return [("pack", f"{mb:,.1f} MB, {spec.lessons:,} lessons, {spec.images} photos {spec.image_size[0]}x"
                     f"{spec.image_size[1]}, {spec.audio_bytes // 1000} kB audio per lesson"),
            ("lantern pack import wall time", f"{import_s:.1f} s"),
            ("import rate", f"{mb / import_s:.1f} MB/s, {spec.lessons / import_s:.0f} lessons/s"),
            ("of which checking (lantern pack verify)", f"{verify_s:.1f} s"),
            ("command start-up (lantern pack list)", f"{startup_s:.1f} s"),
            ("result", output.strip().splitlines()[-1])]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(format_table(["figure", "value"], [list(f) for f in bench(args.quick)], "pack import"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

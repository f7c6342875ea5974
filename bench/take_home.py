"""What a take-home file costs to make and weighs: each demo pack, a pack with eight large photographs and
(when ../shared/corpus is there) a Software Carpentry lesson; first build (pictures shrunk), a second
language (pictures from the cache), and a cached read. In this process; for Pi-class figures:

    python -m bench.take_home
    ../shared/tools/pi-core --model pi4 --cores 1 -- .venv/bin/python -m bench.take_home
"""
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.fixtures import demo_copy, fresh_dir  # noqa: E402
from bench.tables import format_table  # noqa: E402

CORPUS_LESSON = REPO.parent / "shared" / "corpus" / "lessons" / "swc-shell-novice-en"


def _photo_source(folder: Path) -> Path:
    """The fractions pack with eight 1600×1200 noise photographs (the worst case: they do not compress)."""
    from PIL import Image

    src = shutil.copytree(REPO / "content_packs" / "fractions-en", folder / "photos")
    text = (src / "pack.yaml").read_text("utf-8").replace("id: fractions", "id: photos")
    (src / "pack.yaml").write_text(text, "utf-8")
    lesson = src / "lessons" / "01-what-is-a-fraction.md"
    extra = ""
    for n in range(8):
        Image.effect_noise((1600, 1200), 60 + n).convert("RGB").save(src / "images" / f"p{n}.jpg", quality=90)
        extra += f"\n\n![Photograph {n}](../images/p{n}.jpg)\n"
    lesson.write_text(lesson.read_text("utf-8") + extra, "utf-8")
    return src


def _import(app, sources: list[Path], folder: Path) -> None:
    from server.content.packs.build import build_pack
    from server.content.packs.install import Library, import_pack
    from server.db import database

    with app.app_context(), database.connection_context():
        for n, src in enumerate(sources):
            import_pack(build_pack(src, folder / f"{n}.lantern").path, Library(app.config["DATA_DIR"]),
                        progress=lambda _: None)


def _timed_file(app, pack_id: str, language: str) -> tuple[float, Path]:
    from server.content import library
    from server.db import database
    from server.web.take_home import _file

    cookie = {"Cookie": f"lantern_lang={language}"}  # a visitor's language choice (beats the school's)
    with app.test_request_context("/", headers=cookie), database.connection_context():
        pack = library.get_pack(pack_id)
        started = time.perf_counter()
        path = _file(pack)
        return (time.perf_counter() - started) * 1000, path


def bench(quick: bool = False) -> list[tuple[str, str]]:
    """Figures for bench.run: per pack, bytes a lesson and the build times."""
    from server import create_app
    from server.config import load_config
    from server.content import library
    from server.db import database

    data, work = demo_copy("take-home"), fresh_dir("take-home-src")
    app = create_app(load_config(data))
    sources = [_photo_source(work)] + ([CORPUS_LESSON] if CORPUS_LESSON.is_dir() and not quick else [])
    _import(app, sources, work)
    with app.app_context(), database.connection_context():
        packs = [(p.pack_id, p.lesson_count) for p in library.installed_packs()]
    figures = []
    for pack_id, lessons in packs:
        cold, path = _timed_file(app, pack_id, "en")
        second, _ = _timed_file(app, pack_id, "fr")
        cached, _ = _timed_file(app, pack_id, "fr")
        size = path.stat().st_size
        figures.append((f"{pack_id}: {lessons} lessons, file bytes (bytes a lesson)",
                        f"{size:,} ({size // max(1, lessons):,})"))
        figures.append((f"{pack_id}: first build / another language / cached", f"{cold:.0f} / {second:.0f} / "
                                                                                 f"{cached:.1f} ms"))
    return figures


if __name__ == "__main__":
    print(format_table(["figure", "value"], [list(f) for f in bench("--quick" in sys.argv)], "Take-home file"))

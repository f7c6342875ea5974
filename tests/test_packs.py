"""Pack build, verify and import: the bundled packs, upgrades, and bad input changing nothing."""
import hashlib
import zipfile

import pytest

from server.errors import PackError
from server.models import Item, Lesson, PackVersion
from server.content.packs.build import build_pack
from server.content.packs.install import active_version, import_pack, remove_pack
from server.content.packs.verify import verify_pack
from tests.packtools import manifest_of, rewrite_pack

QUIET = {"progress": lambda _: None}


def test_bundled_packs_meet_the_content_brief(built_packs):
    manifests = [manifest_of(p) for p in built_packs.values()]
    lessons = sum(len(u["lessons"]) for m in manifests for u in m["units"])
    items = sum(len(u["items"]) for m in manifests for u in m["units"])
    assert lessons >= 10 and items >= 30
    assert {"fr", "sw"} & {m["language"] for m in manifests}
    media = [md for m in manifests for u in m["units"] for l in u["lessons"] for md in l["media"]]
    assert any(md["captions"] for md in media), "at least one audio/video with captions"


def test_build_is_reproducible(tmp_path, built_packs):
    from server.cli.demo import bundled_sources

    src = bundled_sources()[0]
    again = build_pack(src, tmp_path / "again.lantern").path
    original = built_packs[src.name]
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()


def test_import_installs_every_lesson_and_item(library, built_packs):
    path = built_packs["fractions-en"]
    result = import_pack(path, library, **QUIET)
    manifest = manifest_of(path)
    assert result.status == "installed"
    assert result.summary.startswith(f"{manifest['title']} {manifest['version']} is ready: ")
    version = active_version(manifest["id"])
    assert Lesson.select().where(Lesson.pack_version == version).count() == result.lesson_count > 0
    assert Item.select().where(Item.pack_version == version).count() == result.item_count > 0
    lesson = Lesson.select().where(Lesson.pack_version == version).first()
    assert "<script" not in lesson.html and lesson.html.strip()


def test_the_version_row_keeps_the_manifest_header_not_a_second_copy_of_its_rows(library, built_packs):
    path = built_packs["fractions-en"]
    import_pack(path, library, **QUIET)
    manifest, stored = manifest_of(path), active_version(manifest_of(path)["id"]).manifest
    assert {"units", "skills", "files"} & set(stored) == set()
    assert stored == {k: v for k, v in manifest.items() if k not in ("units", "skills", "files")}
    assert stored["id"] == manifest["id"] and "signature" in stored


def test_reimporting_the_same_version_changes_nothing(library, built_packs):
    path = built_packs["fractions-en"]
    import_pack(path, library, **QUIET)
    before = [(v.id, v.imported_at) for v in PackVersion.select()]
    result = import_pack(path, library, **QUIET)
    assert result.status == "unchanged"
    assert [(v.id, v.imported_at) for v in PackVersion.select()] == before


def test_newer_version_replaces_and_keeps_stable_ids(library, built_packs, tmp_path):
    path = built_packs["fractions-en"]
    import_pack(path, library, **QUIET)
    newer = rewrite_pack(path, tmp_path / "newer.lantern",
                         edit_manifest=lambda m: m.update(version="9.0.0", title="Fractions (new)"))
    result = import_pack(newer, library, **QUIET)
    assert (result.status, result.previous_version) == ("upgraded", manifest_of(path)["version"])
    active = active_version(result.pack_id)
    assert (active.version, active.title) == ("9.0.0", "Fractions (new)")
    old_ids = {u["id"] for u in manifest_of(path)["units"]}
    assert old_ids == {u.unit_id for u in active.units}
    with pytest.raises(PackError, match="newer"):
        import_pack(path, library, **QUIET)
    assert active_version(result.pack_id).version == "9.0.0"


def _assert_nothing_changed(library, before):
    assert [(v.pack_id, v.version, v.is_active) for v in PackVersion.select().order_by(PackVersion.id)] == before
    assert not any((library.data_dir / "staging").iterdir())


@pytest.mark.parametrize("case", ["checksum", "format", "unlisted", "missing", "escape", "truncated", "not_a_pack"])
def test_bad_packs_are_refused_and_change_nothing(case, library, built_packs, tmp_path):
    good = built_packs["fractions-en"]
    import_pack(good, library, **QUIET)
    before = [(v.pack_id, v.version, v.is_active) for v in PackVersion.select().order_by(PackVersion.id)]
    manifest = manifest_of(good)
    lesson_file = manifest["units"][0]["lessons"][0]["file"]
    newer = lambda m: m.update(version="9.9.9")
    bad = tmp_path / f"{case}.lantern"
    if case == "checksum":
        with zipfile.ZipFile(good) as archive:
            original = archive.read(lesson_file)
        tampered = original.replace(b"fraction", b"FRACTION", 1)  # same size, other bytes
        rewrite_pack(good, bad, replace={lesson_file: tampered}, edit_manifest=newer)
        expected = f"{lesson_file}: checksum does not match"
    elif case == "format":
        rewrite_pack(good, bad, edit_manifest=lambda m: m.update(format=2, version="9.9.9"))
        expected = "unknown pack format 2"
    elif case == "unlisted":
        rewrite_pack(good, bad, edit_manifest=newer, extra={"extra/evil.html": b"<script>"})
        expected = "extra/evil.html: is in the pack but not listed"
    elif case == "missing":
        rewrite_pack(good, bad, replace={lesson_file: None}, edit_manifest=newer)
        expected = f"{lesson_file}: listed in the manifest but missing"
    elif case == "escape":
        rewrite_pack(good, bad, edit_manifest=newer, extra={"../outside.md": b"x"})
        expected = r"\.\."
    elif case == "truncated":
        data = good.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
        expected = "damaged|truncated|not a|corrupt|zip"
    else:
        bad.write_bytes(b"just some text, not a zip")
        expected = "not_a_pack.lantern: is neither a folder nor a zip archive"
    with pytest.raises(PackError, match=expected):
        import_pack(bad, library, **QUIET)
    _assert_nothing_changed(library, before)


def test_failure_while_preparing_keeps_the_previous_version(library, built_packs, tmp_path):
    """A pixel bomb is only found while preparing images, after verification passed."""
    good = built_packs["fractions-en"]
    import_pack(good, library, **QUIET)
    before = [(v.pack_id, v.version, v.is_active) for v in PackVersion.select().order_by(PackVersion.id)]
    bomb = _png_header(64250, 64250)
    digest = hashlib.sha256(bomb).hexdigest()

    def add_bomb(m):
        m["version"] = "9.9.9"
        m["files"].append({"path": "images/bomb.png", "size": len(bomb), "sha256": digest})

    bad = rewrite_pack(good, tmp_path / "bomb.lantern", edit_manifest=add_bomb, extra={"images/bomb.png": bomb})
    with pytest.raises(PackError, match="images/bomb.png"):
        import_pack(bad, library, **QUIET)
    _assert_nothing_changed(library, before)


def _png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge image (a pixel bomb)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("name", ["qtiworks-bad-content-packages/ZipSlip.zip",
                                  "qtiworks-bad-content-packages/NotContentPackage.zip",
                                  "payloadsallthethings-files/Upload Insecure Files/CVE ZIP Symbolic Link/etc_passwd.zip",
                                  "yauzl-zip-fixtures/test/failure/invalid relative path xt.zip"])
def test_hostile_archives_from_the_corpus_are_refused(name, corpus, library):
    path = corpus / "security" / name
    if not path.exists():
        pytest.skip(f"{name} not in this corpus copy")
    with pytest.raises(PackError):
        import_pack(path, library, **QUIET)
    assert PackVersion.select().count() == 0
    assert not any((library.data_dir / "staging").iterdir())


def test_verify_reports_without_installing(built_packs):
    opened = verify_pack(built_packs["fractions-en"])
    assert opened.manifest.id == manifest_of(built_packs["fractions-en"])["id"]
    assert opened.signed_by is None


def test_remove_pack_drops_it_from_library_and_search(library, built_packs):
    result = import_pack(built_packs["fractions-en"], library, **QUIET)
    assert library.index.doc_count() == result.lesson_count
    remove_pack(result.pack_id, library)
    assert active_version(result.pack_id) is None
    assert library.index.doc_count() == 0

"""Reading untrusted packs: hostile zips from the corpus, bombs, odd names, folders and links."""
import hashlib
import os
import re
import struct
import unicodedata
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import PackError
from server.content.packs.archive import Limits, extract_pack, safe_pack_path, sha256_file

from tests.conftest import examples

YAUZL = Path("security/yauzl-zip-fixtures/test")
LENIENT_RATIO = Limits(max_ratio=1e9)  # to see the defect a file is named after, not the bomb rule


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if not p.is_dir()]


def make_zip(path: Path, entries: dict, method=zipfile.ZIP_DEFLATED) -> Path:
    """A zip with {name or ZipInfo: bytes}; duplicate-name warnings are the point of some tests."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with zipfile.ZipFile(path, "w", compression=method) as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
    return path


def refused(source: Path, dest: Path, limits: Limits = Limits()) -> PackError:
    """Extract expecting refusal; dest must hold no file afterwards."""
    with pytest.raises(PackError) as caught:
        extract_pack(source, dest, limits)
    assert files_in(dest) == [], f"{source.name} left files behind"
    return caught.value


# -- yauzl's failure fixtures: every one is refused, for the reason in its name -----------------

FAILURE_REASONS = [  # (start of the fixture's file name, what our message must mention)
    ("absolute path", r"absolute"),
    ("invalid relative path", r"'\.\.'"),
    ("invalid characters in fileName", r"backslash"),
    ("multi-disk", r"several disks"),
    ("strong encryption", r"encrypted"),
    ("unsupported compression method", r"compression method"),
    ("End of central directory record signature not found", r"damaged|empty file"),
    ("", r"damaged"),  # CRC, truncation, bad signatures, bad zip64 fields, deflate errors, sizes
]


def failure_fixtures() -> list[str]:
    from tests.conftest import CORPUS

    folder = CORPUS / YAUZL / "failure"
    return sorted(p.name for p in folder.glob("*.zip")) if folder.is_dir() else ["(corpus absent)"]


@pytest.mark.parametrize("name", failure_fixtures())
def test_yauzl_failure_fixture_is_refused_for_its_reason(name, corpus, tmp_path):
    source = corpus / YAUZL / "failure" / name
    refused(source, tmp_path / "default")
    reason = next(r for start, r in FAILURE_REASONS if name.startswith(start))
    err = refused(source, tmp_path / "lenient", LENIENT_RATIO)
    assert re.search(reason, err.reason), f"{name}: {err}"
    assert err.path


# -- yauzl's success fixtures: ordinary zips extract; encrypted and odd ones are refused --------

ASCII_PAIR = {"a.txt", "b.txt"}
SUCCESS_OUTCOMES = {
    "NtfsTimestamp.zip": {"a"},
    "big-uncompressed.zip": {"0x21000"},
    "cygwin-info-zip.zip": ASCII_PAIR,
    "deflate.zip": {"index.js"},
    "directories.zip": {"a/a.txt"},  # "b/" is an empty directory entry: skipped
    "empty.zip": set(),
    "linux-info-zip.zip": ASCII_PAIR,
    "streaming.zip": {"test1.txt", "test2.txt"},
    "unicode.zip": {"Turmion Kätilöt/Hoitovirhe/Rautaketju.mp3",
                    "Turmion Kätilöt/Pirun nyrkki/Mistä veri pakenee.mp3"},
    "unicode-path-extra-field.zip": {"七个房间.txt"},  # raw name is control bytes; extra field wins
    "unix-epoch.zip": {"unix-epoch.txt"},
    "windows-7-zip.zip": ASCII_PAIR,
    "windows-compressed-folder.zip": ASCII_PAIR,
    "zip64.zip": {"test1.txt", "test2.txt"},
    "traditional-encryption.zip": "encrypted",
    "traditional-encryption_deprecated.zip": "encrypted",
    "traditional-encryption-and-compression.zip": "encrypted",
    "traditional-encryption-and-compression_deprecated.zip": "encrypted",
    "bogus-compression-method.zip": "compression method",
    "sloppy-filenames.zip": "backslash",  # yauzl's lenient mode turns 'a\\txt' into 'a/txt'; we refuse
    "big-compression.zip": "zip bomb",  # 919:1 over 64 KiB; see test_ratio_rule
    "everything.zip": "zip bomb",  # holds a copy of big-compression's entry
}


def test_every_success_fixture_has_an_expected_outcome(corpus):
    assert {p.name for p in (corpus / YAUZL / "success").glob("*.zip")} == set(SUCCESS_OUTCOMES)


@pytest.mark.parametrize("name", sorted(SUCCESS_OUTCOMES))
def test_yauzl_success_fixture(name, corpus, tmp_path):
    source = corpus / YAUZL / "success" / name
    outcome = SUCCESS_OUTCOMES[name]
    if isinstance(outcome, str):
        assert outcome in refused(source, tmp_path).reason
        return
    files = extract_pack(source, tmp_path)
    assert {f.path for f in files} == outcome
    assert {p.relative_to(tmp_path).as_posix() for p in files_in(tmp_path)} == outcome
    expected_folder = source.with_suffix("")  # yauzl's expected output, where names are ASCII
    for f in files:
        data = f.location.read_bytes()
        assert (f.size, f.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        if (expected_folder / f.path).is_file():
            assert data == (expected_folder / f.path).read_bytes()


@pytest.mark.parametrize("name, limits, accepted", [
    ("big-compression.zip", Limits(), False),  # 135,168 bytes from 147: 919:1 > 200:1
    ("big-compression.zip", Limits(max_ratio=1000), True),
    ("everything.zip", Limits(), False),
    ("everything.zip", Limits(max_ratio=1000), True),
])
def test_ratio_rule_on_yauzl_fixtures(name, limits, accepted, corpus, tmp_path):
    source = corpus / YAUZL / "success" / name
    if accepted:
        files = extract_pack(source, tmp_path, limits)
        assert max(f.size for f in files) == 135_168
    else:
        assert "zip bomb" in refused(source, tmp_path, limits).reason


def test_ratio_rule_ignores_entries_under_64_kib(tmp_path):
    source = make_zip(tmp_path / "small.zip", {"zeros.bin": bytes(60 * 1024)})
    assert zipfile.ZipFile(source).getinfo("zeros.bin").compress_size * 200 < 60 * 1024
    [f] = extract_pack(source, tmp_path / "out")
    assert f.size == 60 * 1024


# -- other hostile archives -----------------------------------------------------------------------

def test_zip_slip_is_refused(corpus, tmp_path):
    err = refused(corpus / "security/qtiworks-bad-content-packages/ZipSlip.zip", tmp_path / "out")
    assert "'..'" in err.reason and err.path.startswith("../etc")
    assert not (tmp_path / "etc").exists()


def test_zip_symlink_entry_is_refused(corpus, tmp_path):
    links = corpus / "security/payloadsallthethings-files/Upload Insecure Files/CVE ZIP Symbolic Link"
    err = refused(links / "etc_passwd.zip", tmp_path)
    assert "symbolic link" in err.reason and err.path == "link"


def test_incomplete_corpus_package_is_refused_as_damaged(corpus, tmp_path):
    source = corpus / "security/qtiworks-bad-content-packages/WebDeveloperTest1-incomplete.zip"
    assert "damaged" in refused(source, tmp_path).reason


def write_zeros_zip(path: Path, megabytes: int, names=("zeros.bin",)) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in names:
            with archive.open(name, "w") as member:
                for _ in range(megabytes):
                    member.write(bytes(1024 * 1024))
    return path


@pytest.fixture(scope="module")
def zeros_zip(tmp_path_factory) -> Path:
    """50 MB of zeros in one entry: about 50 KB on disk."""
    return write_zeros_zip(tmp_path_factory.mktemp("bomb") / "bomb.zip", 50)


@pytest.mark.parametrize("limits, reason", [
    (Limits(), "zip bomb"),
    (Limits(max_file_bytes=10 * 1024**2, max_ratio=1e9), "larger than the 10 MiB allowed for one file"),
    (Limits(max_total_bytes=5 * 1024**2, max_ratio=1e9), "makes the pack larger than the 5 MiB"),
])
def test_generated_zip_bomb_is_refused(zeros_zip, limits, reason, tmp_path):
    assert zeros_zip.stat().st_size < 1024**2
    assert reason in refused(zeros_zip, tmp_path, limits).reason


def test_bomb_that_lies_about_its_size_is_refused_by_counting_bytes(zeros_zip, tmp_path):
    data = bytearray(zeros_zip.read_bytes())
    struct.pack_into("<L", data, 22, 1000)  # local header: uncompressed size
    struct.pack_into("<L", data, data.find(b"PK\x01\x02") + 24, 1000)  # central directory
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bytes(data))
    assert zipfile.ZipFile(liar).getinfo("zeros.bin").file_size == 1000
    assert "damaged" in refused(liar, tmp_path / "out", LENIENT_RATIO).reason


def test_total_size_is_counted_across_entries(tmp_path):
    source = write_zeros_zip(tmp_path / "three.zip", 2, names=("a.bin", "b.bin", "c.bin"))
    err = refused(source, tmp_path / "out", Limits(max_total_bytes=5 * 1024**2, max_ratio=1e9))
    assert err.path == "c.bin" and "makes the pack larger" in err.reason


def test_failure_after_some_files_removes_every_file_written(tmp_path):
    source = tmp_path / "late-bomb.zip"
    with zipfile.ZipFile(source, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lessons/01.md", "# One")
        archive.writestr("lessons/deep/02.md", "# Two")
        with archive.open("media/zeros.bin", "w") as member:
            for _ in range(3):
                member.write(bytes(1024 * 1024))
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "callers-note.txt").write_text("not ours")
    with pytest.raises(PackError, match="zip bomb"):
        extract_pack(source, dest)
    assert files_in(dest) == [dest / "callers-note.txt"]
    assert sorted(p.name for p in dest.iterdir()) == ["callers-note.txt"]  # our folders went too


@pytest.mark.parametrize("keep", [0.5, 0.9, -1])
def test_truncated_copy_of_a_valid_zip_is_refused(keep, corpus, tmp_path):
    data = (corpus / "quizzes/qtiworks-qti21/packages/WebDeveloperTest1.zip").read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[:int(len(data) * keep)] if keep > 0 else data[:keep])
    assert "damaged" in refused(cut, tmp_path / "out").reason


def test_not_a_zip_is_refused_plainly(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert refused(text, tmp_path / "out").reason == "is neither a folder nor a zip archive"


@pytest.mark.parametrize("names, reason", [
    (["A.md", "a.md"], "appears twice"),
    (["lessons/Intro.md", "Lessons/intro.md"], "appears twice"),
    (["caf\u00e9.md", "cafe\u0301.md"], "appears twice"),  # NFC and NFD spellings
    (["same.md", "same.md"], "appears twice"),
    (["a", "a/b.md"], "needs a folder named 'a'"),
    (["a/b.md", "A"], "needs a folder named 'A'"),
])
def test_names_that_collide_on_a_usb_stick_are_refused(names, reason, tmp_path):
    source = tmp_path / "dup.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about exact duplicates
        with zipfile.ZipFile(source, "w") as archive:
            for name in names:
                archive.writestr(name, b"x")
    assert reason in refused(source, tmp_path / "out").reason


def test_junk_and_directory_entries_are_skipped(tmp_path):
    source = make_zip(tmp_path / "mac.zip", {
        "lesson/": b"", "lesson/01.md": b"# Hi", "lesson/._01.md": b"\0\5\26\7",
        "__MACOSX/lesson/._01.md": b"\0\5\26\7", "__MACOSX/lesson/01.md": b"junk", ".DS_Store": b"junk",
        "lesson/Thumbs.db": b"junk"})
    assert [f.path for f in extract_pack(source, tmp_path / "out")] == ["lesson/01.md"]
    assert files_in(tmp_path / "out") == [tmp_path / "out/lesson/01.md"]


def test_real_package_with_macosx_junk_and_unicode_name(corpus, tmp_path):
    source = corpus / "packages/pyslet-ims-cc-cp/data_imscpv1p2/package_1.zip"
    assert any(n.startswith("__MACOSX/") for n in zipfile.ZipFile(source).namelist())
    files = extract_pack(source, tmp_path)
    assert {f.path for f in files} == {"imsmanifest.xml", "英国.xml"}
    assert (tmp_path / "英国.xml").read_bytes().startswith(b"<")


def test_names_are_nfc_normalized(tmp_path):
    source = make_zip(tmp_path / "nfd.zip", {"Turmion Ka\u0308tilo\u0308t/01.md": b"x"})
    [f] = extract_pack(source, tmp_path / "out")
    assert f.path == "Turmion Kätilöt/01.md" == unicodedata.normalize("NFC", f.path)
    assert f.location.is_file()


def test_too_many_files_are_refused(tmp_path):
    source = make_zip(tmp_path / "many.zip", {f"{n}.md": b"x" for n in range(3)})
    assert "more than 2 files" in refused(source, tmp_path / "out", Limits(max_files=2)).reason
    assert len(extract_pack(source, tmp_path / "ok", Limits(max_files=3))) == 3


@pytest.mark.parametrize("name, reason", [
    ("/".join("d" * 17), "nested too deeply"),
    ("x" * 241, "longer than 240 characters"),
])
def test_too_deep_or_too_long_entries_are_refused(name, reason, tmp_path):
    source = make_zip(tmp_path / "deep.zip", {name: b"x"})
    assert reason in refused(source, tmp_path / "out").reason


# -- safe_pack_path --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("lessons/01.md", "lessons/01.md"),
    ("./lessons//01.md", "lessons/01.md"),
    ("lessons/", "lessons"),
    ("Stage 1 – Prepare/Bloom’s_Taxonomy.png", "Stage 1 – Prepare/Bloom’s_Taxonomy.png"),
    ("e\u0301t\u00e9.md", "\u00e9t\u00e9.md"),
    ("英国/英国.xml", "英国/英国.xml"),
    ("..foo/bar..", "..foo/bar.."),  # dots inside names are fine
])
def test_safe_pack_path_normalizes(name, expected):
    assert safe_pack_path(name) == expected


@pytest.mark.parametrize("name, reason", [
    ("/etc/passwd", "absolute"), ("C:/x", "absolute"), ("C:\\x", "absolute"), ("c:x", "absolute"),
    ("./A:", "absolute"), (".//C:/x", "absolute"),
    ("../x", "'..'"), ("a/../../x", "'..'"), ("a/..", "'..'"),
    ("a\\txt", "backslash"), ("..\\x", "backslash"),
    ("", "empty"), (".", "empty"), ("./", "empty"), ("//", "absolute"),
    ("a\x00b", "control character"), ("a\nb", "control character"), ("a\x7f", "control character"),
    ("evil\u202egpj.exe", "text-direction"), ("bad\udcff.md", "not valid Unicode"),
    ("a/" * 16 + "b", "nested too deeply"), ("é" * 241, "longer than 240"),
    ("字" * 86, "longer than 255 bytes"),
])
def test_safe_pack_path_refuses(name, reason):
    with pytest.raises(PackError) as caught:
        safe_pack_path(name)
    assert reason in caught.value.reason


PIECES = st.sampled_from(["..", ".", "", "a", "B", "\\", "C:", "é", "e\u0301", " ", "\x00", "~", "…"])


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=4))).map("/".join)))
def test_safe_pack_path_never_escapes(name):
    try:
        path = safe_pack_path(name)
    except PackError:
        return
    parts = path.split("/")
    assert not path.startswith("/") and "\\" not in path
    assert all(part not in ("", ".", "..") for part in parts)
    assert path == unicodedata.normalize("NFC", path) and len(path) <= 240
    assert safe_pack_path(path) == path


def test_sha256_file(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 7)
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()


# -- odd names from the Big List of Naughty Strings --------------------------------------------

def naughty_names(corpus: Path) -> list[str]:
    lines = (corpus / "security/big-list-of-naughty-strings/blns.txt").read_text("utf-8").split("\n")
    return [line for line in lines if line and not line.startswith("#")]


def test_naughty_names_are_accepted_safely_or_refused(corpus, tmp_path):
    jail = tmp_path / "jail"
    outcomes = {"accepted": 0, "refused": 0, "unwritable": 0}
    for n, line in enumerate(naughty_names(corpus)):
        for variant, name in (("plain", line), ("folder", f"{line}/inner.txt")):
            source = tmp_path / "zips" / f"{n}-{variant}.zip"
            source.parent.mkdir(exist_ok=True)
            try:
                make_zip(source, {name: b"naughty"})
            except (UnicodeEncodeError, ValueError, IndexError):
                outcomes["unwritable"] += 1
                continue
            dest = jail / "a" / "b" / f"{n}-{variant}"
            try:
                files = extract_pack(source, dest)
            except PackError:
                assert files_in(dest) == []
                outcomes["refused"] += 1
                continue
            outcomes["accepted"] += 1
            for f in files:
                assert f.location.resolve().is_relative_to(dest.resolve()), repr(name)
                assert f.location.read_bytes() == b"naughty" and safe_pack_path(f.path) == f.path
    dests = jail / "a" / "b"
    strays = [p for p in files_in(jail) if not p.is_relative_to(dests) or p.parent == dests]
    assert strays == [], "files outside their dest_dir"
    assert outcomes["accepted"] > 500 and outcomes["refused"] > 10, outcomes


# -- folder packs ----------------------------------------------------------------------------------

@pytest.fixture
def folder_pack(tmp_path) -> Path:
    root = tmp_path / "pack"
    (root / "lessons" / "Stage 1 – Prepare").mkdir(parents=True)
    (root / "manifest.json").write_text('{"format": 1}')
    (root / "lessons" / "01.md").write_text("# Fractions\n")
    (root / "lessons" / "Stage 1 – Prepare" / "英国.xml").write_bytes(os.urandom(2 * 1024 * 1024 + 3))
    (root / "lessons" / ".DS_Store").write_bytes(b"junk")
    (root / "__MACOSX" / "lessons").mkdir(parents=True)
    (root / "__MACOSX" / "lessons" / "01.md").write_bytes(b"junk")
    return root


def test_folder_pack_is_copied_with_matching_hashes(folder_pack, tmp_path):
    dest = tmp_path / "out"
    files = extract_pack(folder_pack, dest)
    assert sorted(f.path for f in files) == ["lessons/01.md", "lessons/Stage 1 – Prepare/英国.xml",
                                             "manifest.json"]
    for f in files:
        original = (folder_pack / f.path).read_bytes()
        assert f.location == dest / f.path and f.location.read_bytes() == original
        assert (f.size, f.sha256) == (len(original), hashlib.sha256(original).hexdigest())
    assert len(files_in(dest)) == 3


def test_folder_symlink_to_etc_passwd_is_refused(folder_pack, tmp_path):
    (folder_pack / "lessons" / "passwd.md").symlink_to("/etc/passwd")
    err = refused(folder_pack, tmp_path / "out")
    assert "outside the pack" in err.reason and err.path == "lessons/passwd.md"


def test_folder_relative_symlink_escaping_is_refused(folder_pack, tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    (folder_pack / "lessons" / "s.md").symlink_to("../../secret.txt")
    assert "outside the pack" in refused(folder_pack, tmp_path / "out").reason


def test_folder_symlink_to_a_file_inside_is_copied_as_that_file(folder_pack, tmp_path):
    (folder_pack / "index.md").symlink_to("lessons/01.md")
    files = {f.path: f for f in extract_pack(folder_pack, tmp_path / "out")}
    assert files["index.md"].location.read_text() == "# Fractions\n"
    assert not files["index.md"].location.is_symlink()
    assert files["index.md"].sha256 == files["lessons/01.md"].sha256


@pytest.mark.parametrize("target", ["lessons", "missing.md", "loop.md"])
def test_folder_symlink_to_a_folder_or_nothing_is_refused(target, folder_pack, tmp_path):
    if target == "loop.md":
        (folder_pack / "loop.md").symlink_to("loop.md")
    (folder_pack / "link").symlink_to(target)
    assert "folder or to nothing" in refused(folder_pack, tmp_path / "out").reason


def test_folder_with_a_pipe_is_refused(folder_pack, tmp_path):
    os.mkfifo(folder_pack / "pipe")
    assert "not an ordinary file" in refused(folder_pack, tmp_path / "out").reason


def test_folder_limits_apply(folder_pack, tmp_path):
    err = refused(folder_pack, tmp_path / "out", Limits(max_file_bytes=1024**2))
    assert err.path == "lessons/Stage 1 – Prepare/英国.xml" and "larger than the 1 MiB" in err.reason


def test_real_lesson_folder_with_odd_names_and_a_symlink(corpus, tmp_path):
    source = corpus / "lessons/fair-by-design-tot-en"
    files = {f.path: f for f in extract_pack(source, tmp_path)}
    on_disk = {p.relative_to(source).as_posix() for p in source.rglob("*")
               if p.is_file() or p.is_symlink()}
    assert set(files) == on_disk
    assert "resources/Stage 1 – Prepare" in {p.rsplit("/", 2)[0] for p in files}
    index = source / "resources/index.md"
    if index.is_symlink():  # upstream: a relative link to the syllabus (not every copy keeps it)
        syllabus = files["resources/FAIR-by-Design_ToT_syllabus.md"]
        assert files["resources/index.md"].sha256 == syllabus.sha256

"""A pack import's blobs reach the disk, all at once, before the transaction that names them.

The flush cannot be observed from outside a running kernel, so the calls are counted: the real syncfs(2) or
os.fsync is wrapped (and still called) and its order against the switch to the new version is recorded."""
import hashlib
import os

import pytest

from server.content import blobs
from server.content.blobs import PENDING_PREFIX, BlobStore
from server.content.packs import install
from server.content.packs.install import active_version, import_pack
from server.models import Blob, PackVersion
from tests.packtools import manifest_of

QUIET = {"progress": lambda _: None}


def _named(root) -> set[str]:
    return {p.name for p in root.glob("??/*") if len(p.name) == 64}


def _record_switch(monkeypatch, events: list) -> None:
    real = install._switch

    def switch(*args, **kwargs):
        events.append(("switch", None))
        return real(*args, **kwargs)

    monkeypatch.setattr(install, "_switch", switch)


def test_an_import_flushes_its_blobs_once_before_naming_them_and_once_before_the_switch(library, built_packs,
                                                                                         monkeypatch):
    if blobs._syncfs() is None:
        pytest.skip("this C library has no syncfs(2); the fsync test below covers the other path")
    root, events, real = library.data_dir / "blobs", [], blobs.sync_filesystem

    def counted(folder):
        events.append(("sync", set(_named(root))))
        return real(folder)

    fsyncs = []
    real_fsync = os.fsync
    monkeypatch.setattr(blobs, "sync_filesystem", counted)
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd))[1])
    _record_switch(monkeypatch, events)
    before = _named(root)
    import_pack(built_packs["fractions-en"], library, **QUIET)
    new = {b.sha256 for b in Blob.select()} - before
    assert [kind for kind, _ in events] == ["sync", "sync", "switch"]
    assert events[0][1] == before, "no blob of the import had its final name before the first flush"
    assert new and new <= events[1][1], "every blob was named before the second flush, so before the switch"
    assert fsyncs == [], "one flush for the whole import, not one per blob"


def test_without_syncfs_every_blob_and_folder_is_fsynced_before_the_switch(library, built_packs, monkeypatch):
    events, real_fsync = [], os.fsync
    monkeypatch.setattr(blobs, "_syncfs", lambda: None)
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))),
                                                 real_fsync(fd))[1])
    _record_switch(monkeypatch, events)
    root = library.data_dir / "blobs"
    before = _named(root)
    import_pack(built_packs["fractions-en"], library, **QUIET)
    new = {b.sha256 for b in Blob.select()} - before
    kinds = [kind for kind, _ in events]
    switched = kinds.index("switch")
    flushed = {os.path.basename(path) for kind, path in events[:switched] if kind == "fsync"}
    assert new and new <= flushed, "every new blob's bytes were flushed before the switch"
    shards = {sha[:2] for sha in new}
    assert shards <= flushed and "blobs" in flushed, "and the folders holding their names"
    assert not [path for kind, path in events[switched + 1:] if kind == "fsync" and path.startswith(str(root))]


def test_a_power_cut_before_the_flush_leaves_no_blob_named_and_a_restart_clears_it(library, built_packs,
                                                                                   monkeypatch):
    root = library.data_dir / "blobs"
    before = _named(root)

    def power_cut(self):
        raise SystemExit("power cut")

    monkeypatch.setattr(blobs.BlobStore, "publish", power_cut)
    monkeypatch.setattr(blobs.BlobStore, "discard", lambda self: None)  # no clean-up runs in a power cut
    with pytest.raises(SystemExit):
        import_pack(built_packs["fractions-en"], library, **QUIET)
    pending = list(root.glob(f"{PENDING_PREFIX}*"))
    assert len(pending) == 1 and any(pending[0].iterdir()), "the written blobs wait in the pending folder"
    assert _named(root) == before and PackVersion.select().count() == 0

    monkeypatch.undo()
    assert BlobStore(root).clean_incoming() == 1  # what every start does (server.device.maintenance)
    assert not list(root.glob(f"{PENDING_PREFIX}*"))
    result = import_pack(built_packs["fractions-en"], library, **QUIET)
    assert result.status == "installed" and active_version(manifest_of(built_packs["fractions-en"])["id"])
    for blob in Blob.select():
        data = (root / blob.sha256[:2] / blob.sha256).read_bytes()
        assert hashlib.sha256(data).hexdigest() == blob.sha256 and len(data) == blob.size


def test_a_refused_import_leaves_no_pending_folder(library, built_packs, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the switch failed")

    monkeypatch.setattr(install, "_switch", broken)
    with pytest.raises(RuntimeError):
        import_pack(built_packs["fractions-en"], library, **QUIET)
    assert not list((library.data_dir / "blobs").glob(f"{PENDING_PREFIX}*"))
    assert PackVersion.select().count() == 0


def test_a_store_outside_an_import_still_fsyncs_each_blob(tmp_path, monkeypatch):
    calls, real_fsync = [], os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd))[1])
    store = BlobStore(tmp_path / "blobs")
    digest = store.put_bytes(b"a learner's upload")
    assert len(calls) == 1 and store.path_for(digest).read_bytes() == b"a learner's upload"

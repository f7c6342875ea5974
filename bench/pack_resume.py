"""Resuming a pack download from the hub, on loopback: a ~200 MB pack (quick: ~10 MB) offered by a real hub
(`lantern serve --role hub`, `lantern hub offer-pack`), a demo school paired with it (`lantern sync pair`).

The school's first download is cut at 50 % (the transport raises, as a reset connection does); the partial
file stays in DATA/downloads. Then the resume is timed: one Range request for the rest, written to
the partial file, and the SHA-256 of the whole archive checked (sync.packs.download, as `lantern sync run`
does it). The import that follows (the normal pack import) is timed apart. Bounded: socket timeouts of 60 s.

    python -m bench.pack_resume [--quick]
"""
import argparse
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/pack_resume.py
    sys.path.insert(0, str(REPO))

from bench import fixtures  # noqa: E402
from bench.content import LibrarySpec  # noqa: E402
from bench.server_process import start_server  # noqa: E402
from bench.tables import format_table  # noqa: E402

FULL = LibrarySpec("gen-resume", 400, images=2, audio_bytes=500_000, seed=6)
QUICK = LibrarySpec("gen-resume-small", 20, images=2, audio_bytes=500_000, seed=6)


class CutAt:
    """Wraps the HTTP transport's download so the connection 'resets' after `limit` bytes."""

    def __init__(self, transport, limit: int):
        self.transport, self.limit = transport, limit

    def open(self, path, headers):
        inner, limit = self.transport.open(path, headers), self.limit

        class Response:
            def __enter__(self):
                self.response, self.read_so_far = inner.__enter__(), 0
                self.status = self.response.status
                return self

            def read(self, size):
                if self.read_so_far >= limit:
                    raise ConnectionResetError("cut by the benchmark")
                chunk = self.response.read(min(size, limit - self.read_so_far))
                self.read_so_far += len(chunk)
                return chunk

            def __exit__(self, *exc):
                return inner.__exit__(*exc)

        return Response()


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run."""
    from server.db import database
    from server.errors import SyncError
    from server.identity import device_key
    from server.content.packs.install import Library, import_pack
    from sync.client import _reply_message, _signed_headers
    from sync import protocol
    from sync.packs import download, wanted
    from sync.state import get_state
    from sync.transport import HttpTransport

    spec = QUICK if quick else FULL
    pack = fixtures.library_pack(spec)
    size = pack.stat().st_size
    hub_dir = fixtures.fresh_dir("resume-hub")
    _, out = fixtures.lantern("hub", "add-school", "Bench school", "--data", str(hub_dir))
    code = re.search(r"Pairing code: (\S+)", out).group(1)
    offer_s, _ = fixtures.lantern("hub", "offer-pack", "--data", str(hub_dir), str(pack))
    hub = start_server(hub_dir, hub_dir / "hub.log", extra=("--role", "hub"))
    try:
        school = fixtures.demo_copy("resume-school")
        fixtures.lantern("sync", "pair", hub.base_url, code, "--data", str(school))
        config = fixtures.open_data(school)
        with database.connection_context():
            key, device, school_id = device_key(school), get_state("hub_device_id"), get_state("hub_school_id")
            transport = HttpTransport(hub.base_url, timeout=60)
            body = protocol.encode({"type": "catalogue-request", "school_id": school_id})
            reply = transport.post("/sync/v1/catalogue", body, _signed_headers(key, device, "/sync/v1/catalogue", body))
            entry = wanted(_reply_message(reply, "catalogue")["packs"])[0]
            size = int(entry["size"])  # the hub signs what it offers: its archive, not the file we gave it
            def headers_for(path):
                return _signed_headers(key, device, path, b"", method="GET")

            started = time.perf_counter()
            try:
                download(CutAt(transport, size // 2), entry, school, headers_for)
                raise RuntimeError("the first download was not cut")
            except SyncError:
                first_s = time.perf_counter() - started
            started = time.perf_counter()
            part, got = download(transport, entry, school, headers_for)
            resume_s = time.perf_counter() - started
            if part is None or got != size - size // 2:
                raise RuntimeError(f"resume fetched {got} bytes, expected {size - size // 2}")
            archive = part.with_suffix(".zip")
            part.rename(archive)
            started = time.perf_counter()
            result = import_pack(archive, Library(config["DATA_DIR"]), progress=lambda _: None)
            import_s = time.perf_counter() - started
            archive.unlink(missing_ok=True)
    finally:
        hub.stop()
    mb = size / 1e6
    return [("pack offered by the hub",
             f"{mb:,.1f} MB ({spec.lessons} lessons with audio); offer-pack {offer_s:.1f} s"),
            ("first download, cut at 50 %", f"{mb / 2:,.1f} MB in {first_s:.1f} s"),
            ("time to resume (Range request for the rest + SHA-256 of the whole)", f"{resume_s:.2f} s"),
            ("bytes fetched again on resume", f"{got - (size - size // 2)} (asked from byte {size // 2:,})"),
            ("then the normal pack import", f"{import_s:.1f} s ({result.status})")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(format_table(["figure", "value"], [list(f) for f in bench(args.quick)], "pack download resume"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Packs from the hub: the hub's catalogue, and resumable downloads on the school.

The hub keeps the archives it offers in DATA/offered-packs, named by SHA-256 (`lantern hub
offer-pack FILE`; offering a newer version withdraws the older one). A school asks for the
catalogue, picks what it lacks or has an older version of, and downloads each archive with
HTTP Range into DATA/downloads/<sha256>.part: a cut connection keeps the partial file and the
next pass (even after a restart) asks for the rest only. A finished download is checked against its SHA-256 (a
mismatch removes it and imports nothing), then goes through the normal pack import. Partial
files of packs the hub no longer offers are removed, so DATA/downloads holds at most one partial file
per offered pack. A downloaded file that the import refuses is remembered by its hash and not downloaded
again (a fixed pack from the hub has another hash and is tried).
"""
import hashlib
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from server.db import database
from server.errors import PackError, SyncError
from server.models.sync_pull import HubPack
from server.content.packs.install import Library, active_version, import_pack
from server.content.packs.manifest import version_key
from server.content.packs.verify import verify_pack
from server.storage import ensure_free_space
from sync.state import get_state, set_state

log = logging.getLogger(__name__)
CHUNK = 256 * 1024
REFUSED_STATE = "refused_packs"  # sha256 -> why that downloaded file could not be imported
MAX_PACK = 4 * 1024**3
SHA = re.compile(r"^[0-9a-f]{64}\Z")
PACK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")


# --- hub side ----------------------------------------------------------------------------------

def offered_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "offered-packs"


def offer_pack(path: Path, data_dir: Path) -> HubPack:
    """Verify a pack archive and offer it to every school (replacing older versions of the pack)."""
    path = Path(path)
    if not path.is_file():
        raise SyncError("Offer a pack archive file (`lantern pack build` makes one), not a folder.")
    manifest = verify_pack(path).manifest
    sha = file_sha256(path)
    suffix = "".join(c for c in path.suffix.lower() if c.isalnum() or c == ".")[:16] or ".zip"
    folder = offered_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha}{suffix}"
    if not target.exists():
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".offer-", delete=False) as tmp:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, tmp, CHUNK)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, target)
    with database.atomic():
        old = list(HubPack.select().where((HubPack.pack_id == manifest.id) & (HubPack.sha256 != sha)))
        HubPack.delete().where((HubPack.pack_id == manifest.id) & (HubPack.sha256 != sha)).execute()
        HubPack.insert(sha256=sha, pack_id=manifest.id, version=manifest.version, title=manifest.title[:200],
                       language=manifest.language, size=target.stat().st_size,
                       suffix=suffix).on_conflict_ignore().execute()
    for row in old:
        (folder / f"{row.sha256}{row.suffix}").unlink(missing_ok=True)
    return HubPack.get(HubPack.sha256 == sha)


def withdraw_pack(pack_id: str, data_dir: Path) -> int:
    """Stop offering a pack; return how many archives were removed."""
    rows = list(HubPack.select().where(HubPack.pack_id == pack_id))
    HubPack.delete().where(HubPack.pack_id == pack_id).execute()
    for row in rows:
        (offered_dir(data_dir) / f"{row.sha256}{row.suffix}").unlink(missing_ok=True)
    return len(rows)


def catalogue() -> list[dict]:
    """What the hub offers, as it travels."""
    return [{"pack_id": p.pack_id, "version": p.version, "title": p.title, "language": p.language,
             "sha256": p.sha256, "size": p.size} for p in HubPack.select().order_by(HubPack.pack_id)]


def offered_file(sha: str, data_dir: Path) -> Path | None:
    """The archive file for an offered pack, or None."""
    row = HubPack.get_or_none(HubPack.sha256 == sha) if SHA.match(sha or "") else None
    return offered_dir(data_dir) / f"{row.sha256}{row.suffix}" if row else None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- school side -------------------------------------------------------------------------------

@dataclass
class PackPull:
    imported: list[str] = field(default_factory=list)
    downloaded_bytes: int = 0
    waiting: list[str] = field(default_factory=list)  # interrupted or over budget: resumes next time
    refused: list[str] = field(default_factory=list)  # downloaded but not importable: not fetched again


def check_catalogue(entries: object) -> list[dict]:
    """Validate the hub's catalogue; SyncError for anything off."""
    if not isinstance(entries, list) or len(entries) > 1000:
        raise SyncError("the pack catalogue must be a list of at most 1000 packs")
    for n, entry in enumerate(entries):
        if (not isinstance(entry, dict) or not SHA.match(str(entry.get("sha256", "")))
                or not PACK_ID.match(str(entry.get("pack_id", ""))) or not isinstance(entry.get("version"), str)
                or not isinstance(entry.get("size"), int) or not 0 < entry["size"] <= MAX_PACK):
            raise SyncError(f"catalogue entry {n} is malformed")
    return entries


def wanted(entries: list[dict]) -> list[dict]:
    """The offered packs this school lacks, or has an older version of (leaving out files that failed
    to import here before: the same bytes would fail again, and on a metered link they cost money)."""
    out = []
    refused = get_state(REFUSED_STATE) or {}
    for entry in entries:
        if entry["sha256"] in refused:
            continue
        active = active_version(entry["pack_id"])
        try:
            if active is None or version_key(entry["version"]) > version_key(active.version):
                out.append(entry)
        except (ValueError, TypeError):
            continue
    return out


def downloads_dir(data_dir: Path) -> Path:
    """Where partial downloads wait (not under DATA/staging, which start-up empties: they must survive)."""
    return Path(data_dir) / "downloads"


def clean_partials(data_dir: Path, offered: set[str]) -> int:
    """Remove partial downloads the hub no longer offers, and leftovers of an interrupted import."""
    removed = 0
    folder = downloads_dir(data_dir)
    for path in folder.iterdir() if folder.is_dir() else []:
        if path.suffix != ".part" or path.stem not in offered:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def download(transport, entry: dict, data_dir: Path, headers_for, budget: int | None = None) -> tuple[Path | None, int]:
    """Fetch the rest of one archive with a Range request; return (complete file or None, bytes read).

    `headers_for(path)` signs the request. A cut connection raises SyncError and keeps the
    partial file; a finished file whose SHA-256 differs is removed and refused."""
    folder = downloads_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{entry['sha256']}.part"
    offset = part.stat().st_size if part.exists() else 0
    if offset > entry["size"]:
        part.unlink()
        offset = 0
    ensure_free_space(Path(data_dir), 64 * 1024**2, entry["size"] - offset)
    path = f"/sync/v1/packs/{entry['sha256']}"
    got = 0
    if offset < entry["size"] and budget != 0:
        request_headers = {**headers_for(path), "Range": f"bytes={offset}-"}
        try:
            with transport.open(path, request_headers) as response:
                if response.status == 200:
                    offset = 0  # the hub sent the whole file: start again
                elif response.status != 206:
                    raise SyncError(f"The hub refused the download of {entry['pack_id']} (HTTP {response.status}).")
                got = _stream_into(part, response, offset, entry["size"], budget)
        except (OSError, TimeoutError) as err:
            raise SyncError(f"The download of {entry['pack_id']} was interrupted ({err}); "
                            "it resumes from where it stopped next time.") from None
    if (part.stat().st_size if part.exists() else 0) < entry["size"]:
        return None, got
    if file_sha256(part) != entry["sha256"]:
        part.unlink(missing_ok=True)
        raise SyncError(f"The download of {entry['pack_id']} is damaged (its SHA-256 does not match); "
                        "it was removed and nothing was imported.")
    return part, got


def _stream_into(part: Path, response, offset: int, size: int, budget: int | None) -> int:
    """Write the response into the partial file from `offset` (at most `budget` bytes); return bytes read."""
    got = 0
    with open(part, "r+b" if offset and part.exists() else "wb") as out:
        out.seek(offset)
        out.truncate()
        while offset + got < size and (budget is None or got < budget):
            want = CHUNK if budget is None else min(CHUNK, budget - got)
            chunk = response.read(min(want, size - offset - got))
            if not chunk:
                break
            out.write(chunk)
            got += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return got


def pull_packs(transport, data_dir: Path, catalogue_entries: list[dict], headers_for, library: Library,
               budget: int | None = None) -> PackPull:
    """Download and import every offered pack this school lacks; resumable, bounded by `budget`."""
    entries = check_catalogue(catalogue_entries)
    clean_partials(data_dir, {e["sha256"] for e in entries})
    result = PackPull()
    for entry in wanted(entries):
        left = None if budget is None else max(0, budget - result.downloaded_bytes)
        part, got = download(transport, entry, data_dir, headers_for, left)
        result.downloaded_bytes += got
        if part is None:
            result.waiting.append(entry["pack_id"])
            continue
        archive = part.with_suffix(".zip")
        os.replace(part, archive)
        try:
            import_pack(archive, library)
        except PackError as err:
            # Remember this file (by hash) so it is not downloaded again; a new file from the hub is tried.
            refused = get_state(REFUSED_STATE) or {}
            set_state(REFUSED_STATE, {**refused, entry["sha256"]: f"{entry['pack_id']} {entry['version']}: {err}"})
            log.warning("the pack %s %s from the hub could not be imported: %s", entry["pack_id"],
                        entry["version"], err)
            result.refused.append(f"{entry['pack_id']} {entry['version']} ({err})")
            continue
        finally:
            archive.unlink(missing_ok=True)
        result.imported.append(f"{entry['title'] if isinstance(entry.get('title'), str) else entry['pack_id']} "
                               f"{entry['version']}")
    return result

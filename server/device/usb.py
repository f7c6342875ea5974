"""USB sticks: finding packs on mounted removable drives and saying what each one is.

Kolibri drives (a KOLIBRI_DATA folder) list one entry per channel, read from its database.
Only a quick look happens here (the manifest is read, nothing is extracted); the full
verification runs when the coordinator presses Import (`server.device.jobs`).
"""
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from server.errors import PackError
from server.content.kolibri.drive import find_channels
from server.i18n import N_
from server.content.packs.install import active_version
from server.content.packs.manifest import MANIFEST_NAME, load_manifest, version_key
from server.content.packs.publishers import Provenance, manifest_provenance

DEFAULT_ROOTS = ("/media", "/mnt", "/run/media")
MAX_DEPTH = 4
MAX_FOUND = 200
PACK_SUFFIXES = (".lantern", ".zip")


@dataclass(frozen=True)
class FoundPack:
    path: Path
    title: str
    pack_id: str
    version: str
    language: str
    size_bytes: int
    origin: Provenance  # state: unsigned | trusted | untrusted | invalid (refused)
    status: str  # new | installed | partial (some topics of a channel) | newer | older | unreadable
    problem: str = ""
    topics: tuple[tuple[str, str], ...] = ()  # a Kolibri channel's top topics (id, title), to choose from

    @property
    def status_text(self) -> str:
        """The install status in plain words."""
        return {"new": N_("Not installed"), "installed": N_("Already installed"),
                "partial": N_("Some of its topics are installed"),
                "newer": N_("Newer than the installed version"), "older": N_("Older than the installed version"),
                "unreadable": f"Cannot be used: {self.problem}"}[self.status]


def find_packs(roots: list[str | Path]) -> list[FoundPack]:
    """Packs (files or unpacked folders) on the mounted drives under `roots`, by title."""
    found: list[FoundPack] = []
    for root in roots:
        root = Path(root)
        if root.is_dir():
            _walk(root, 0, found)
    return sorted(found, key=lambda f: (f.title.lower(), f.version))


def _walk(folder: Path, depth: int, found: list) -> None:
    if depth > MAX_DEPTH or len(found) >= MAX_FOUND:
        return
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return  # an unreadable folder on a stick is skipped, not fatal
    if (folder / MANIFEST_NAME).is_file():
        found.append(describe(folder))
        return
    if (folder / "content" / "databases").is_dir():  # a Kolibri export (KOLIBRI_DATA): one entry per channel
        found.extend(describe_channels(folder))
        return
    for entry in entries:
        if entry.is_symlink() or entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix.lower() in PACK_SUFFIXES:
            found.append(describe(entry))
        elif entry.is_file() and entry.suffix.lower() == ".h5p":  # converted when imported (content/h5p)
            found.append(FoundPack(entry, f"{entry.stem} (H5P)", "", "", "", _size(entry), False, "new"))
        elif entry.is_dir():
            _walk(entry, depth + 1, found)


def describe(path: Path) -> FoundPack:
    """What a pack on a stick is, and how it compares with what is installed."""
    try:
        manifest = load_manifest(_manifest_bytes(path))
    except (PackError, OSError, zipfile.BadZipFile, KeyError) as err:
        reason = err.message if isinstance(err, PackError) else "it is damaged or not a Lantern pack"
        return FoundPack(path, path.name, "", "", "", _size(path), Provenance("unsigned"), "unreadable", reason)
    try:
        origin = manifest_provenance(manifest.raw)
    except PackError as err:
        return FoundPack(path, manifest.title, manifest.id, manifest.version, manifest.language, _size(path),
                         Provenance("invalid"), "unreadable", err.reason)
    active = active_version(manifest.id)
    if active is None:
        status = "new"
    elif active.version == manifest.version:
        status = "installed"
    else:
        status = "newer" if version_key(manifest.version) > version_key(active.version) else "older"
    return FoundPack(path, manifest.title, manifest.id, manifest.version, manifest.language,
                     _size(path), origin, status)


def describe_channels(folder: Path) -> list[FoundPack]:
    """The Kolibri channels of a drive folder, each importable as a pack (its path is the channel database)."""
    try:
        channels = find_channels(folder)
    except PackError as err:
        return [FoundPack(folder, folder.name, "", "", "", 0, False, "unreadable", err.message)]
    found = []
    for channel in channels:
        found.append(FoundPack(channel.database, f"{channel.name} (Kolibri)", f"kolibri-{channel.id}",
                               f"{channel.version}.0.0", "", channel.size_bytes, False,
                               _channel_status(channel), topics=channel.topics))
    return found


def _channel_status(channel) -> str:
    """A channel against what is installed; a choice of its topics has the version `<v>+topics.<hash>`."""
    active, version = active_version(f"kolibri-{channel.id}"), f"{channel.version}.0.0"
    if active is None:
        return "new"
    if active.version.split("+")[0] == version:
        return "installed" if active.version == version else "partial"
    return "newer" if version_key(version) > version_key(active.version) else "older"


def _manifest_bytes(path: Path) -> bytes:
    if path.is_dir():
        return (path / MANIFEST_NAME).read_bytes()
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(MANIFEST_NAME)
        if info.file_size > 16 * 1024**2:
            raise PackError("the manifest is too large", MANIFEST_NAME)
        return archive.read(info)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def is_under_roots(path: Path, roots: list[str | Path]) -> bool:
    """True when a path (from a form) really lies on one of the configured drives."""
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(Path(root).resolve()) for root in roots)

"""Kolibri's export layout on a drive: finding channels, and copying storage files with their MD5 checked.

    KOLIBRI_DATA/content/databases/<channel_id>.sqlite3
    KOLIBRI_DATA/content/storage/<h0>/<h1>/<md5>.<ext>

Decisions:
- A drive is found by its `content/databases` folder; the folder given may be KOLIBRI_DATA itself, its
  parent, or its `content` folder (people point at all three).
- A storage file is copied in 1 MiB chunks while its MD5 (Kolibri's name for it) and SHA-256 (ours) are
  computed; a wrong MD5 refuses the import with the file named. The copy goes to `<name>.part` and is renamed
  only once checked, so a file present under its final name is complete: a conversion cut by a power cut
  resumes by skipping those.
"""
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from server.errors import PackError
from server.content.kolibri.channel_db import ChannelDB

CHUNK = 1024 * 1024
CHANNEL_FILE = re.compile(r"^[0-9a-f]{32}\.sqlite3\Z")
MD5 = re.compile(r"^[0-9a-f]{32}\Z")
EXTENSION = re.compile(r"^[a-z0-9]{1,10}\Z")


@dataclass(frozen=True)
class ChannelOnDrive:
    id: str
    name: str
    version: int
    schema: str
    database: Path
    root: Path  # the KOLIBRI_DATA folder (holds content/)
    node_count: int
    size_bytes: int  # every file the channel lists
    topics: tuple[tuple[str, str], ...] = ()  # (id, title) of the topics right under the root


def content_root(path: Path) -> Path | None:
    """The KOLIBRI_DATA folder at or around `path`, or None when it holds no Kolibri export."""
    path = Path(path)
    for candidate in (path, path / "KOLIBRI_DATA", path.parent):
        if (candidate / "content" / "databases").is_dir():
            return candidate
    return None


def is_kolibri_drive(path: Path) -> bool:
    """Whether a folder holds channels in Kolibri's export layout."""
    return content_root(path) is not None


def find_channels(path: Path) -> list[ChannelOnDrive]:
    """The channels of a Kolibri export folder, by name; unreadable databases are refused by name."""
    root = content_root(path)
    if root is None:
        raise PackError("has no Kolibri channels (no content/databases folder)", str(path))
    found = []
    for db_path in sorted((root / "content" / "databases").iterdir()):
        if not CHANNEL_FILE.match(db_path.name):
            continue
        with ChannelDB(db_path) as db:
            found.append(ChannelOnDrive(db.meta.id, db.meta.name, db.meta.version, db.meta.schema,
                                        db_path, root, db.node_count(), db.total_file_bytes(),
                                        tuple(db.top_topics())))
    return sorted(found, key=lambda c: c.name.casefold())


def choose_channel(path: Path, channel_id: str | None) -> ChannelOnDrive:
    """The channel asked for, or the only one on the drive."""
    channels = find_channels(path)
    if channel_id:
        for channel in channels:
            if channel.id == channel_id:
                return channel
        raise PackError(f"has no channel {channel_id}; it has: "
                        + (", ".join(f"{c.id} ({c.name})" for c in channels) or "none"), str(path))
    if len(channels) != 1:
        listing = ", ".join(f"{c.id} ({c.name})" for c in channels) or "none"
        raise PackError(f"holds {len(channels)} Kolibri channels; choose one with --channel ID: {listing}",
                        str(path))
    return channels[0]


def storage_path(root: Path, md5: str, extension: str) -> Path | None:
    """Where a storage file lives on the drive (None for a malformed name)."""
    if not MD5.match(md5) or not EXTENSION.match(extension):
        return None
    return root / "content" / "storage" / md5[0] / md5[1] / f"{md5}.{extension}"


def copy_checked(source: Path, dest: Path, md5: str) -> tuple[int, str]:
    """Copy a storage file to `dest`, checking its MD5; return its size and SHA-256.

    A completed copy (present under its final name) is not copied again, only hashed."""
    digest, sha, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    if dest.is_file():
        with open(dest, "rb") as done:
            while chunk := done.read(CHUNK):
                sha.update(chunk)
                size += len(chunk)
        return size, sha.hexdigest()
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as src, open(part, "wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            sha.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if digest.hexdigest() != md5:
        part.unlink()
        raise PackError("is damaged: its content does not match its MD5 name (copy the channel to the "
                        "drive again)", f"content/storage/{md5[0]}/{md5[1]}/{source.name}")
    os.replace(part, dest)
    return size, sha.hexdigest()

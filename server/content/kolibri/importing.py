"""`lantern pack import|build` for a Kolibri drive: choose the channel, convert, then install or write a pack.

The converted folder goes through `server.content.packs.install.import_pack` like any pack: verified,
prepared, switched in one transaction, indexed for search and offered to sync like the others.
"""
import json
import logging
import shutil
from pathlib import Path
from typing import Callable

from server.errors import PackError
from server.content.packs.archive import Limits
from server.content.packs.build import write_pack_archive
from server.content.packs.install import ImportResult, Library, import_pack
from server.content.packs.manifest import MANIFEST_NAME
from server.content.kolibri.convert import Conversion, convert_channel, work_folder
from server.content.kolibri.drive import choose_channel

log = logging.getLogger(__name__)
# A converted channel has a page per node and an app's files unpacked: far more files than a hand-made
# pack. Every other limit (sizes, ratio, paths) stays as for any pack.
CONVERTED_LIMITS = Limits(max_files=250_000, max_total_bytes=64 * 1024**3)


def import_channel(path: Path, library: Library, channel_id: str | None = None,
                   progress: Callable[[str], None] = log.info,
                   topics: tuple[str, ...] = ()) -> tuple[ImportResult, Conversion]:
    """Convert a channel from a Kolibri drive (or only some of its topics, by id or title) and install it as
    a pack (nothing changes on failure)."""
    channel = choose_channel(path, channel_id)
    work = work_folder(library.data_dir, channel)
    progress(f"Converting the Kolibri channel {channel.name} ({channel.node_count} nodes)")
    conversion = convert_channel(channel, work, library.min_free_bytes, topics)
    for line in conversion.report():
        progress(line)
    try:
        result = import_pack(work, library, progress, CONVERTED_LIMITS)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result, conversion


def build_channel_pack(path: Path, out: Path, channel_id: str | None = None,
                       topics: tuple[str, ...] = ()) -> Conversion:
    """Convert a channel from a Kolibri drive (or only some of its topics) into one pack file at `out`."""
    channel = choose_channel(path, channel_id)
    work = Path(out).with_name(Path(out).name + ".work")
    conversion = convert_channel(channel, work, topics=topics)
    try:
        manifest = json.loads((work / MANIFEST_NAME).read_text("utf-8"))
        write_pack_archive(work, Path(out), manifest, [f["path"] for f in manifest["files"]])
    except OSError as err:
        raise PackError(f"could not be written ({err.strerror or err})", str(out)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return conversion

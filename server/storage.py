"""Disk space guard: refuse new writes with a clear message before the disk is full."""
import shutil
from pathlib import Path

from server.errors import StorageFull
from server.i18n import N_


def free_bytes(path: Path) -> int:
    """Bytes free on the filesystem holding `path`."""
    return shutil.disk_usage(path).free


def ensure_free_space(path: Path, reserve: int, needed: int = 0) -> None:
    """Raise StorageFull unless `needed` bytes fit while keeping `reserve` bytes free."""
    free = free_bytes(path)
    if free - needed < reserve:
        raise StorageFull(N_("The storage is nearly full (%(free)s MB free). New work cannot be saved until "
                             "space is freed: remove old packs or copy backups off the device."),
                          free=free // 1024**2)

"""This device's identity: a stable id (in the database) and its Ed25519 key (in the data folder)."""
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from server.db import database
from server.models import SyncState

if TYPE_CHECKING:  # cryptography (~6 MiB) is imported on first use: only sync and signing need it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_ids: dict[str, str] = {}


def device_id() -> str:
    """The id of this device, created on first use and cached per database."""
    key = str(getattr(database.obj, "database", ""))
    if key not in _ids:
        row = SyncState.get_or_none(SyncState.key == "device_id")
        if row is None:
            row = SyncState.create(key="device_id", value=str(uuid.uuid4()))
        _ids[key] = row.value
    return _ids[key]


def device_key(data_dir: Path) -> "Ed25519PrivateKey":
    """This device's private key, created (mode 600) on first use."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(data_dir) / "device_key"
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_key_hex(key: "Ed25519PrivateKey") -> str:
    """The public half of a key, as hex."""
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()

"""Configuration: defaults, the data folder layout, and the per-install secret key."""
import os
import secrets
from pathlib import Path

DEFAULT_DATA_DIR = "lantern-data"


def default_data_dir() -> Path:
    """The data folder: $LANTERN_DATA, else ./lantern-data."""
    return Path(os.environ.get("LANTERN_DATA", DEFAULT_DATA_DIR))


def load_config(data_dir: Path | str, **overrides) -> dict:
    """Build the app config for one data folder; creates the folder layout and secret key."""
    data = Path(data_dir).resolve()
    for sub in ("blobs", "index", "staging"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    config = {
        "DATA_DIR": data,
        "DATABASE": os.environ.get("LANTERN_DATABASE") or str(data / "lantern.db"),
        "SECRET_KEY": _secret_key(data),
        "ROLE": "school",
        "DEMO": False,
        # Processes serving the port (`lantern serve --workers`) and this process's number among them.
        "WORKERS": 1,
        "WORKER": 0,
        # Refuse writes (answers, imports) while less than this is free on the data disk.
        "MIN_FREE_BYTES": int(os.environ.get("LANTERN_MIN_FREE_BYTES", 64 * 1024**2)),
        "MAX_CONTENT_LENGTH": 16 * 1024**2,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "lantern",
        "SEND_FILE_MAX_AGE_DEFAULT": 31536000,
        # Where removable drives appear (USB sticks with packs and sync bundles).
        "USB_ROOTS": os.environ.get("LANTERN_USB_ROOTS", "/media:/mnt:/run/media").split(":"),
    }
    config.update(overrides)
    return config


def _secret_key(data: Path) -> str:
    """Read the install's secret key, creating it (mode 600) on first run."""
    path = data / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()

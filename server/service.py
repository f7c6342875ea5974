"""Running Lantern as a system service (systemd): the unit file install.sh --service writes."""
from pathlib import Path

UNIT_TEMPLATE = """\
[Unit]
Description=Lantern learning server
Documentation=file://{docs}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={user}
Environment=LANTERN_DATA={data}
# Fewer malloc arenas: much less memory for a threaded server on a small board.
Environment=MALLOC_ARENA_MAX=2
# Return big freed buffers (Argon2 uses 19 MiB per sign-in) to the system at once: ~190 -> ~80 MiB after a class signs in.
Environment=MALLOC_MMAP_THRESHOLD_=1048576
ExecStart={lantern} serve --data {data} --host 0.0.0.0 --port {port}
# Come back by itself after a crash or a power cut; never spin if something is badly wrong.
Restart=on-failure
RestartSec=3
StartLimitIntervalSec=300
StartLimitBurst=20
# Least privilege: only the data folder is writable.
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={data}
PrivateTmp=yes
MemoryMax=400M

[Install]
WantedBy=multi-user.target
"""


def systemd_unit(lantern: Path, data_dir: Path, user: str = "lantern", port: int = 8080) -> str:
    """The text of lantern.service for this checkout."""
    docs = Path(lantern).resolve().parents[2] / "docs" / "operator-guide.md"
    return UNIT_TEMPLATE.format(lantern=lantern, data=data_dir, user=user, port=port, docs=docs)

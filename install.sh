#!/usr/bin/env bash
# Set up Lantern in ./.venv. Idempotent: running it again only installs what changed.
#   ./install.sh              server and its pinned dependencies
#   ./install.sh --dev        plus the test tools
#   ./install.sh --wheels DIR install with no network, from a folder of wheels (e.g. a USB stick)
#   ./install.sh --service    also run Lantern at boot as a systemd service (needs root)
#   ./install.sh --hub        add the PostgreSQL driver, for a district hub on PostgreSQL
#   ./install.sh --update KIT update this install from an offline kit (`lantern wheelhouse`), keeping the data
set -euo pipefail
cd "$(dirname "$0")"

dev=0
hub=0
service=0
wheels=""
update=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) dev=1 ;;
    --service) service=1 ;;
    --hub) hub=1 ;;
    --wheels) wheels="${2:?--wheels needs a folder}"; shift ;;
    --update) update="${2:?--update needs the kit folder}"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ -n "$update" ]; then
  # Backup first, new version beside this one, rollback on failure: see server/device/update.py.
  [ -f "$update/update.sh" ] || { echo "install.sh: $update is not an update kit (no update.sh in it)." >&2; exit 2; }
  exec sh "$update/update.sh" "$(pwd)" "${LANTERN_DATA:-/var/lib/lantern}"
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "install.sh: Lantern needs Python 3.11 or newer; $("$python" --version 2>&1) found." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv

pip_args=(--quiet --disable-pip-version-check)
if [ -n "$wheels" ]; then
  pip_args+=(--no-index --find-links "$wheels")
fi
reqs=(-r requirements.txt)
[ "$dev" = 1 ] && reqs+=(-r requirements-dev.txt -r requirements-hub.txt)
[ "$hub" = 1 ] && reqs+=(-r requirements-hub.txt)

# Build tools first, so the checkout installs without fetching a build environment (works offline).
.venv/bin/pip install "${pip_args[@]}" -r requirements-build.txt
.venv/bin/pip install "${pip_args[@]}" "${reqs[@]}"
.venv/bin/pip install "${pip_args[@]}" --no-deps --no-build-isolation -e .
# The real-browser checks' tools: Chromium, lynx, axe-core, the Nu Html Checker (warns, never fails).
[ "$dev" = 1 ] && tests/browser/setup.sh
# The hub tests' PostgreSQL server on 127.0.0.1 (warns, never fails).
[ "$dev" = 1 ] && { tests/hub/setup-postgres.sh || echo "install.sh: PostgreSQL setup failed; the hub tests will say so." >&2; }
echo "Lantern is installed in $(pwd)/.venv. Start it with: .venv/bin/lantern serve --demo"

if [ "$service" = 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install.sh: --service needs root: run it again with sudo." >&2
    exit 1
  fi
  id lantern >/dev/null 2>&1 || useradd --system --home-dir /var/lib/lantern --shell /usr/sbin/nologin lantern
  install -d -o lantern -g lantern -m 750 /var/lib/lantern
  .venv/bin/lantern service-unit --data /var/lib/lantern > /etc/systemd/system/lantern.service
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now lantern.service
    echo "Lantern runs as a service. Check it with: systemctl status lantern  (logs: journalctl -u lantern)"
  else
    echo "Wrote /etc/systemd/system/lantern.service, but systemd is not running here; start it at boot yourself."
  fi
fi

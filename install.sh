#!/usr/bin/env bash
# Set up Lantern in ./.venv. Idempotent: running it again only installs what changed.
#   ./install.sh              server and its pinned dependencies
#   ./install.sh --dev        plus the test tools
#   ./install.sh --wheels DIR install with no network, from a folder of wheels (e.g. a USB stick)
set -euo pipefail
cd "$(dirname "$0")"

dev=0
wheels=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) dev=1 ;;
    --wheels) wheels="${2:?--wheels needs a folder}"; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

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
[ "$dev" = 1 ] && reqs+=(-r requirements-dev.txt)

# Build tools first, so the checkout installs without fetching a build environment (works offline).
.venv/bin/pip install "${pip_args[@]}" -r requirements-build.txt
.venv/bin/pip install "${pip_args[@]}" "${reqs[@]}"
.venv/bin/pip install "${pip_args[@]}" --no-deps --no-build-isolation -e .
echo "Lantern is installed in $(pwd)/.venv. Start it with: .venv/bin/lantern serve --demo"

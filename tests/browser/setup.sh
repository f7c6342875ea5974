#!/usr/bin/env bash
# Tools for the real-browser checks in tests/browser; ./install.sh --dev runs this. Idempotent, and
# quiet when everything is already there:
#   Debian's chromium and lynx (apt-get, only when missing; Java runs the HTML checker), and
#   axe-core + vnu-jar from npm into tests/browser/node_modules, pinned by package-lock.json.
# It never fails the install: without root, apt-get, npm or a network it warns and carries on, and
# the browser tests then skip with a message (or fail under CI=true, where they must run).
set -uo pipefail
cd "$(dirname "$0")"

warn() { echo "tests/browser/setup.sh: WARNING: $*" >&2; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v lynx >/dev/null 2>&1 || missing+=(lynx)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    warn "cannot install ${missing[*]} (that needs root and apt-get); the browser tests will skip."
  else
    echo "tests/browser/setup.sh: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq </dev/null >/dev/null \
           && apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null; }; then
      warn "apt-get could not install ${missing[*]}; the browser tests will skip."
    fi
  fi
fi

# npm packages: (re)installed only when package-lock.json changed since the last install.
stamp=node_modules/.lantern-lock
if [ -f node_modules/axe-core/axe.min.js ] && [ -f node_modules/vnu-jar/build/dist/vnu.jar ] \
   && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  warn "npm is missing, so axe-core and vnu-jar are not installed; the browser tests will skip."
  exit 0
fi
echo "tests/browser/setup.sh: installing axe-core and vnu-jar (npm)"
# --ignore-scripts: vnu-jar's install script would download a Java runtime; Debian's Java is used.
if npm ci --no-audit --no-fund --update-notifier=false --loglevel=error --ignore-scripts </dev/null >/dev/null; then
  cp package-lock.json "$stamp"
else
  warn "npm could not install axe-core and vnu-jar; the browser tests will skip."
fi
exit 0

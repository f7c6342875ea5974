#!/usr/bin/env bash
# Make a local PostgreSQL server available on 127.0.0.1 for the hub tests (idempotent).
# Installs Debian's postgresql when missing (root only), starts the cluster, and creates the
# role `lantern` (password `lantern`) allowed to create test databases. Prints nothing when ready.
set -euo pipefail

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup-postgres: PostgreSQL is not installed and this is not root; hub tests on PostgreSQL will be skipped." >&2
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi

cluster=$(pg_lsclusters --no-header | head -n 1)
if [ -z "$cluster" ]; then
  echo "setup-postgres: no PostgreSQL cluster found; hub tests on PostgreSQL will be skipped." >&2
  exit 0
fi
read -r version name port status _ <<<"$cluster"
if [ "$status" != "online" ]; then
  if [ "$(id -u)" = 0 ]; then
    pg_ctlcluster "$version" "$name" start
  else
    echo "setup-postgres: cluster $version/$name is down and this is not root; start it to run the hub tests on PostgreSQL." >&2
    exit 0
  fi
fi

as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi; }
as_postgres "psql -q -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='lantern'\"" | grep -q 1 || \
  as_postgres "psql -q -p $port -c \"CREATE ROLE lantern LOGIN CREATEDB PASSWORD 'lantern'\"" >/dev/null

#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs and starts what the tests need.
#
# PostgreSQL 15 is started (installed first if missing) for the storage contract tests,
# which run against both SQLite and PostgreSQL; JIANGUAN_TEST_POSTGRES tells them where.
# Set JIANGUAN_TEST_POSTGRES yourself to use another server. Under CI (CI=true) the
# PostgreSQL tests fail rather than skip when no server can be reached.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cargo is required (rustup toolchain)" >&2
  exit 2
fi

if [ -z "${JIANGUAN_TEST_POSTGRES:-}" ]; then
  if ! command -v pg_ctlcluster >/dev/null || [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing PostgreSQL 15 for the storage tests" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql-15 >&2
    fi
  fi
  if url="$(PG_DATABASE=jianguan_test scripts/pg-start.sh)"; then
    export JIANGUAN_TEST_POSTGRES="$url"
    echo "storage contract tests use PostgreSQL at $(sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$url")" >&2
  else
    echo "warning: PostgreSQL could not be started; its contract tests fail under CI and are skipped otherwise" >&2
  fi
fi

cargo test --workspace --all-targets --locked

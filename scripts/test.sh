#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs and starts what the tests need.
#
# PostgreSQL 15 is started (installed first if missing) for the storage contract tests,
# which run against both SQLite and PostgreSQL; JIANGUAN_TEST_POSTGRES tells them where.
# Set JIANGUAN_TEST_POSTGRES yourself to use another server. Under CI (CI=true) the
# PostgreSQL tests fail rather than skip when no server can be reached.
#
# Then the browser story of the web application (e2e/story.mjs): Debian's Chromium
# and Node.js are installed if missing, playwright-core from e2e/package-lock.json
# (`npm ci`; it never downloads a browser), and the story runs against the debug
# binary. Without Chromium or Node it is skipped, except under CI where that fails.
#
# python-stdnum is installed with pip if missing, for the identifier peer test.
#
# Before the tests: `cargo fmt --check` and `cargo clippy -D warnings` over the workspace.
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

e2e_missing=()
command -v chromium >/dev/null || e2e_missing+=(chromium)
command -v node >/dev/null || e2e_missing+=(nodejs)
command -v npm >/dev/null || e2e_missing+=(npm)
if [ "${#e2e_missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${e2e_missing[*]} for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${e2e_missing[@]}" >&2
fi
e2e_ready=false
if command -v chromium >/dev/null && command -v node >/dev/null && command -v npm >/dev/null; then
  (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
  e2e_ready=true
fi

# The identifier peer test (crates/jianguan/tests/it/identifier_peer.rs) runs python-stdnum;
# without it the test fails under CI and is skipped otherwise.
if command -v python3 >/dev/null && ! python3 -c 'import stdnum.cn.ric, stdnum.cn.uscc' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check python-stdnum >&2 ||
    echo "warning: python-stdnum could not be installed" >&2
fi

# Style holds in CI: formatted, and clippy without warnings.
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

cargo test --workspace --all-targets --locked

if $e2e_ready; then
  cargo build -p jianguan --bin jianguan --locked
  CHROMIUM="$(command -v chromium)" node --test --test-concurrency=1 e2e/*.mjs
elif [ "${CI:-}" = true ]; then
  echo "the browser tests need chromium, node and npm" >&2
  exit 1
else
  echo "warning: chromium, node or npm missing: the browser tests are skipped" >&2
fi

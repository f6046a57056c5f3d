#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs and starts what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cargo is required (rustup toolchain)" >&2
  exit 2
fi

cargo test --workspace --all-targets --locked

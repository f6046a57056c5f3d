#!/usr/bin/env bash
# Runs the demo city on a fresh machine: builds jianguan and runs `jianguan demo` on embedded storage.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p jianguan
exec ./target/release/jianguan demo "$@"

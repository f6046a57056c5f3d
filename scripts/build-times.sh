#!/usr/bin/env bash
# Times the build of the jianguan binary in a fresh clone with a fresh target/:
# a clean build, then a rebuild after touching WEB_FILE, then after touching DOMAIN_FILE.
#   scripts/build-times.sh COMMIT WEB_FILE DOMAIN_FILE release|dev
# e.g. scripts/build-times.sh HEAD crates/web/src/staff/rounds.rs crates/domain/src/entity.rs release
# Prints one line per build: wall and CPU seconds (docs/benchmarks.md, "Build times").
set -euo pipefail
commit=$1 web=$2 domain=$3 profile=$4
repo="$(git rev-parse --show-toplevel)"
dir="$(mktemp -d)/jianguan"
git clone -q "$repo" "$dir"
cd "$dir"
git checkout -q "$commit"
flag=()
[ "$profile" = release ] && flag=(--release)
timed() {
  /usr/bin/time -f "$1 wall=%e user=%U sys=%S" cargo build "${flag[@]}" -p jianguan --locked 2>&1 >/dev/null | tail -1
}
timed "clean_$profile"
touch "$web" && timed "touch_web_$profile"
touch "$domain" && timed "touch_domain_$profile"
rm -rf "$dir"

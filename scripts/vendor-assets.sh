#!/usr/bin/env bash
# Re-vendors htmx and ECharts from the npm registry into crates/web/assets/vendor.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent htmx.org@2.0.11 echarts@6.1.0 >/dev/null)
for tgz in "$work"/*.tgz; do tar xzf "$tgz" -C "$work" && mv "$work/package" "$work/$(basename "$tgz" .tgz)"; done
cp "$work"/htmx.org-2.0.11/dist/htmx.min.js crates/web/assets/vendor/
cp "$work"/echarts-6.1.0/dist/echarts.min.js crates/web/assets/vendor/

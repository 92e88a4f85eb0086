#!/usr/bin/env bash
# The one test command (README, .ci/run): installs the real peers the interop tests trade with
# (Debian packages, when run as root), builds, type-checks, lints, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob

DEBIAN_PACKAGES=(python3-libtorrent transmission-cli transmission-daemon mktorrent aria2 opentracker iproute2 chromium)
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
skip_interop=
if ((${#missing[@]} > 0)); then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing Debian packages for interop tests: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    skip_interop=1
    echo "!! SKIPPING interop tests: Debian packages missing (${missing[*]}) and not root to install them." >&2
  fi
fi

[ -d node_modules ] || npm ci
echo "== build (tsc: type-check and compile)"
npm run --silent build
echo "== lint (biome, layer rules)"
npm run --silent lint

tests=(dist/src/**/*.test.js dist/test/fuzz/**/*.test.js dist/test/e2e/**/*.test.js)
if [ -z "$skip_interop" ]; then tests+=(dist/test/interop/**/*.test.js); fi
echo "== tests (${#tests[@]} files)"
node --test --test-reporter=spec "${tests[@]}"
if [ -n "$skip_interop" ]; then
  echo "!! interop tests were SKIPPED (missing: ${missing[*]})" >&2
fi

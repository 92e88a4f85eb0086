#!/usr/bin/env bash
# The main job for now: make a small example release, turn it into a hybrid torrent, show it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d dist ] || npm run --silent build
demo=.demo/release
rm -rf .demo && mkdir -p "$demo/extras"
# A stand-in film and extras: deterministic bytes, no download needed.
node -e '
  const fs = require("node:fs");
  const make = (path, size, seed) => {
    const buf = Buffer.alloc(size);
    let x = seed;
    for (let i = 0; i < size; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; buf[i] = x & 255; }
    fs.writeFileSync(path, buf);
  };
  make(process.argv[1] + "/Pilot.mkv", 24 * 1024 * 1024 + 123, 1);
  make(process.argv[1] + "/extras/Making of.mkv", 6 * 1024 * 1024 + 7, 2);
  fs.writeFileSync(process.argv[1] + "/extras/Credits.txt", "Made by volunteers, shared by fans.\n");
' "$demo"
node bin/fanseed.js create "$demo" -o .demo/release.torrent \
  --announce http://127.0.0.1:6969/announce --web-seed http://127.0.0.1:8080/ --comment "fanseed demo release"
node bin/fanseed.js info .demo/release.torrent

#!/usr/bin/env bash
# The main job for now, on this machine alone (127.0.0.1; no DHT, no LAN discovery): a small
# release with a playable pilot is made and turned into a hybrid torrent; a tracker, a seeder
# and an HTTP mirror serve it; a viewer given only the magnet link streams it, and the page to
# watch it on is printed. Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d dist ] || npm run --silent build
fanseed() { node bin/fanseed.js "$@"; }
work=.demo
demo=$work/release/Star\ Wreck\ Fan\ Edition
rm -rf "$work" && mkdir -p "$demo/extras"
# The pilot: a 20 s test pattern (WebM) that browsers play; extras: deterministic stand-ins.
cp test/fixtures/media/sample.webm "$demo/Pilot.webm"
node -e '
  const fs = require("node:fs");
  const buf = Buffer.alloc(6 * 1024 * 1024 + 7);
  let x = 2;
  for (let i = 0; i < buf.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; buf[i] = x & 255; }
  fs.writeFileSync(process.argv[1] + "/extras/Making of.mkv", buf);
  fs.writeFileSync(process.argv[1] + "/extras/Credits.txt", "Made by volunteers, shared by fans.\n");
' "$demo"

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

fanseed create "$demo" -o $work/release.torrent --piece-length 32768 \
  --announce http://127.0.0.1:6969/announce --web-seed http://127.0.0.1:8080/ \
  --comment "fanseed demo release"
fanseed info $work/release.torrent
magnet=$(fanseed info $work/release.torrent --json | node -e 'process.stdin.on("data", (d) => process.stdout.write(JSON.parse(d).magnet))')

fanseed tracker --host 127.0.0.1 --http-port 6969 --udp-port 6969 > $work/tracker.log 2>&1 &
pids+=($!)
fanseed seed $work/release.torrent -p $work/release --port 6881 --no-dht --no-lsd --json > $work/seed.log 2>&1 &
pids+=($!)
fanseed mirror $work/release.torrent -p $work/release --host 127.0.0.1 --port 8080 --skip-check > $work/mirror.log 2>&1 &
pids+=($!)
sleep 1
echo
echo "tracker: http://127.0.0.1:6969/stats   seeder: 127.0.0.1:6881   mirror: http://127.0.0.1:8080/"
echo "viewer: fanseed stream with the magnet link alone:"
echo "  $magnet"
echo
fanseed stream "$magnet" --port 8888 -o $work/viewer --no-dht --no-lsd &
pids+=($!)
sleep 2
echo
echo "watch it at http://127.0.0.1:8888/ (Ctrl-C stops the demo)"
wait "${pids[-1]}"

#!/usr/bin/env bash
# Remakes test/fixtures/media/sample.webm, the video the browser streaming test plays: 20 s of
# ffmpeg's testsrc2 pattern, 320x180, VP8 at ~200 kbit/s, no audio (~0.5 MB). Needs ffmpeg
# (Debian package ffmpeg); the file is committed, so tests do not.
set -euo pipefail
cd "$(dirname "$0")/.."
ffmpeg -hide_banner -loglevel error -y -f lavfi -i 'testsrc2=size=320x180:rate=24:duration=20' \
  -c:v libvpx -b:v 200k -g 48 -auto-alt-ref 0 -an test/fixtures/media/sample.webm

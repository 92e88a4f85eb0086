#!/usr/bin/python3
"""A libtorrent 2.0 seeder on 127.0.0.1, for bench/throughput.ts.

usage: /usr/bin/python3 lt_bench_seed.py TORRENT SAVE_PATH [--ready-timeout SECONDS]

SAVE_PATH is the folder that holds the data (the torrent's name inside it). The torrent is
added neither paused nor auto-managed and with seed_mode off: libtorrent checks every piece
before it seeds (outside the measured transfer), so that during the transfer it only serves
blocks, as `fanseed seed --skip-check` does. Only TCP on 127.0.0.1 (uTP, DHT, LSD, UPnP and
NAT-PMP off); every other setting is libtorrent's default.

Prints one JSON line per event on stdout:
  {"event": "ready", "port": N}                   once every piece is checked good
  {"event": "stopped", "uploaded": B, "seconds": S}   after SIGTERM or SIGINT; exit 0
  {"event": "error", "error": "..."}              when it cannot seed; exit 1
"""
import argparse
import os
import signal
import sys
import threading
import time

import libtorrent as lt

# lt_common.py lives with the interop helpers, in test/interop/py/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "interop", "py"))
sys.dont_write_bytecode = True  # no __pycache__ left beside lt_common.py
from lt_common import CHECKING_STATES, add_torrent, emit, loopback_session, wait_for_listen  # noqa: E402

POLL_MS = 250


def wait_until_seeding(session, handle, deadline):
    while time.monotonic() < deadline:
        session.wait_for_alert(POLL_MS)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.torrent_error_alert):
                raise RuntimeError(f"torrent error: {alert.message()}")
        status = handle.status()
        if status.errc.value() != 0:
            raise RuntimeError(f"torrent error: {status.errc.message()}")
        if status.is_seeding:
            return
        if status.state not in CHECKING_STATES:
            total = handle.torrent_file().num_pieces()
            raise RuntimeError(f"data incomplete: {status.num_pieces} of {total} pieces good")
    raise RuntimeError("check not finished before the deadline")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("torrent")
    parser.add_argument("save_path")
    parser.add_argument("--ready-timeout", type=float, default=120.0)
    args = parser.parse_args()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    started = time.monotonic()
    try:
        session = loopback_session()
        deadline = started + args.ready_timeout
        port = wait_for_listen(session, deadline, POLL_MS)
        handle = add_torrent(session, args.torrent, args.save_path)
        wait_until_seeding(session, handle, deadline)
    except Exception as e:
        emit({"event": "error", "error": str(e)})
        return 1
    emit({"event": "ready", "port": port})
    while not stop.is_set():
        session.wait_for_alert(POLL_MS)
        session.pop_alerts()
    status = handle.status()
    emit(
        {
            "event": "stopped",
            "uploaded": status.total_payload_upload,
            "seconds": round(time.monotonic() - started, 3),
        }
    )
    return 0


sys.exit(main())

#!/usr/bin/python3
"""A libtorrent 2.0 downloader on 127.0.0.1, for bench/throughput.ts.

usage: /usr/bin/python3 lt_bench_leech.py TORRENT SAVE_PATH HOST:PORT [--timeout SECONDS]

Adds the torrent (seed_mode off, neither paused nor auto-managed) with SAVE_PATH as the folder
the data goes in, waits for the (empty) check to end, dials HOST:PORT with connect_peer (again
every 0.5 s while no connection has finished its handshake) and waits until every piece is
downloaded and hash-checked (torrent_finished_alert or is_seeding). Only TCP on 127.0.0.1 (uTP,
DHT, LSD, UPnP and NAT-PMP off); every other setting is libtorrent's default.

Prints one JSON line per event on stdout, as it happens (the benchmark timestamps them):
  {"event": "connected"}     the connection to the seeder finished its handshake
  {"event": "done", "downloaded": B, "failedBytes": B, "seconds": S}   exit 0
  {"event": "error", "error": "...", "progress": P}                    exit 1
"""
import argparse
import os
import sys
import time

import libtorrent as lt

# lt_common.py lives with the interop helpers, in test/interop/py/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "interop", "py"))
sys.dont_write_bytecode = True  # no __pycache__ left beside lt_common.py
from lt_common import CHECKING_STATES, add_torrent, emit, handshaken_peers, loopback_session, parse_endpoint  # noqa: E402

POLL_MS = 50
DIAL_EVERY_SECONDS = 0.5


def download(session, handle, peer, deadline):
    connected = False
    next_dial = 0.0
    while time.monotonic() < deadline:
        finished = False
        for alert in session.pop_alerts():
            if isinstance(alert, lt.torrent_error_alert):
                raise RuntimeError(f"torrent error: {alert.message()}")
            if isinstance(alert, lt.torrent_finished_alert):
                finished = True
        status = handle.status()
        if status.errc.value() != 0:
            raise RuntimeError(f"torrent error: {status.errc.message()}")
        if finished or status.is_seeding:
            return status
        checking = status.state in CHECKING_STATES
        if not connected and not checking:
            if peer in handshaken_peers(handle):
                connected = True
                emit({"event": "connected"})
            elif time.monotonic() >= next_dial:
                handle.connect_peer(peer)
                next_dial = time.monotonic() + DIAL_EVERY_SECONDS
        # Until connected, poll quickly; then sleep until an alert (torrent_finished) arrives.
        session.wait_for_alert(POLL_MS if not connected else 1000)
    raise RuntimeError("timeout")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("torrent")
    parser.add_argument("save_path")
    parser.add_argument("peer", type=parse_endpoint)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()

    started = time.monotonic()
    handle = None
    try:
        session = loopback_session()
        handle = add_torrent(session, args.torrent, args.save_path)
        status = download(session, handle, args.peer, started + args.timeout)
    except Exception as e:
        progress = handle.status().progress if handle is not None else 0.0
        emit({"event": "error", "error": str(e), "progress": progress})
        return 1
    emit(
        {
            "event": "done",
            "downloaded": status.total_payload_download,
            "failedBytes": status.total_failed_bytes,
            "seconds": round(time.monotonic() - started, 3),
        }
    )
    return 0


sys.exit(main())

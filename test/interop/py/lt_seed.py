"""A libtorrent 2.0 seeder on 127.0.0.1, for transfer tests.

    lt_seed.py TORRENT SAVE_PATH PORT [--upload-limit BYTES] [--connect HOST:PORT]
               [--check-timeout SECONDS] [--no-stdin] [--encryption rc4|plaintext]

SAVE_PATH is the folder that holds the data (the torrent's name inside it). PORT 0 lets the
system pick. The torrent is added with seed_mode off, so libtorrent checks every piece first,
and neither paused nor auto-managed. Once the check finds every piece, prints one line
{"ready": true, "port": N} (N: the real TCP listen port), then seeds until stdin closes,
SIGTERM or SIGINT, then prints {"ready": false, "stopped": true, "uploaded": B, "seconds": S,
"error": null} and exits 0 (uploaded: payload bytes sent). When the check fails or the data is
incomplete, prints {"ready": false, "error": "..."} and exits 1.

--connect HOST:PORT dials that peer every second until a connection to it is established
once (for a peer that does not dial out). Only TCP is used: uTP is off both ways, so that a
dial does not first try uTP and fall back. --upload-limit caps this torrent's upload rate
(bytes/s; per torrent, because libtorrent leaves loopback peers out of session-wide limits).
--no-stdin ignores stdin (for use from a shell): then only a signal stops it. --encryption
forces Message Stream Encryption both ways (rc4: the stream stays RC4-encrypted).
"""
import argparse
import os
import signal
import sys
import threading
import time

import libtorrent as lt

sys.dont_write_bytecode = True  # no __pycache__ left beside lt_common.py
from lt_common import add_torrent, emit, force_encryption, handshaken_peers, loopback_session, parse_endpoint, wait_for_listen  # noqa: E402

POLL_MS = 200
DIAL_EVERY_SECONDS = 1.0


def wait_until_seeding(session, handle, deadline):
    """Returns None once seeding, or the reason it is not."""
    checked = False
    while time.monotonic() < deadline:
        session.wait_for_alert(POLL_MS)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.torrent_error_alert):
                return f"torrent error: {alert.message()}"
            if isinstance(alert, lt.torrent_checked_alert):
                checked = True
        status = handle.status()
        if status.errc.value() != 0:
            return f"torrent error: {status.errc.message()}"
        if status.is_seeding:
            return None
        if checked and status.state != lt.torrent_status.checking_files:
            have, total = status.num_pieces, handle.torrent_file().num_pieces()
            return f"data incomplete after the check: {have} of {total} pieces good"
    return "check not finished before the deadline"


def watch_stdin(stop):
    def run():
        try:
            while os.read(0, 65536):
                pass
        except OSError:  # no stdin at all: count it as closed
            pass
        stop.set()

    threading.Thread(target=run, daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("torrent")
    parser.add_argument("save_path")
    parser.add_argument("port", type=int)
    parser.add_argument("--upload-limit", type=int, default=0, metavar="BYTES")
    parser.add_argument("--connect", type=parse_endpoint, metavar="HOST:PORT")
    parser.add_argument("--check-timeout", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--no-stdin", action="store_true")
    parser.add_argument("--encryption", choices=("rc4", "plaintext"), help="force MSE both ways")
    args = parser.parse_args()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if not args.no_stdin:
        watch_stdin(stop)

    started = time.monotonic()
    try:
        session = loopback_session(args.port, fixed_port=True)
        if args.encryption is not None:
            force_encryption(session, args.encryption)
        deadline = started + args.check_timeout
        port = wait_for_listen(session, deadline, POLL_MS, "no listen socket after the deadline")
        try:
            handle = add_torrent(session, args.torrent, args.save_path)
        except Exception as e:  # libtorrent's message alone does not name the file
            raise RuntimeError(f"{args.torrent}: {e}") from e
        if args.upload_limit > 0:
            handle.set_upload_limit(args.upload_limit)
        why = wait_until_seeding(session, handle, deadline)
    except Exception as e:  # a torrent libtorrent refuses, a port in use
        why = str(e)
    if why is not None:
        emit({"ready": False, "error": why})
        return 1
    emit({"ready": True, "port": port})

    dialled = args.connect is None
    next_dial = 0.0
    while not stop.is_set():
        if not dialled:
            if args.connect in handshaken_peers(handle):
                dialled = True
            elif time.monotonic() >= next_dial:
                handle.connect_peer(args.connect)
                next_dial = time.monotonic() + DIAL_EVERY_SECONDS
        session.wait_for_alert(POLL_MS)
        session.pop_alerts()
    status = handle.status()
    emit(
        {
            "ready": False,
            "stopped": True,
            "uploaded": status.total_payload_upload,
            "seconds": round(time.monotonic() - started, 3),
            "error": None,
        }
    )
    return 0


sys.exit(main())

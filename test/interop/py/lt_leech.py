"""A libtorrent 2.0 downloader on 127.0.0.1, for transfer tests.

    lt_leech.py TORRENT SAVE_PATH [--connect HOST:PORT]... [--timeout SECONDS] [--port PORT]
                [--encryption rc4|plaintext] [--download-limit BYTES_PER_SECOND] [--host ADDRESS]

Adds the torrent (seed_mode off, neither paused nor auto-managed) with SAVE_PATH as the
folder the data goes in (the torrent's name inside it), dials every --connect peer and dials
it again every second while not connected to it, and waits until it is seeding (every piece
downloaded and hash-checked) or the timeout. Then prints one JSON line

    {"done": bool, "progress": float, "seconds": float, "downloaded": int,
     "failedBytes": int, "error": str | null}

(downloaded: payload bytes received; failedBytes: bytes of pieces that failed their hash
check) and exits 0 when done, 1 otherwise. --port (default 0: any) is the TCP port to listen
on, so that a seeder can dial this one instead (lt_seed.py --connect). Only TCP is used: uTP
is off both ways. --encryption forces Message Stream Encryption both ways, with the stream
RC4-encrypted (rc4) or plain after the encrypted handshake (plaintext); the result line then
--download-limit caps libtorrent's download rate (a peer that stays a leecher a while).
The result line with --encryption also says {"rc4": bool or null} for the peers it traded with (null: none seen in time).
"""
import argparse
import json
import sys
import time

import libtorrent as lt

sys.dont_write_bytecode = True  # no __pycache__ left beside lt_common.py
from lt_common import add_torrent, force_encryption, handshaken_peers, loopback_session, parse_endpoint  # noqa: E402

POLL_MS = 200
DIAL_EVERY_SECONDS = 1.0


def download(session, handle, peers, deadline, seen_rc4):
    """Returns None once seeding, or the reason it is not. Adds to SEEN_RC4 whether each
    handshaken peer's stream is RC4-encrypted."""
    next_dial = 0.0
    while time.monotonic() < deadline:
        for p in handle.get_peer_info():
            # Once the encrypted handshake is done, one of these two flags is set.
            if p.flags & (lt.peer_info.rc4_encrypted | lt.peer_info.plaintext_encrypted):
                seen_rc4.add(bool(p.flags & lt.peer_info.rc4_encrypted))
        for alert in session.pop_alerts():
            if isinstance(alert, lt.torrent_error_alert):
                return f"torrent error: {alert.message()}"
        status = handle.status()
        if status.errc.value() != 0:
            return f"torrent error: {status.errc.message()}"
        if status.is_seeding:
            return None
        if time.monotonic() >= next_dial:
            # Before the check of existing data ends, libtorrent keeps a dialled peer in its
            # list but does not connect; dialling every second covers that and any drop.
            have = handshaken_peers(handle)
            for peer in peers:
                if peer not in have:
                    handle.connect_peer(peer)
            next_dial = time.monotonic() + DIAL_EVERY_SECONDS
        session.wait_for_alert(POLL_MS)
    return "timeout"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("torrent")
    parser.add_argument("save_path")
    parser.add_argument("--connect", type=parse_endpoint, action="append", default=[], metavar="HOST:PORT")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--encryption", choices=("rc4", "plaintext"))
    parser.add_argument("--download-limit", type=int, default=0, metavar="BYTES_PER_SECOND")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    args = parser.parse_args()

    started = time.monotonic()
    handle = None
    seen_rc4 = set()
    try:
        session = loopback_session(args.port, fixed_port=True, host=args.host)
        if args.encryption is not None:
            force_encryption(session, args.encryption)
        try:
            handle = add_torrent(session, args.torrent, args.save_path)
            if args.download_limit > 0:
                # The torrent's own limit: the session's spares peers on the local network.
                handle.set_download_limit(args.download_limit)
        except Exception as e:  # libtorrent's message alone does not name the file
            raise RuntimeError(f"{args.torrent}: {e}") from e
        error = download(session, handle, args.connect, started + args.timeout, seen_rc4)
        if error == "timeout":
            error = f"not complete after {args.timeout:g} s"
    except Exception as e:  # a torrent libtorrent refuses, a port in use
        error = str(e)
    status = handle.status() if handle is not None else None
    result = {
        "done": error is None,
        "progress": status.progress if status else 0.0,
        "seconds": round(time.monotonic() - started, 3),
        "downloaded": status.total_payload_download if status else 0,
        "failedBytes": status.total_failed_bytes if status else 0,
        "error": error,
    }
    if args.encryption is not None:
        # None: the transfer ended between two looks at the peers (it is short on loopback).
        result["rc4"] = None if not seen_rc4 else seen_rc4 == {True}
    print(json.dumps(result), flush=True)
    return 0 if error is None else 1


sys.exit(main())

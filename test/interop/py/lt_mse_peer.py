"""A libtorrent 2.0 peer on 127.0.0.1 that insists on Message Stream Encryption, for MSE tests.

    lt_mse_peer.py WORKDIR --level rc4|plaintext|both [--connect HOST:PORT] [--timeout SECONDS]
    (stdin: "dial HOST:PORT" lines)

Makes a small v1 torrent of a file in WORKDIR, seeds it with out_enc_policy and in_enc_policy
set to pe_forced and allowed_enc_level set to LEVEL (prefer_rc4 on for rc4), then prints one
line {"ready": true, "port": N, "info_hash": HEX} (N: the TCP listen port). --connect HOST:PORT,
or a line "dial HOST:PORT" on stdin (for a caller that must learn the info-hash first), dials
that peer every second until a connection to it completes its handshake once.

Every connection that finishes the BitTorrent handshake is printed once as
{"peer": "IP:PORT", "rc4": bool, "plaintext_encrypted": bool, "outgoing": bool, "client": "..."}
(rc4: the stream is RC4-encrypted; plaintext_encrypted: an MSE handshake that chose plaintext).
Peer errors and disconnections are printed as {"event": "peer-error", "message": "..."}.
Runs until stdin closes, SIGTERM, SIGINT or --timeout, then exits 0. Failures to start print
{"ready": false, "error": "..."} and exit 1.
"""
import argparse
import os
import signal
import sys
import threading
import time

import libtorrent as lt

sys.dont_write_bytecode = True  # no __pycache__ left beside lt_common.py
from lt_common import STATUS_AND_ERROR_ALERTS, add_torrent, emit, loopback_session, make_torrent, parse_endpoint, wait_for_listen  # noqa: E402

POLL_MS = 100
LEVELS = {"rc4": lt.enc_level.pe_rc4, "plaintext": lt.enc_level.pe_plaintext, "both": lt.enc_level.pe_both}


def watch_stdin(stop, targets):
    """Sets `stop` when stdin closes; each "dial HOST:PORT" line is appended to `targets`."""

    def run():
        try:
            for line in sys.stdin:
                words = line.split()
                if len(words) == 2 and words[0] == "dial":
                    targets.append(parse_endpoint(words[1]))
        except (OSError, ValueError, argparse.ArgumentTypeError):
            pass
        stop.set()

    threading.Thread(target=run, daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir")
    parser.add_argument("--level", choices=sorted(LEVELS), required=True)
    parser.add_argument("--connect", type=parse_endpoint, metavar="HOST:PORT")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    args = parser.parse_args()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    targets = [] if args.connect is None else [args.connect]
    watch_stdin(stop, targets)
    deadline = time.monotonic() + args.timeout

    try:
        data = os.path.join(args.workdir, "data.bin")
        with open(data, "wb") as out:
            out.write(bytes(range(256)) * 256)  # 64 KiB
        torrent = os.path.join(args.workdir, "data.torrent")
        make_torrent(data, torrent, 16384, lt.create_torrent.v1_only)
        session = loopback_session(0)
        session.apply_settings(
            {
                "out_enc_policy": int(lt.enc_policy.pe_forced),
                "in_enc_policy": int(lt.enc_policy.pe_forced),
                "allowed_enc_level": int(LEVELS[args.level]),
                "prefer_rc4": args.level == "rc4",
                "alert_mask": STATUS_AND_ERROR_ALERTS
                | lt.alert.category_t.peer_notification
                | lt.alert.category_t.connect_notification,
            }
        )
        port = wait_for_listen(session, deadline, POLL_MS)
        handle = add_torrent(session, torrent, args.workdir)
        info_hash = str(handle.torrent_file().info_hashes().v1)
    except Exception as e:  # a port in use, a torrent libtorrent refuses
        emit({"ready": False, "error": str(e)})
        return 1
    emit({"ready": True, "port": port, "info_hash": info_hash})

    seen = set()
    target = None
    dialled = False
    next_dial = 0.0
    while not stop.is_set() and time.monotonic() < deadline:
        if target is None and targets:
            target = targets[0]
        if target is not None and not dialled and time.monotonic() >= next_dial:
            handle.connect_peer(target)
            next_dial = time.monotonic() + 1.0
        for p in handle.get_peer_info():
            if p.flags & (lt.peer_info.connecting | lt.peer_info.handshake):
                continue
            endpoint = f"{p.ip[0]}:{p.ip[1]}"
            if endpoint in seen:
                continue
            seen.add(endpoint)
            if target is not None and tuple(p.ip) == target:
                dialled = True
            emit(
                {
                    "peer": endpoint,
                    "rc4": bool(p.flags & lt.peer_info.rc4_encrypted),
                    "plaintext_encrypted": bool(p.flags & lt.peer_info.plaintext_encrypted),
                    "outgoing": bool(p.flags & lt.peer_info.outgoing_connection),
                    "client": p.client.decode("utf-8", "replace") if isinstance(p.client, bytes) else str(p.client),
                }
            )
        session.wait_for_alert(POLL_MS)
        for alert in session.pop_alerts():
            if isinstance(alert, (lt.peer_error_alert, lt.peer_disconnected_alert)):
                emit({"event": "peer-error", "message": alert.message()})
    return 0


sys.exit(main())

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
import json
import signal
import sys
import threading
import time

import libtorrent as lt

POLL_MS = 250


def emit(obj):
    print(json.dumps(obj), flush=True)


def loopback_session():
    return lt.session(
        {
            "listen_interfaces": "127.0.0.1:0",
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_outgoing_utp": False,
            "enable_incoming_utp": False,
            "allow_multiple_connections_per_ip": True,
            "alert_mask": lt.alert.category_t.status_notification
            | lt.alert.category_t.error_notification,
        }
    )


def wait_for_listen(session, deadline):
    while time.monotonic() < deadline:
        session.wait_for_alert(POLL_MS)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.listen_failed_alert):
                raise RuntimeError(f"cannot listen: {alert.message()}")
            if (
                isinstance(alert, lt.listen_succeeded_alert)
                and alert.socket_type == lt.socket_type_t.tcp
            ):
                return alert.port
    raise RuntimeError("no listen socket before the deadline")


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
        if status.state not in (
            lt.torrent_status.checking_files,
            lt.torrent_status.checking_resume_data,
        ):
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
        port = wait_for_listen(session, deadline)
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(args.torrent)
        params.save_path = args.save_path
        params.flags &= ~lt.torrent_flags.seed_mode
        params.flags &= ~lt.torrent_flags.paused
        params.flags &= ~lt.torrent_flags.auto_managed
        handle = session.add_torrent(params)
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

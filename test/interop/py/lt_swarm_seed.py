"""A libtorrent 2.0 seeder on one address, that finds its peers only through the torrent's trackers.

    lt_swarm_seed.py TORRENT SAVE_PATH ADDRESS PORT [--check-timeout SECONDS]

For swarm tests where each client has an address of its own (a network namespace): listens on
ADDRESS:PORT (TCP only; uTP off both ways), with DHT, LSD, UPnP and NAT-PMP off, so the tracker
is its only source of peers. SAVE_PATH is the folder that holds the data (the torrent's name
inside it). The torrent is added with seed_mode off (libtorrent checks every piece first),
neither paused nor auto-managed.

Prints one JSON object a line:
  {"ready": true, "port": N}                      every piece checked, seeding
  {"tracker": "reply", "url": U, "peers": N}      an announce answered (N: peers in the reply)
  {"tracker": "error", "url": U, "message": M}    an announce failed
  {"peer": "connect", "address": "IP:PORT"}       a peer connected (handshake done)
  {"ready": false, "stopped": true, "uploaded": B, "seconds": S, "error": null}
                                                  on SIGTERM or SIGINT, after announcing "stopped"
  {"ready": false, "error": "..."}                the check failed or the data is incomplete (exit 1)
"""
import argparse
import signal
import sys
import threading
import time

import libtorrent as lt

sys.dont_write_bytecode = True  # no __pycache__ left beside lt_common.py
from lt_common import CHECKING_STATES, add_torrent, emit, wait_for_listen  # noqa: E402

POLL_MS = 200
STOP_ANNOUNCE_SECONDS = 5.0

ALERTS = (
    lt.alert.category_t.status_notification
    | lt.alert.category_t.error_notification
    | lt.alert.category_t.tracker_notification
    | lt.alert.category_t.connect_notification
)


def swarm_session(address, port):
    return lt.session(
        {
            "listen_interfaces": f"{address}:{port}",
            "outgoing_interfaces": address,
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_outgoing_utp": False,
            "enable_incoming_utp": False,
            "listen_system_port_fallback": False,
            "announce_to_all_trackers": True,
            "announce_to_all_tiers": True,
            "alert_mask": ALERTS,
        }
    )


def report(alert):
    """One line for the alerts a test wants to see; None for the others."""
    if isinstance(alert, lt.tracker_reply_alert):
        return {"tracker": "reply", "url": alert.tracker_url(), "peers": alert.num_peers}
    if isinstance(alert, (lt.tracker_error_alert, lt.tracker_warning_alert)):
        return {"tracker": "error", "url": alert.tracker_url(), "message": alert.message()}
    if isinstance(alert, lt.peer_connect_alert):
        ip, port = alert.endpoint
        return {"peer": "connect", "address": f"{ip}:{port}"}
    return None


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
            line = report(alert)
            if line is not None:
                emit(line)
        status = handle.status()
        if status.errc.value() != 0:
            return f"torrent error: {status.errc.message()}"
        if status.is_seeding:
            return None
        if checked and status.state not in CHECKING_STATES:
            have, total = status.num_pieces, handle.torrent_file().num_pieces()
            return f"data incomplete after the check: {have} of {total} pieces good"
    return "check not finished before the deadline"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("torrent")
    parser.add_argument("save_path")
    parser.add_argument("address")
    parser.add_argument("port", type=int)
    parser.add_argument("--check-timeout", type=float, default=60.0, metavar="SECONDS")
    args = parser.parse_args()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    started = time.monotonic()
    try:
        session = swarm_session(args.address, args.port)
        deadline = started + args.check_timeout
        port = wait_for_listen(session, deadline, POLL_MS, "no listen socket after the deadline")
        try:
            handle = add_torrent(session, args.torrent, args.save_path)
        except Exception as e:  # libtorrent's message alone does not name the file
            raise RuntimeError(f"{args.torrent}: {e}") from e
        why = wait_until_seeding(session, handle, deadline)
    except Exception as e:  # a torrent libtorrent refuses, an address it cannot listen on
        why = str(e)
    if why is not None:
        emit({"ready": False, "error": why})
        return 1
    emit({"ready": True, "port": port})
    handle.force_reannounce()  # announce as a seed now, not after the check's first announce

    while not stop.is_set():
        session.wait_for_alert(POLL_MS)
        for alert in session.pop_alerts():
            line = report(alert)
            if line is not None:
                emit(line)
    uploaded = handle.status().total_payload_upload
    # Pausing announces "stopped"; wait (briefly) for the tracker to answer it.
    handle.pause()
    deadline = time.monotonic() + STOP_ANNOUNCE_SECONDS
    while time.monotonic() < deadline and handle.status().announcing_to_trackers:
        session.wait_for_alert(POLL_MS)
        session.pop_alerts()
    emit(
        {
            "ready": False,
            "stopped": True,
            "uploaded": uploaded,
            "seconds": round(time.monotonic() - started, 3),
            "error": None,
        }
    )
    return 0


sys.exit(main())

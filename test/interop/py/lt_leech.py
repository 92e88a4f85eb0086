"""A libtorrent 2.0 downloader on 127.0.0.1, for transfer tests.

    lt_leech.py TORRENT SAVE_PATH [--connect HOST:PORT]... [--timeout SECONDS] [--port PORT]

Adds the torrent (seed_mode off, neither paused nor auto-managed) with SAVE_PATH as the
folder the data goes in (the torrent's name inside it), dials every --connect peer and dials
it again every second while not connected to it, and waits until it is seeding (every piece
downloaded and hash-checked) or the timeout. Then prints one JSON line

    {"done": bool, "progress": float, "seconds": float, "downloaded": int,
     "failedBytes": int, "error": str | null}

(downloaded: payload bytes received; failedBytes: bytes of pieces that failed their hash
check) and exits 0 when done, 1 otherwise. --port (default 0: any) is the TCP port to listen
on, so that a seeder can dial this one instead (lt_seed.py --connect). Only TCP is used: uTP
is off both ways.
"""
import argparse
import json
import sys
import time

import libtorrent as lt

POLL_MS = 200
DIAL_EVERY_SECONDS = 1.0


def parse_endpoint(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text} is not HOST:PORT")
    return (host.strip("[]"), int(port))


def loopback_session(port):
    """A session that talks to 127.0.0.1 only and finds no peer by itself."""
    return lt.session(
        {
            "listen_interfaces": f"127.0.0.1:{port}",
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_outgoing_utp": False,
            "enable_incoming_utp": False,
            "allow_multiple_connections_per_ip": True,
            "listen_system_port_fallback": False,  # a busy PORT is an error, not another port
            "alert_mask": lt.alert.category_t.status_notification
            | lt.alert.category_t.error_notification,
        }
    )


def add_torrent(session, torrent, save_path):
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = save_path
    params.flags &= ~lt.torrent_flags.seed_mode
    params.flags &= ~lt.torrent_flags.paused
    params.flags &= ~lt.torrent_flags.auto_managed
    return session.add_torrent(params)


def connected(handle):
    """The endpoints of connections that have finished their handshake."""
    return {
        tuple(p.ip)
        for p in handle.get_peer_info()
        if not p.flags & (lt.peer_info.connecting | lt.peer_info.handshake)
    }


def download(session, handle, peers, deadline):
    """Returns None once seeding, or the reason it is not."""
    next_dial = 0.0
    while time.monotonic() < deadline:
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
            have = connected(handle)
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
    args = parser.parse_args()

    started = time.monotonic()
    handle = None
    try:
        session = loopback_session(args.port)
        try:
            handle = add_torrent(session, args.torrent, args.save_path)
        except Exception as e:  # libtorrent's message alone does not name the file
            raise RuntimeError(f"{args.torrent}: {e}") from e
        error = download(session, handle, args.connect, started + args.timeout)
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
    print(json.dumps(result), flush=True)
    return 0 if error is None else 1


sys.exit(main())

#!/usr/bin/python3
"""A libtorrent 2.0 peer that finds others only through the DHT, on 127.0.0.1.

usage: /usr/bin/python3 lt_dht_peer.py seed TORRENT SAVE_PATH --bootstrap HOST:PORT [--timeout S]
       /usr/bin/python3 lt_dht_peer.py leech MAGNET SAVE_PATH --bootstrap HOST:PORT [--timeout S]

The session has its DHT on, bootstrapping only from --bootstrap (no public router), with the
loopback restrictions lifted (dht_restrict_routing_ips / dht_restrict_search_ips off); LSD,
UPnP, NAT-PMP and uTP off. No tracker and no peer is given: whatever it trades with, it found
through the DHT. Prints JSON lines:
  {"event": "listening", "port": P}
  {"event": "dht", "nodes": N}                 about every half second
  {"event": "seeding"} / {"event": "done", "seconds": S}
  {"event": "error", "error": "..."}           and exit 1 (also on --timeout)
A seeder keeps seeding (re-announcing to the DHT every 2 s) until SIGTERM.
"""
import argparse
import signal
import sys
import time

sys.dont_write_bytecode = True
import libtorrent as lt  # noqa: E402
from lt_common import emit, parse_endpoint, wait_for_listen  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["seed", "leech"])
parser.add_argument("source")
parser.add_argument("save_path")
parser.add_argument("--bootstrap", type=parse_endpoint, required=True)
parser.add_argument("--timeout", type=float, default=60)
args = parser.parse_args()

host, port = args.bootstrap
session = lt.session({
    "listen_interfaces": "127.0.0.1:0",
    "enable_dht": True,
    "dht_bootstrap_nodes": f"{host}:{port}",
    "dht_restrict_routing_ips": False,
    "dht_restrict_search_ips": False,
    "dht_enforce_node_id": False,
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "enable_outgoing_utp": False,
    "enable_incoming_utp": False,
    "allow_multiple_connections_per_ip": True,
    "alert_mask": lt.alert.category_t.status_notification
    | lt.alert.category_t.error_notification
    | lt.alert.category_t.dht_notification,
})
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
deadline = time.monotonic() + args.timeout
emit({"event": "listening", "port": wait_for_listen(session, deadline, 100)})

if args.mode == "seed":
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(args.source)
else:
    params = lt.parse_magnet_uri(args.source)
params.save_path = args.save_path
params.flags &= ~lt.torrent_flags.paused
params.flags &= ~lt.torrent_flags.auto_managed
handle = session.add_torrent(params)

def routing_nodes(bucket):
    """Nodes in one routing-table bucket of a dht_stats_alert (a dict in some bindings)."""
    return bucket["num_nodes"] if isinstance(bucket, dict) else bucket.num_nodes


start = time.monotonic()
announced_seeding = False
last_announce = 0.0
last_report = 0.0
while not stopping:
    now = time.monotonic()
    if now > deadline and not (args.mode == "seed" and announced_seeding):
        emit({"event": "error", "error": "timed out", "progress": handle.status().progress})
        sys.exit(1)
    session.wait_for_alert(100)
    for alert in session.pop_alerts():
        if isinstance(alert, lt.torrent_error_alert):
            emit({"event": "error", "error": alert.message()})
            sys.exit(1)
        if isinstance(alert, lt.dht_stats_alert):
            emit({"event": "dht", "nodes": sum(routing_nodes(b) for b in alert.routing_table)})
    if now - last_report >= 0.5:
        last_report = now
        session.post_dht_stats()
    status = handle.status()
    if args.mode == "leech" and status.is_seeding:
        emit({"event": "done", "seconds": round(now - start, 3)})
        sys.exit(0)
    if args.mode == "seed" and status.is_seeding:
        if not announced_seeding:
            announced_seeding = True
            emit({"event": "seeding"})
        if now - last_announce >= 2:
            last_announce = now
            handle.force_dht_announce()
sys.exit(0)

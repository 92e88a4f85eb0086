# libtorrent downloads from a magnet link alone, dialling the given peer: prints one JSON line.
# argv: MAGNET SAVE_PATH HOST:PORT TIMEOUT_SECONDS; exit 0 when seeding.
import sys
import time

sys.dont_write_bytecode = True
import libtorrent as lt  # noqa: E402
from lt_common import emit, loopback_session, parse_endpoint  # noqa: E402

session = loopback_session()
params = lt.parse_magnet_uri(sys.argv[1])
params.save_path = sys.argv[2]
params.flags &= ~lt.torrent_flags.paused
params.flags &= ~lt.torrent_flags.auto_managed
handle = session.add_torrent(params)
peer = parse_endpoint(sys.argv[3])
start = time.time()
while time.time() - start < float(sys.argv[4]):
    status = handle.status()
    if status.is_seeding:
        break
    if status.num_peers == 0:
        handle.connect_peer(peer)
    time.sleep(0.2)
status = handle.status()
emit({"done": status.is_seeding, "has_metadata": status.has_metadata, "progress": status.progress, "seconds": time.time() - start})
sys.exit(0 if status.is_seeding else 1)

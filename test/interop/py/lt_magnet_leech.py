# libtorrent downloads from a magnet link alone, dialling the given peer: prints one JSON line.
# argv: MAGNET SAVE_PATH HOST:PORT TIMEOUT_SECONDS; exit 0 when seeding.
import libtorrent as lt, sys, time, json
s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False, 'allow_multiple_connections_per_ip': True, 'enable_outgoing_utp': False, 'enable_incoming_utp': False})
p = lt.parse_magnet_uri(sys.argv[1]); p.save_path = sys.argv[2]
p.flags &= ~lt.torrent_flags.paused; p.flags &= ~lt.torrent_flags.auto_managed
h = s.add_torrent(p)
host, port = sys.argv[3].rsplit(':', 1)
t0 = time.time()
while time.time() - t0 < float(sys.argv[4]):
    st = h.status()
    if st.is_seeding: break
    if st.num_peers == 0: h.connect_peer((host, int(port)))
    time.sleep(0.2)
st = h.status()
print(json.dumps({'done': st.is_seeding, 'has_metadata': st.has_metadata, 'progress': st.progress, 'seconds': time.time() - t0}))
sys.exit(0 if st.is_seeding else 1)

"""What the libtorrent helpers share: loopback sessions, adding a torrent, JSON lines, peers.

Imported by the helpers in this folder (python puts a script's own folder on sys.path) and by
bench/py/, whose scripts add this folder to sys.path relative to their own file. Scripts set
sys.dont_write_bytecode before importing it, so that no __pycache__ is left in the tree.
"""
import argparse
import json
import os
import time

import libtorrent as lt

STATUS_AND_ERROR_ALERTS = lt.alert.category_t.status_notification | lt.alert.category_t.error_notification

CHECKING_STATES = (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)


def emit(obj):
    """One JSON line on stdout, flushed at once (the callers read it as it happens)."""
    print(json.dumps(obj), flush=True)


def parse_endpoint(text):
    """HOST:PORT (HOST may be [IPv6]) as the (host, port) tuple connect_peer takes."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text} is not HOST:PORT")
    return (host.strip("[]"), int(port))


def loopback_session(port=0, *, transfer=True, fixed_port=False, host="127.0.0.1"):
    """A session that talks to 127.0.0.1 only and finds no peer by itself (no DHT, LSD, UPnP,
    NAT-PMP), with status and error alerts on.

    transfer: only TCP (uTP off both ways, so that a dial does not first try uTP and fall back)
    and several connections from one IP allowed, for peers that all live on 127.0.0.1.
    fixed_port: a busy PORT is an error, not another port.
    host: the address to listen on (a network-namespace host's own address, say).
    """
    settings = {
        "listen_interfaces": f"{host}:{port}",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "alert_mask": STATUS_AND_ERROR_ALERTS,
    }
    if transfer:
        settings["enable_outgoing_utp"] = False
        settings["enable_incoming_utp"] = False
        settings["allow_multiple_connections_per_ip"] = True
    if fixed_port:
        settings["listen_system_port_fallback"] = False
    return lt.session(settings)


def add_torrent(session, torrent, save_path):
    """Adds a .torrent file with SAVE_PATH as the folder that holds (or gets) its data:
    seed_mode off (libtorrent checks every piece on disk first), neither paused nor
    auto-managed."""
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = save_path
    params.flags &= ~lt.torrent_flags.seed_mode  # check the data: a seed must prove it has it
    params.flags &= ~lt.torrent_flags.paused
    params.flags &= ~lt.torrent_flags.auto_managed
    return session.add_torrent(params)


def wait_for_listen(session, deadline, poll_ms, late="no listen socket before the deadline"):
    """The TCP port libtorrent listens on, or raises why it cannot listen (`late` on timeout)."""
    while time.monotonic() < deadline:
        session.wait_for_alert(poll_ms)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.listen_failed_alert):
                raise RuntimeError(f"cannot listen: {alert.message()}")
            if isinstance(alert, lt.listen_succeeded_alert) and alert.socket_type == lt.socket_type_t.tcp:
                return alert.port
    raise RuntimeError(late)


def handshaken_peers(handle):
    """The endpoints of the connections that have finished their handshake."""
    return {
        tuple(p.ip)
        for p in handle.get_peer_info()
        if not p.flags & (lt.peer_info.connecting | lt.peer_info.handshake)
    }


def make_torrent(source, output, piece_length, flags):
    """Makes a torrent of SOURCE the way libtorrent's own tools do (file_storage + add_files +
    create_torrent + set_piece_hashes) and writes it to OUTPUT. flags: create_torrent's,
    v1_only, v2_only or 0 (libtorrent 2.0's default, hybrid)."""
    source = os.path.abspath(source)
    fs = lt.file_storage()
    lt.add_files(fs, source)
    ct = lt.create_torrent(fs, piece_length, flags)
    # set_piece_hashes takes the folder that holds the file_storage's root.
    lt.set_piece_hashes(ct, os.path.dirname(source))
    with open(output, "wb") as out:
        out.write(lt.bencode(ct.generate()))


def force_encryption(session, level):
    """Message Stream Encryption required both ways; LEVEL "rc4" keeps the stream RC4-encrypted,
    "plaintext" leaves it plain after the encrypted handshake."""
    session.apply_settings(
        {
            "out_enc_policy": int(lt.enc_policy.pe_forced),
            "in_enc_policy": int(lt.enc_policy.pe_forced),
            "allowed_enc_level": int(lt.enc_level.pe_rc4 if level == "rc4" else lt.enc_level.pe_plaintext),
            "prefer_rc4": level == "rc4",
        }
    )

"""Lets libtorrent check data on disk against torrents: every v1 and v2 hash is verified.

argv[1] is a JSON list of {"torrent", "savePath"}. All torrents are added to one session
(loopback only, no DHT/LSD/UPnP/NAT-PMP), neither paused nor auto-managed, and the script
waits for libtorrent's "torrent checked" alert of each. Prints a JSON list, in the same
order, of {"torrent", "error", "state", "progress", "isSeeding", "piecesHave", "pieces"}.
"""
import json
import sys
import time

import libtorrent as lt

sys.dont_write_bytecode = True  # no __pycache__ left beside lt_common.py
from lt_common import add_torrent, loopback_session  # noqa: E402

TIMEOUT_SECONDS = 60


def wait_for_checks(session, handles):
    """Indexes of the handles whose check is finished or failed, by the deadline."""
    done = set()
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while len(done) < len(handles) and time.monotonic() < deadline:
        session.wait_for_alert(200)
        for alert in session.pop_alerts():
            if isinstance(alert, (lt.torrent_checked_alert, lt.torrent_error_alert)):
                for i, handle in handles.items():
                    if handle == alert.handle:
                        done.add(i)
    return done


def report(job, handle, finished):
    status = handle.status()
    error = None
    if status.errc.value() != 0:
        error = status.errc.message()
    elif not finished:
        error = f"check not finished after {TIMEOUT_SECONDS} s"
    return {
        "torrent": job["torrent"],
        "error": error,
        "state": str(status.state),
        "progress": status.progress,
        "isSeeding": status.is_seeding,
        "piecesHave": status.num_pieces,
        "pieces": handle.torrent_file().num_pieces(),
    }


def main():
    jobs = json.loads(sys.argv[1])
    session = loopback_session(transfer=False)
    results = [None] * len(jobs)
    handles = {}
    for i, job in enumerate(jobs):
        try:
            handles[i] = add_torrent(session, job["torrent"], job["savePath"])
        except Exception as e:  # a torrent libtorrent refuses to load or add
            results[i] = {"torrent": job["torrent"], "error": str(e)}
    done = wait_for_checks(session, handles)
    for i, handle in handles.items():
        results[i] = report(jobs[i], handle, i in done)
    print(json.dumps(results))


main()

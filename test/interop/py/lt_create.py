"""Makes torrents with libtorrent's own creator.

argv[1] is a JSON list of {"source", "output", "pieceLength", "format"} where format is
"v1", "v2" or "hybrid" (libtorrent's default flags). Prints a JSON list of
{"output", "error"}, error null on success.
"""
import json
import sys

import libtorrent as lt

sys.dont_write_bytecode = True  # no __pycache__ left beside lt_common.py
from lt_common import make_torrent  # noqa: E402

FLAGS = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}


def create(job):
    try:
        make_torrent(job["source"], job["output"], job["pieceLength"], FLAGS[job["format"]])
        return {"output": job["output"], "error": None}
    except Exception as e:
        return {"output": job["output"], "error": str(e)}


print(json.dumps([create(j) for j in json.loads(sys.argv[1])]))

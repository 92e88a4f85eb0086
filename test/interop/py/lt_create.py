"""Makes torrents with libtorrent's own creator.

argv[1] is a JSON list of {"source", "output", "pieceLength", "format"} where format is
"v1", "v2" or "hybrid" (libtorrent's default flags). Prints a JSON list of
{"output", "error"}, error null on success.
"""
import json
import os
import sys

import libtorrent as lt

FLAGS = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}


def create(job):
    try:
        source = os.path.abspath(job["source"])
        fs = lt.file_storage()
        lt.add_files(fs, source)
        ct = lt.create_torrent(fs, job["pieceLength"], FLAGS[job["format"]])
        lt.set_piece_hashes(ct, os.path.dirname(source))
        with open(job["output"], "wb") as out:
            out.write(lt.bencode(ct.generate()))
        return {"output": job["output"], "error": None}
    except Exception as e:
        return {"output": job["output"], "error": str(e)}


print(json.dumps([create(j) for j in json.loads(sys.argv[1])]))

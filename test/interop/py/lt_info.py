"""What libtorrent reads in each .torrent file given as a JSON list of paths in argv[1].

Prints a JSON list, one object per path, in the same order: the info-hashes (hex, null when
the torrent has no such version), the piece count and length, and the real files (padding
files left out) with their full paths split into components.
"""
import json
import sys

import libtorrent as lt


def describe(path):
    try:
        ti = lt.torrent_info(path)
    except Exception as e:  # libtorrent raises RuntimeError on a bad torrent
        return {"path": path, "error": str(e)}
    hashes = ti.info_hashes()
    fs = ti.files()
    files = []
    for i in range(fs.num_files()):
        if fs.file_flags(i) & lt.file_storage.flag_pad_file:
            continue
        files.append({"path": fs.file_path(i).split("/"), "length": fs.file_size(i)})
    return {
        "path": path,
        "error": None,
        "infoHashV1": str(hashes.v1) if hashes.has_v1() else None,
        "infoHashV2": str(hashes.v2) if hashes.has_v2() else None,
        "name": ti.name(),
        "pieces": ti.num_pieces(),
        "pieceLength": ti.piece_length(),
        "files": files,
    }


print(json.dumps([describe(p) for p in json.loads(sys.argv[1])]))

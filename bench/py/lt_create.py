#!/usr/bin/python3
"""libtorrent's torrent creator, one run, for bench/create.ts.

usage: /usr/bin/python3 lt_create.py FILE OUT v1|hybrid PIECE_LENGTH

Builds the torrent the way libtorrent's own tools do (file_storage + add_files +
create_torrent + set_piece_hashes) and writes it to OUT. Prints the libtorrent version.
"""

import os
import sys

import libtorrent as lt


def main(argv: list[str]) -> int:
    if len(argv) != 5 or argv[3] not in ("v1", "hybrid"):
        print(__doc__, file=sys.stderr)
        return 2
    path, out, fmt, piece_length = os.path.abspath(argv[1]), argv[2], argv[3], int(argv[4])
    fs = lt.file_storage()
    lt.add_files(fs, path)
    # create_torrent's flags: v1_only for a v1 torrent; none (0) is libtorrent 2.0's default, hybrid.
    flags = lt.create_torrent.v1_only if fmt == "v1" else 0
    ct = lt.create_torrent(fs, piece_length, flags)
    # set_piece_hashes takes the folder that holds the file_storage's root.
    lt.set_piece_hashes(ct, os.path.dirname(path))
    with open(out, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    print(lt.__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

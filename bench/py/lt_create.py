#!/usr/bin/python3
"""libtorrent's torrent creator, one run, for bench/create.ts.

usage: /usr/bin/python3 lt_create.py FILE OUT v1|hybrid PIECE_LENGTH

Builds the torrent the way libtorrent's own tools do (file_storage + add_files +
create_torrent + set_piece_hashes) and writes it to OUT. Prints the libtorrent version.
"""

import os
import sys

import libtorrent as lt

# lt_common.py lives with the interop helpers, in test/interop/py/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "interop", "py"))
sys.dont_write_bytecode = True  # no __pycache__ left beside lt_common.py
from lt_common import make_torrent  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 5 or argv[3] not in ("v1", "hybrid"):
        print(__doc__, file=sys.stderr)
        return 2
    path, out, fmt, piece_length = argv[1], argv[2], argv[3], int(argv[4])
    # create_torrent's flags: v1_only for a v1 torrent; none (0) is libtorrent 2.0's default, hybrid.
    make_torrent(path, out, piece_length, lt.create_torrent.v1_only if fmt == "v1" else 0)
    print(lt.__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

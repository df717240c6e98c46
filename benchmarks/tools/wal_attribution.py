#!/usr/bin/env python3
"""Which table or index each WAL page of the last N commits belongs to.

    benchmarks/tools/wal_attribution.py DB N

DB is a copy of a database and its -wal file (benchmarks/ledger/wal_pages.cpp makes one). The
script reads the WAL frame headers (page number, commit marker), takes the frames of the last N
commits, maps page numbers to b-trees with SQLite's dbstat virtual table, and prints pages per
commit for each b-tree.
"""
import collections
import sqlite3
import struct
import sys


def main() -> int:
    db, n = sys.argv[1], int(sys.argv[2])
    wal = open(db + "-wal", "rb").read()
    page_size = struct.unpack(">I", wal[8:12])[0]
    frames = []
    off = 32
    while off + 24 + page_size <= len(wal):
        page, commit = struct.unpack(">II", wal[off:off + 8])
        frames.append((page, commit))
        off += 24 + page_size
    commits = [i for i, (_, c) in enumerate(frames) if c]
    if len(commits) <= n:
        print(f"only {len(commits)} commits in the WAL", file=sys.stderr)
        return 1
    tail = frames[commits[-n - 1] + 1:]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    owner = {page: name for name, page in con.execute("SELECT name, pageno FROM dbstat")}
    counts = collections.Counter(owner.get(page, "?") for page, _ in tail)
    print(f"{len(tail) / n:.2f} pages per commit over the last {n} commits")
    for name, c in counts.most_common():
        print(f"  {c / n:6.2f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

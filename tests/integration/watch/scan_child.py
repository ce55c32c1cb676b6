"""Scan a folder in a child process (run inside a namespace by the tests) and print
what came out as one JSON line.

Run as ``python scan_child.py ROOT OPTIONS_JSON INDEXED_JSON [SETUP_SH]``: OPTIONS are
FolderConfig fields, INDEXED the rel paths the index holds; prints the entries (rel
path and skip reason, or null for a file) and the paths diff_to_changes would delete.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from syncd.config import FolderConfig
from syncd.domain import B2Name, ChangeKind, IndexEntry, LocalState, RelPath, rel_path_key
from syncd.watch import Scanner, diff_to_changes


def main(root: str, options: str, indexed: str) -> None:
    """Scan ``root`` and print entries and would-be deletes."""
    folder = FolderConfig(name="f", path=Path(root), bucket="b", **json.loads(options))
    scanner = Scanner(folder)
    entries = list(scanner.scan())
    index = [
        IndexEntry(
            folder="f",
            rel_path=RelPath(p),
            b2_name=B2Name(p),
            dev=0,
            inode=0,
            size=0,
            mtime_ns=0,
            ctime_ns=0,
            sha1="0" * 40,
            file_id="x",
            upload_timestamp_ms=0,
        )
        for p in sorted(json.loads(indexed), key=rel_path_key)
    ]
    files = [e for e in entries if isinstance(e, LocalState)]
    changes = diff_to_changes("f", files, index, now_ms=0, unreadable=scanner.unreadable)
    print(
        json.dumps(
            {
                "entries": [
                    [e.rel_path, None if isinstance(e, LocalState) else e.reason] for e in entries
                ],
                "deleted": [c.rel_path for c in changes if c.kind is ChangeKind.DELETED],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])

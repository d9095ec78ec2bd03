"""A writer process for the crash and concurrency tests: `python writer_child.py ROOT MODE SEED N`.

Prints "start" just before its write begins, "done" after it committed.
"""

from __future__ import annotations

import sys

from goldset.ingest import add
from goldset.workspace import Workspace

from helpers.store import rewrite


def records(seed: int, n: int) -> list[dict[str, object]]:
    return [
        {"id": f"w{seed}-{i}", "input": f"writer {seed} example {i}", "expected": f"label {i % 7}",
         "scenarios": ["refund_request"] if i % 2 else ["greeting"], "tier": "standard"}
        for i in range(n)
    ]


def main() -> None:
    root, mode, seed, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ds = Workspace.open(root).dataset()
    print("start", flush=True)
    if mode == "add":
        add(ds, records(seed, n))
    elif mode == "update":
        # rewrite every row: expected gets a suffix (touches every part)
        from goldset.store import db

        con = db.connect()
        rewrite(ds, con, "true", {"expected": f"expected || ' v{seed}'"}, op="update")
    elif mode == "update-loop":
        # rewrite every row again and again: each commit replaces (and unlinks) every part
        import time

        from goldset.store import db

        con = db.connect()
        for k in range(n):
            rewrite(ds, con, "true", {"expected": f"'v{k}'"}, op="update")
            time.sleep(0.02)  # let other writers take the lock between commits
    elif mode == "append-loop":
        for k in range(n):
            add(ds, [{"id": f"loop{seed}-{k}", "input": f"loop {seed} {k}"}])
    print("done", flush=True)


if __name__ == "__main__":
    main()

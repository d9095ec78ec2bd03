"""`goldset list` on a large store: a default limit in a table or Markdown (with a line saying
so), --all, and streaming json/jsonl/csv output whose peak memory stays bounded."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from goldset.cli.render._rows import render_rows
from goldset.cli.render.rows import stream_rows
from goldset.ingest import import_file
from goldset.query import Filters, list_examples, open_listing
from goldset.workspace import Workspace

from helpers.curation import store_bytes
from helpers.workspace import identity_env, write_spec

ROWS = 200_000
#: Peak resident memory allowed to `list --all -f jsonl` over ROWS rows (measured: ~350 MB).
MAX_PEAK_MB = 600


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A store of ROWS rows, imported from a generated JSONL file (a few seconds)."""
    root = tmp_path_factory.mktemp("listing") / "ws"
    root.mkdir()
    write_spec(root)
    src = root.parent / "rows.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for i in range(ROWS):
            f.write(json.dumps({"id": f"r{i:06d}", "input": f"question {i} about refund {i * 7}", "expected": "refund_flow",
                                "scenarios": ["refund_request"] if i % 2 else [], "channel": "email"}) + "\n")
    with identity_env():
        ws = Workspace.open(root)
        ws.dataset().store.create()
        assert import_file(ws.dataset(), src).added == ROWS
    return ws


def _ids(text: str) -> list[str]:
    return re.findall(r"\b(r\d{6})\b", text)


def test_a_table_shows_100_rows_and_says_how_many_there_are(big: Workspace, run_cli: Any) -> None:
    before = store_bytes(big)
    res = run_cli("-C", str(big.root), "list")
    assert res.exit_code == 0, res.stderr
    assert _ids(res.stdout) == [f"r{i:06d}" for i in range(100)]  # oldest first
    assert res.stderr.strip() == f"showing 100 of {ROWS:,} (--limit N, --all)"
    md = run_cli("-C", str(big.root), "list", "-f", "markdown", "--scenario", "refund_request", "--limit", "3")
    assert md.exit_code == 0 and len(_ids(md.stdout)) == 3
    assert md.stdout.count("| id |") == 1 and md.stderr.strip() == f"showing 3 of {ROWS // 2:,} (--limit N, --all)"
    small = run_cli("-C", str(big.root), "list", "--all", "--where", "id < 'r000005'")
    assert small.exit_code == 0 and len(_ids(small.stdout)) == 5 and small.stderr == ""  # nothing left out
    assert store_bytes(big) == before


def test_limit_and_all_together_is_a_usage_error(big: Workspace, run_cli: Any) -> None:
    res = run_cli("-C", str(big.root), "list", "--all", "--limit", "5")
    assert res.exit_code == 2 and res.stderr.startswith("error: --limit and --all") and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1


_PEAK = """
import atexit, sys

def _peak() -> None:
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    sys.stderr.write(f"peak-kb {kb}\\n")

atexit.register(_peak)
from goldset.cli import main
main(sys.argv[1:])
"""


def test_all_as_jsonl_streams_every_row_in_bounded_memory(big: Workspace) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _PEAK, "-C", str(big.root), "list", "--all", "-f", "jsonl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    n, first, last = 0, None, None
    for line in proc.stdout:  # read as it comes, like `| jq` would
        row = json.loads(line)
        first = first or row["id"]
        last = row["id"]
        n += 1
    err = proc.stderr.read() if proc.stderr else ""
    assert proc.wait(timeout=300) == 0, err
    assert (n, first, last) == (ROWS, "r000000", f"r{ROWS - 1:06d}")
    peak_mb = int(re.search(r"peak-kb (\d+)", err).group(1)) / 1024  # type: ignore[union-attr]
    print(f"list --all -f jsonl, {ROWS:,} rows: peak RSS {peak_mb:.0f} MB")
    assert peak_mb < MAX_PEAK_MB, f"peak RSS {peak_mb:.0f} MB"
    assert "showing" not in err  # machine formats list every row by default, without a note


def test_csv_to_a_file_streams_every_row(big: Workspace, run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    res = run_cli("-C", str(big.root), "list", "-f", "csv", "-o", str(out))
    assert res.exit_code == 0 and res.stderr.strip() == f"wrote {out}: {ROWS:,} row(s)", res.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == ROWS + 1 and lines[0].startswith("id,input,expected")
    assert lines[1].startswith("r000000,") and lines[-1].startswith(f"r{ROWS - 1:06d},")
    assert not list(tmp_path.glob(".all.csv.tmp-*"))


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "markdown"])
def test_streamed_text_is_what_the_whole_result_renders_to(big: Workspace, fmt: str) -> None:
    """Batch by batch (7 rows each here) the pieces join to exactly the one-shot rendering."""
    filters = Filters(where="id < 'r000023'", limit=None)
    whole = list_examples(big.dataset(), filters)
    columns = whole.schema.names if fmt != "markdown" else ["id", "input", "scenarios"]
    with open_listing(big.dataset(), filters, batch_rows=7) as listing:
        streamed = "".join(stream_rows(listing.batches, fmt, columns))
    assert streamed == render_rows(whole.to_pylist(), fmt, columns)
    assert len(_ids(streamed)) == 23
    with open_listing(big.dataset(), Filters(where="false")) as empty:
        assert "".join(stream_rows(empty.batches, fmt, columns)) == render_rows([], fmt, columns)
        assert empty.total == 0

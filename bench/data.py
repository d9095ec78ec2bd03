"""Benchmark data: CLINC150 replicated with new ids to any size, as JSONL or as a goldset store.

Rows get a mix of tiers, statuses and edge cases so that coverage, validation and tagging have
realistic work to do. Files are cached under bench/out/ (git-ignored) between runs.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CLINC = REPO.parent / "shared" / "data" / "clinc150"
OUT = REPO / "bench" / "out"
TIERS = ("blocking", "standard", "monitor")
STATUSES = ("approved", "approved", "approved", "draft", "retired")


def clinc_rows() -> list[tuple[str, str, str]]:
    data = json.loads((CLINC / "data_full.json").read_text(encoding="utf-8"))
    return [(split, text, intent) for split in ("train", "val", "test", "oos_train", "oos_val", "oos_test") for text, intent in data[split]]


def clinc_spec_text(dataset: str = "bench") -> str:
    domains = json.loads((CLINC / "domains.json").read_text(encoding="utf-8"))
    lines = [
        "version: 1",
        f"default_dataset: {dataset}",
        "datasets:",
        f"  {dataset}:",
        "    tiers: [blocking, standard, monitor]",
        "    default_tier: standard",
        "    count_status: [approved]",
        "    freshness: {max_review_age_days: 180}",
        "    gate: {blocking_priorities: [P0]}",
        "    edge_cases: {typo: Misspellings, multilingual: Non-English, long: Long input}",
        "    requirements:",
        "      P0: {min_examples: 2000, min_negatives: 0, min_edge_case_examples: 10}",
        "      P1: {min_examples: 1000}",
        "    scenarios:",
    ]
    for i, (domain, intents) in enumerate(domains.items()):
        for intent in intents:
            lines.append(f"      {intent}: {{priority: {'P0' if i < 2 else 'P1'}, group: {domain}}}")
    lines.append("      out_of_scope: {priority: P1, group: out_of_scope}")
    return "\n".join(lines) + "\n"


def records(n: int) -> Iterator[dict[str, Any]]:
    base = clinc_rows()
    for i in range(n):
        split, text, intent = base[i % len(base)]
        rep = i // len(base)
        oos = intent == "oos"
        edge = ["typo"] if i % 17 == 0 else (["multilingual"] if i % 29 == 0 else [])
        yield {
            "id": f"r{rep}-{split}-{i % len(base)}",
            "input": text if rep == 0 else f"{text} #{rep}",
            "expected": "decline" if oos else intent,
            "polarity": "negative" if oos else "positive",
            "scenarios": ["out_of_scope" if oos else intent],
            "edge_cases": edge,
            "tier": TIERS[i % 3],
            "status": STATUSES[i % len(STATUSES)],
            "split": split,
        }


def jsonl_file(n: int) -> Path:
    """A cached JSONL file of n replicated CLINC150 rows."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"clinc-{n}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for r in records(n):
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    return path


def workspace(n: int, name: str = "bench") -> Path:
    """A cached workspace (no git/DVC) holding n rows in dataset 'bench'."""
    from goldset.ingest import import_file
    from goldset.workspace import Workspace

    root = OUT / f"ws-{n}-{name}"
    if (root / "datasets" / "bench" / "_manifest.json").exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    (root / "goldset.yaml").write_text(clinc_spec_text(), encoding="utf-8")
    os.environ.setdefault("GOLDSET_USER", "bench@example.com")
    import_file(Workspace.open(root).dataset(), jsonl_file(n))
    return root


def peak_rss_mb() -> float:
    """Peak RSS of this process so far. VmHWM, not ru_maxrss: a child started by fork+exec
    inherits its parent's ru_maxrss high-water mark, which would inflate isolated runs."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    t0 = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - t0
    end.append(time.perf_counter())


def run_isolated(code: str) -> dict[str, Any]:
    """Run Python code in a fresh interpreter (fair peak-RSS numbers); it prints one JSON dict."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n## {title}\n")
    if not rows:
        return
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r.values()) + " |")


def git_workspace(tmp: Path, n: int) -> Path:
    """The cached n-row store as a real git + DVC workspace in ``tmp``, snapshotted as v1."""
    import shutil
    import subprocess
    import sys

    from goldset.history import snapshot
    from goldset.workspace import Workspace

    root = tmp / "ws"
    shutil.copytree(workspace(n), root, ignore=shutil.ignore_patterns("*.audit.jsonl", ".goldset*"))
    os.environ.setdefault("GOLDSET_USER", "bench@example.com")
    for args in (["git", "init", "-q", "-b", "main"], ["git", "config", "user.email", "bench@example.com"],
                 ["git", "config", "user.name", "bench"], [sys.executable, "-m", "dvc", "init", "-q"]):
        subprocess.run(args, cwd=root, check=True, capture_output=True)
    (root / ".dvcignore").write_text("**/.goldset.lock\n**/*.tmp\n/.goldset/\n")
    snapshot(Workspace.open(root), "bench", f"v1: {n:,} rows", tag="v1")
    return root

"""`python -m bench.compare REV [name ...]`: every benchmark at git revision REV and here, in
one run, alternating benchmark by benchmark, with the ratio here/REV of every figure.

REV is checked out into a temporary git worktree; its benchmarks run with that tree first on
``sys.path`` (same interpreter, same dependencies), then this tree's, so a figure compares
code with code on the same machine minutes apart. Cached data under bench/out is shared.
A figure whose column reads as a cost (seconds, ms, MB, x) and is more than 10% worse is
marked ``!``; quote medians from repeated runs before calling a 10% difference real.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: Columns whose numbers are costs: higher is worse.
_COST = re.compile(r"(\bs\b|ms|MB|seconds|wall|time|rss)", re.IGNORECASE)


def _tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Markdown tables printed by bench.data.print_table: title -> rows."""
    out: dict[str, list[dict[str, str]]] = {}
    title, cols = None, None
    for line in text.splitlines():
        if line.startswith("## "):
            title, cols = line[3:].strip(), None
        elif line.startswith("|") and title is not None:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cols is None:
                cols = cells
            elif not set(line) <= set("|-: "):
                out.setdefault(title, []).append(dict(zip(cols, cells, strict=False)))
    return out


def _number(cell: str) -> float | None:
    m = re.fullmatch(r"[~<>]?\s*([0-9][0-9,]*\.?[0-9]*)\s*(s|ms|MB|x|%)?", cell)
    return float(m.group(1).replace(",", "")) if m else None


def _run(tree: Path, name: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, "-m", "bench", name], cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench {name} at {tree}: {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stdout


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m bench.compare REV [name ...]")
    rev, names = sys.argv[1], sys.argv[2:]
    if not names:
        names = sorted(p.stem.removeprefix("bench_") for p in (REPO / "bench").glob("bench_*.py"))
    with tempfile.TemporaryDirectory(prefix="goldset-bench-") as tmp:
        base = Path(tmp) / "g"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(base), rev], cwd=REPO, check=True)
        try:
            (Path(tmp) / "shared").symlink_to(REPO.parent / "shared")
            (REPO / "bench" / "out").mkdir(parents=True, exist_ok=True)
            (base / "bench" / "out").symlink_to(REPO / "bench" / "out")
            worse = 0
            for name in names:
                old, new = _tables(_run(base, name)), _tables(_run(REPO, name))
                for title, rows in new.items():
                    print(f"\n## {name}: {title}  (here / {rev})\n")
                    before = old.get(title, [])
                    for i, row in enumerate(rows):
                        prev = before[i] if i < len(before) else {}
                        cells = []
                        for col, cell in row.items():
                            a, b = _number(prev.get(col, "")), _number(cell)
                            if a and b is not None and a > 0 and col != next(iter(row)):
                                ratio = b / a
                                flag = " !" if _COST.search(col) and ratio > 1.10 else ""
                                worse += bool(flag)
                                cells.append(f"{col}: {prev[col]} -> {cell} ({ratio:.2f}x){flag}")
                            else:
                                cells.append(f"{col}: {cell}")
                        print("- " + "; ".join(cells))
            print(f"\n{worse} cost figure(s) more than 10% worse than {rev}.")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, check=False)


if __name__ == "__main__":
    main()

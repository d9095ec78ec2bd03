"""`python -m bench [name ...]`: run the benchmarks (all by default) and print their tables."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> None:
    here = Path(__file__).parent
    names = sys.argv[1:] or sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if not (here.parent.parent / "shared" / "data" / "clinc150" / "data_full.json").exists():
        sys.exit("bench: needs ../shared/data/clinc150 (CLINC150)")
    for name in names:
        importlib.import_module(f"bench.bench_{name}").main()


if __name__ == "__main__":
    main()

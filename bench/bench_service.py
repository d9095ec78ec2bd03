"""The server on a 1M-row store: server-side latency of the first page of the example browser
and of the API list, of a text search and of the coverage dashboard (each read from the
``Server-Timing`` header the app sets, p50/p95 of 40 requests), against the same query through
the library directly in this process (the baseline, same run); and the server's peak memory
while 50 clients load it at once.

Setup: the cached 1M-row workspace (bench.data) copied to a temp dir, one user per role,
`goldset serve` started in a child process on a free loopback port.

    python -m bench service
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.data import REPO, print_table

N = 1_000_000
RUNS = 40
GOALS = {"api list, first page": 100.0, "browser, first page": 100.0, "text search": 500.0, "coverage dashboard": 300.0}
MEMORY_GOAL_MB = 1536.0


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def _server_ms(response: Any) -> float:
    timing = response.headers["server-timing"]  # app;dur=12.3
    return float(timing.split("dur=")[1])


def _library(root: Path) -> dict[str, list[float]]:
    from goldset.coverage import compute_coverage
    from goldset.query import Filters, page_examples
    from goldset.workspace import Workspace

    ds = Workspace.open(root).dataset("bench")
    calls = {
        "api list, first page": lambda: page_examples(ds, Filters(), limit=50),
        "browser, first page": lambda: page_examples(ds, Filters(), limit=50),
        "text search": lambda: page_examples(ds, Filters(search="refund"), limit=50),
        "coverage dashboard": lambda: compute_coverage(ds),
    }
    out: dict[str, list[float]] = {}
    for name, call in calls.items():
        call()  # warm: the first call reads the files into the page cache
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            call()
            times.append((time.perf_counter() - t) * 1000)
        out[name] = times
    return out


def main() -> None:
    import httpx
    import psutil

    sys.path.insert(0, str(REPO / "tests"))
    from helpers.service import build_large_served_workspace, serve

    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    try:
        root = tmp / "ws"
        tokens = build_large_served_workspace(root, N)
        baseline = _library(root)
        server_side: dict[str, list[float]] = {}
        cold: dict[str, float] = {}
        with serve(root) as server:
            api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens['pm']}"}, timeout=120)
            browser = httpx.Client(base_url=server.url, timeout=120)
            browser.post("/login", data={"token": tokens["pm"], "next": "/"})
            requests = {
                "api list, first page": lambda: api.get("/api/v1/datasets/bench/examples", params={"limit": 50}),
                "browser, first page": lambda: browser.get("/d/bench/examples"),
                "text search": lambda: api.get("/api/v1/datasets/bench/examples", params={"q": "refund", "limit": 50}),
                "coverage dashboard": lambda: browser.get("/d/bench"),
            }
            for name, call in requests.items():
                first = call()
                assert first.status_code == 200, first.text[:300]
                cold[name] = _server_ms(first)
                server_side[name] = [_server_ms(call()) for _ in range(RUNS)]
            # Memory under load: 50 clients, 20 requests each, while the server's RSS is sampled.
            proc = psutil.Process(server.proc.pid)
            peak = [proc.memory_info().rss]
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    peak.append(proc.memory_info().rss)
                    time.sleep(0.05)

            def client(k: int) -> None:
                with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens['pm']}"},
                                  timeout=300) as c:
                    for i in range(20):
                        c.get("/api/v1/datasets/bench/examples", params={"limit": 50, "q": ["refund", "", "card"][i % 3]})

            sampler = threading.Thread(target=sample)
            sampler.start()
            t0 = time.perf_counter()
            threads = [threading.Thread(target=client, args=(k,)) for k in range(50)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            load_s = time.perf_counter() - t0
            stop.set()
            sampler.join()
            peak_mb = max(peak) / 1024 / 1024
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = []
    for name in requests:
        rows.append({
            "what": name, "server p50 ms": _p(server_side[name], 50), "server p95 ms": _p(server_side[name], 95),
            "first (cold) ms": cold[name], "library p50 ms": _p(baseline[name], 50),
            "library p95 ms": _p(baseline[name], 95), "goal p95 ms": f"<= {GOALS[name]:.0f}",
        })
    print_table(f"service: a {N:,}-row store (server-side times from Server-Timing, {RUNS} requests each)", rows)
    print_table("service: memory under load", [{
        "what": "50 clients x 20 list/search requests", "seconds": load_s, "server peak RSS MB": peak_mb,
        "goal MB": f"<= {MEMORY_GOAL_MB:.0f}"}])
    print(json.dumps({"coverage note": "the dashboard's report is cached per data version, spec and minute; "
                      "'first (cold)' is the uncached cost"}))


if __name__ == "__main__":
    main()

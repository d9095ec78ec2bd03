"""Model runs over a 1M-row golden set: scoring and reporting a run, comparing two runs, against
the same aggregation in pandas, in the same run. Goals (the issue): score + report <= 3 s and
<= 2 GB peak RSS, compare <= 3 s, >= 5x faster than pandas.

Data: the cached 1M-row store (bench.data.workspace: CLINC150 replicated with new ids; 60%
approved, which is what a run counts) copied to its own workspace, whose spec adds a launch
bar, so a run written here never lands in the store the other benchmarks share. Two run files
of 1M rows (Parquet: id, output, latency_ms, cost_usd), cached under bench/out/: run A answers
the expected label except for a deterministic 8% (another intent), run B except for 6%, half
of them among A's errors (so B fixes 5% of the rows and breaks 3%).

Measured, RUNS times each, alternating, every case a fresh process started by a small
wrapper interpreter that reaps it with ``wait4`` (wall from spawn to exit, its own peak RSS and
CPU time; a child's peak is never below the wrapper's own ~12 MB, which it inherits), the
median quoted, the peak the max:

* ``goldset run add A.parquet --name a``, then ``goldset run report a -f json``: each command
  whole, as a user runs it (interpreter start and imports included), and their sum;
* ``goldset run compare a b -f json`` (run b is added once, untimed); run a is removed
  (untimed) before the next repetition;
* the same work in a fresh interpreter through the library, phases timed inside: imports,
  ``add_run``, ``run_report``, the report's JSON, ``compare_runs`` and its JSON;
* as a reference, the pandas baseline's aggregation as one DuckDB query (in process);
* baselines, whole process and in process (imports apart): pandas reads the outputs and the
  examples (pyarrow), joins on id, scores by exact match, explodes the scenarios and groups by
  scenario x tier (count, passed, latency p50/p95, cost); for compare, the paired discordant
  counts per scenario, from the two scored run files goldset wrote (like for like) and from the
  raw outputs scored in pandas.

The machine is shared: a neighbour's load moves single figures by up to 1.7x; quote medians.

    python -m bench runs
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.data import OUT, REPO, clinc_spec_text, print_table, records, workspace

N = 1_000_000
RUNS = 5
GOAL_S, GOAL_MB, GOAL_X = 3.0, 2048.0, 5.0
WRONG_A, WRONG_B, OVERLAP = 0.08, 0.06, 0.03
GOLDSET = str(Path(sys.executable).with_name("goldset"))
LAUNCH_BAR = """    launch_bar:
      min_examples_for_verdict: 30
      max_cost_per_1k_usd: 5
      priorities: {P0: {min_pass_rate: 0.9, max_p95_latency_ms: 1500}, P1: {min_pass_rate: 0.85}}
"""

#: Runs a command as a fresh process and reaps it with wait4: its own wall, peak RSS and CPU.
#: argv: cwd, file for the command's stdout, the command.
_PROC = """
import json, os, subprocess, sys, time
cwd, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(out, "wb") as f:
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=f, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
p.returncode = code = os.waitstatus_to_exitcode(status)
if code:
    sys.exit(f"exit {code}: {' '.join(cmd)}: {err.decode(errors='replace').strip()[-1500:]}")
print(json.dumps({"s": wall, "mb": ru.ru_maxrss / 1024, "cpu": ru.ru_utime + ru.ru_stime}))
"""

#: goldset through the library, phases timed in process. argv: root, run file A, name, run b.
_LIBRARY = """
import json, sys, time
t0 = time.perf_counter()
import duckdb, pyarrow.parquet, statsmodels.stats.proportion, statsmodels.stats.contingency_tables
import statsmodels.stats.multitest
from goldset.cli import render
from goldset.runs import add_run, compare_runs, remove_run, run_report
from goldset.workspace import Workspace
from bench.data import peak_rss_mb
root, path, name, other = sys.argv[1:5]
ds = Workspace.open(root).dataset()
t = {"imports": time.perf_counter() - t0}
t1 = time.perf_counter()
info = add_run(ds, path, name)
t["add"] = time.perf_counter() - t1
t1 = time.perf_counter()
report = run_report(ds, name)
t["report"] = time.perf_counter() - t1
t1 = time.perf_counter()
text = render.render(report, "json")
t["render"] = time.perf_counter() - t1
t1 = time.perf_counter()
comparison = render.render(compare_runs(ds, name, other), "json")
t["compare"] = time.perf_counter() - t1
remove_run(ds, name)
print(json.dumps({**t, "rss": peak_rss_mb(), "counted": info.counted, "passed": info.passed, "json_bytes": len(text)}))
"""

#: The report's core numbers in pandas. argv: example parts (JSON list), run file.
_PANDAS_REPORT = """
import json, sys, time
t0 = time.perf_counter()
import pandas as pd, pyarrow.parquet as pq
from bench.data import peak_rss_mb
parts, path = json.loads(sys.argv[1]), sys.argv[2]
imports = time.perf_counter() - t0
t = time.perf_counter()
ex = pq.read_table(parts, columns=["id", "expected", "polarity", "scenarios", "tier", "status"]).to_pandas()
ex = ex[ex["status"] == "approved"]
out = pd.read_parquet(path, columns=["id", "output", "latency_ms", "cost_usd"])
m = ex.merge(out, on="id", how="left")
m["passed"] = m["output"].notna() & (m["output"] == m["expected"])
e = m.explode("scenarios")
g = e.groupby(["scenarios", "tier"])
table = g.agg(n=("id", "size"), passed=("passed", "sum"), cost=("cost_usd", "sum"))
q = g["latency_ms"].quantile([0.5, 0.95]).unstack()
table["p50"], table["p95"] = q[0.5], q[0.95]
s = time.perf_counter() - t
print(json.dumps({"s": s, "imports": imports, "rss": peak_rss_mb(), "groups": len(table),
                  "counted": int(len(m)), "passed": int(m["passed"].sum())}))
"""

#: The same aggregation as one DuckDB query: what the engine costs without goldset's checks, run
#: file and report. argv: example parts (JSON list), run file.
_DUCKDB_REPORT = """
import json, sys, time
t0 = time.perf_counter()
import duckdb
from bench.data import peak_rss_mb
parts, path = json.loads(sys.argv[1]), sys.argv[2]
con = duckdb.connect()
imports = time.perf_counter() - t0
t = time.perf_counter()
rows = con.execute('''
    WITH m AS (SELECT e.scenarios, e.tier, coalesce(o.output = e.expected, false) AS passed, o.latency_ms, o.cost_usd
               FROM read_parquet($parts) e LEFT JOIN read_parquet($path) o ON o.id = e.id WHERE e.status = 'approved')
    SELECT scenario, tier, count(*), count(*) FILTER (passed), quantile_cont(latency_ms, 0.5),
           quantile_cont(latency_ms, 0.95), sum(cost_usd)
    FROM (SELECT *, unnest(scenarios) AS scenario FROM m) GROUP BY ALL''', {"parts": parts, "path": path}).fetchall()
s = time.perf_counter() - t
print(json.dumps({"s": s, "imports": imports, "rss": peak_rss_mb(), "groups": len(rows), "passed": sum(r[3] for r in rows)}))
"""

#: Paired discordant counts per scenario in pandas, from the raw outputs (scored here) or from
#: goldset's two scored run files. argv: "raw" or "scored", example parts (JSON list), a, b.
_PANDAS_COMPARE = """
import json, sys, time
t0 = time.perf_counter()
import pandas as pd, pyarrow.parquet as pq
from bench.data import peak_rss_mb
mode, parts, a, b = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
imports = time.perf_counter() - t0
t = time.perf_counter()
if mode == "raw":
    ex = pq.read_table(parts, columns=["id", "expected", "scenarios", "status"]).to_pandas()
    ex = ex[ex["status"] == "approved"]
    for col, path in (("ap", a), ("bp", b)):
        out = pd.read_parquet(path, columns=["id", "output"])
        ex = ex.merge(out, on="id", how="left")
        ex[col] = ex["output"].notna() & (ex["output"] == ex["expected"])
        ex = ex.drop(columns="output")
    p = ex
else:
    cols = ["id", "fingerprint", "scenarios", "passed", "counted"]
    ra = pd.read_parquet(a, columns=cols, filters=[("counted", "==", True)])
    rb = pd.read_parquet(b, columns=["id", "fingerprint", "passed", "counted"], filters=[("counted", "==", True)])
    p = ra.merge(rb, on=["id", "fingerprint"], suffixes=("_a", "_b"))
    p["ap"], p["bp"] = p["passed_a"].fillna(False).astype(bool), p["passed_b"].fillna(False).astype(bool)
e = p[["id", "scenarios", "ap", "bp"]].explode("scenarios")
e["both"], e["broken"] = e["ap"] & e["bp"], e["ap"] & ~e["bp"]
e["fixed"], e["neither"] = ~e["ap"] & e["bp"], ~e["ap"] & ~e["bp"]
table = e.groupby("scenarios")[["both", "broken", "fixed", "neither"]].sum()
s = time.perf_counter() - t
print(json.dumps({"s": s, "imports": imports, "rss": peak_rss_mb(), "groups": len(table), "paired": int(len(p)),
                  "fixed": int(table["fixed"].sum()), "broken": int(table["broken"].sum())}))
"""


def build() -> tuple[Path, Path, Path]:
    """The cached runs workspace (a copy of the 1M-row store with a launch bar) and the two
    cached run files."""
    root = OUT / f"ws-{N}-runs"
    if not (root / "datasets" / "bench" / "_manifest.json").exists():
        shutil.rmtree(root, ignore_errors=True)
        src = workspace(N)
        shutil.copytree(src / "datasets" / "bench", root / "datasets" / "bench")
    spec = clinc_spec_text().replace("    scenarios:\n", LAUNCH_BAR + "    scenarios:\n", 1)
    (root / "goldset.yaml").write_text(spec, encoding="utf-8")
    a, b = OUT / f"run-a-{N}.parquet", OUT / f"run-b-{N}.parquet"
    if not (a.exists() and b.exists()):
        _write_runs(a, b)
    return root, a, b


def _write_runs(a: Path, b: Path) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(records(N))
    ids = [r["id"] for r in rows]
    expected = [r["expected"] for r in rows]
    labels = sorted(set(expected))
    other = {x: labels[(i + 1) % len(labels)] for i, x in enumerate(labels)}
    chars = np.array([len(r["input"]) for r in rows], dtype=np.float64)
    u = np.random.default_rng(20261201).random(N)
    wrong = {"a": u < WRONG_A, "b": (u >= WRONG_A - OVERLAP) & (u < WRONG_A - OVERLAP + WRONG_B)}
    for key, path, seed in (("a", a, 1), ("b", b, 2)):
        rng = np.random.default_rng(seed)
        output = [other[x] if w else x for x, w in zip(expected, wrong[key].tolist(), strict=True)]
        latency = np.round(rng.lognormal(np.log(400), 0.45, N) + chars * 2, 1)
        cost = np.round((chars + 40) * 2e-6 + 1e-4, 7)
        table = pa.table({"id": ids, "output": output, "latency_ms": latency, "cost_usd": cost})
        tmp = path.with_suffix(".tmp")
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)


def _proc(cwd: Path, out: Path, *cmd: str) -> dict[str, Any]:
    """Run ``cmd`` in a fresh process (see _PROC); with the last JSON line it printed, if any."""
    p = subprocess.run([sys.executable, "-c", _PROC, str(cwd), str(out), *cmd], capture_output=True, text=True,
                       cwd=REPO, check=False)
    if p.returncode:
        raise RuntimeError(p.stderr.strip()[-2000:])
    result: dict[str, Any] = json.loads(p.stdout.strip().splitlines()[-1])
    lines = out.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    if lines and lines[-1].startswith("{"):
        result["printed"] = json.loads(lines[-1])
    return result


def _remove(root: Path, name: str) -> None:
    from goldset.runs import remove_run
    from goldset.workspace import Workspace

    remove_run(Workspace.open(root).dataset(), name)


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r[key]) for r in rows)


def _peak(rows: list[dict[str, Any]], key: str = "mb") -> float:
    return max(float(r[key]) for r in rows)


def main() -> None:
    from goldset.runs import list_runs
    from goldset.workspace import Workspace

    os.environ.setdefault("GOLDSET_USER", "bench@example.com")
    root, file_a, file_b = build()
    ds = Workspace.open(root).dataset()
    for info in list_runs(ds):  # leftovers of an interrupted run of this benchmark
        _remove(root, info.name)
    parts = json.dumps(ds.files())
    tmp = OUT / "runs-tmp"
    tmp.mkdir(exist_ok=True)
    py = sys.executable
    _proc(root, tmp / "setup.out", GOLDSET, "run", "add", str(file_b), "--name", "b")  # untimed
    run_a, run_b = root / "runs" / "bench" / "a.parquet", root / "runs" / "bench" / "b.parquet"
    cases: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "add", "report", "compare", "library", "pandas report", "duckdb report", "pandas compare raw", "pandas compare scored")}
    for i in range(RUNS):
        cases["add"].append(_proc(root, tmp / "add.out", GOLDSET, "run", "add", str(file_a), "--name", "a"))
        cases["report"].append(_proc(root, tmp / "report.json", GOLDSET, "run", "report", "a", "-f", "json"))
        cases["compare"].append(_proc(root, tmp / "compare.json", GOLDSET, "run", "compare", "a", "b", "-f", "json"))
        cases["pandas compare scored"].append(_proc(REPO, tmp / "pandas-s.out", py, "-c", _PANDAS_COMPARE, "scored",
                                                    parts, str(run_a), str(run_b)))
        _remove(root, "a")
        # The library's own scratch run "c", removed by the script itself.
        cases["library"].append(_proc(REPO, tmp / "library.out", py, "-c", _LIBRARY, str(root), str(file_a), "c", "b"))
        cases["pandas report"].append(_proc(REPO, tmp / "pandas.out", py, "-c", _PANDAS_REPORT, parts, str(file_a)))
        cases["duckdb report"].append(_proc(REPO, tmp / "duckdb.out", py, "-c", _DUCKDB_REPORT, parts, str(file_a)))
        cases["pandas compare raw"].append(_proc(REPO, tmp / "pandas-c.out", py, "-c", _PANDAS_COMPARE, "raw", parts,
                                                 str(file_a), str(file_b)))
        print(f"run {i + 1}/{RUNS}: add {cases['add'][-1]['s']:.2f} s, report {cases['report'][-1]['s']:.2f} s, "
              f"compare {cases['compare'][-1]['s']:.2f} s, pandas {cases['pandas report'][-1]['s']:.2f} s", file=sys.stderr)
    _remove(root, "b")
    report = json.loads((tmp / "report.json").read_text(encoding="utf-8"))
    comparison = json.loads((tmp / "compare.json").read_text(encoding="utf-8"))
    _print(cases, report, comparison)


def _verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def _print(cases: dict[str, list[dict[str, Any]]], report: dict[str, Any], comparison: dict[str, Any]) -> None:
    lib = [r["printed"] for r in cases["library"]]
    pr = [r["printed"] for r in cases["pandas report"]]
    dr = [r["printed"] for r in cases["duckdb report"]]
    pc = {k: [r["printed"] for r in cases[k]] for k in ("pandas compare raw", "pandas compare scored")}
    overall, cmp_all = report["overall"], comparison["overall"]
    raw0 = pc["pandas compare raw"][0]
    print(f"\nrun a: {overall['n']:,} counted of {report['run']['rows']:,} rows, {overall['passed']:,} passed, "
          f"launch verdict {report['verdict']}, {len(report['scenarios'])} scenarios, report JSON "
          f"{lib[0]['json_bytes'] / 1e6:.1f} MB; pandas: {pr[0]['counted']:,} counted, {pr[0]['passed']:,} passed, "
          f"{pr[0]['groups']} scenario x tier groups")
    print(f"compare a b: {comparison['paired']:,} paired, {cmp_all['fixed']:,} fixed, {cmp_all['broken']:,} broken, "
          f"{len(comparison['regressions'])} regression(s); pandas (raw): {raw0['paired']:,} paired, "
          f"{raw0['fixed']:,} fixed, {raw0['broken']:,} broken")

    add_s, rep_s = _median(cases["add"], "s"), _median(cases["report"], "s")
    both_s = statistics.median(a["s"] + r["s"] for a, r in zip(cases["add"], cases["report"], strict=True))
    both_mb = max(_peak(cases["add"]), _peak(cases["report"]))
    pandas_s, pandas_in = _median(cases["pandas report"], "s"), _median(pr, "s")
    lib_s = statistics.median(r["add"] + r["report"] + r["render"] for r in lib)
    x, x_in = pandas_s / both_s, pandas_in / lib_s
    print_table(f"Score + report a {N:,}-row run (median of {RUNS} fresh processes; peak RSS the max)", [
        {"what": "goldset run add A.parquet --name a", "s": add_s, "peak MB": round(_peak(cases["add"])),
         "cpu s": _median(cases["add"], "cpu"), "goal": "", "pandas / goldset": ""},
        {"what": "goldset run report a -f json", "s": rep_s, "peak MB": round(_peak(cases["report"])),
         "cpu s": _median(cases["report"], "cpu"), "goal": "", "pandas / goldset": ""},
        {"what": "score + report (the two commands)", "s": both_s, "peak MB": round(both_mb), "cpu s": "",
         "goal": f"<= {GOAL_S:.0f} s: {_verdict(both_s <= GOAL_S)}; <= {GOAL_MB:.0f} MB: {_verdict(both_mb <= GOAL_MB)}",
         "pandas / goldset": f"{x:.2f}x (goal >= {GOAL_X:.0f}x: {_verdict(x >= GOAL_X)})"},
        {"what": "baseline: pandas, scenario x tier aggregation (whole process)", "s": pandas_s,
         "peak MB": round(_peak(cases["pandas report"])), "cpu s": _median(cases["pandas report"], "cpu"), "goal": "",
         "pandas / goldset": ""},
        {"what": "goldset in process: add_run + run_report + JSON (imports apart)", "s": lib_s,
         "peak MB": round(_peak(lib, "rss")), "cpu s": "", "goal": "", "pandas / goldset": f"{x_in:.2f}x"},
        {"what": "baseline in process (imports apart)", "s": pandas_in, "peak MB": round(_peak(pr, "rss")), "cpu s": "",
         "goal": "", "pandas / goldset": ""},
        {"what": "reference: the baseline's aggregation as one DuckDB query, in process", "s": _median(dr, "s"),
         "peak MB": round(_peak(dr, "rss")), "cpu s": "", "goal": "", "pandas / goldset": f"{pandas_in / _median(dr, 's'):.2f}x (pandas / DuckDB)"},
    ])

    cmp_s = _median(cases["compare"], "s")
    raw_s, scored_s = _median(cases["pandas compare raw"], "s"), _median(cases["pandas compare scored"], "s")
    raw_in, scored_in = _median(pc["pandas compare raw"], "s"), _median(pc["pandas compare scored"], "s")
    lib_c = _median(lib, "compare")
    print_table(f"Compare two {N:,}-row runs (median of {RUNS} fresh processes; peak RSS the max)", [
        {"what": "goldset run compare a b -f json", "s": cmp_s, "peak MB": round(_peak(cases["compare"])),
         "cpu s": _median(cases["compare"], "cpu"), "goal": f"<= {GOAL_S:.0f} s: {_verdict(cmp_s <= GOAL_S)}",
         "pandas / goldset": f"{scored_s / cmp_s:.2f}x scored files, {raw_s / cmp_s:.2f}x raw "
                             f"(goal >= {GOAL_X:.0f}x: {_verdict(min(scored_s, raw_s) / cmp_s >= GOAL_X)})"},
        {"what": "baseline: pandas, discordant pairs per scenario from the two scored run files (whole process)",
         "s": scored_s, "peak MB": round(_peak(cases["pandas compare scored"])),
         "cpu s": _median(cases["pandas compare scored"], "cpu"), "goal": "", "pandas / goldset": ""},
        {"what": "baseline: the same from the raw outputs + examples, scored in pandas (whole process)", "s": raw_s,
         "peak MB": round(_peak(cases["pandas compare raw"])), "cpu s": _median(cases["pandas compare raw"], "cpu"),
         "goal": "", "pandas / goldset": ""},
        {"what": "goldset in process: compare_runs + JSON (imports apart)", "s": lib_c, "peak MB": "", "cpu s": "",
         "goal": "", "pandas / goldset": f"{scored_in / lib_c:.2f}x scored, {raw_in / lib_c:.2f}x raw"},
        {"what": "baselines in process (imports apart): scored files", "s": scored_in,
         "peak MB": round(_peak(pc["pandas compare scored"], "rss")), "cpu s": "", "goal": "", "pandas / goldset": ""},
        {"what": "baselines in process (imports apart): raw outputs", "s": raw_in,
         "peak MB": round(_peak(pc["pandas compare raw"], "rss")), "cpu s": "", "goal": "", "pandas / goldset": ""},
    ])
    print_table(f"Where goldset's time goes (median of {RUNS}, seconds)", [
        {"phase": "in process: imports (goldset, DuckDB, pyarrow, statsmodels) + opening the workspace",
         "s": _median(lib, "imports")},
        {"phase": "in process: add_run (read, check, join, score, write the run file)", "s": _median(lib, "add")},
        {"phase": "in process: run_report", "s": _median(lib, "report")},
        {"phase": "in process: JSON of the report", "s": _median(lib, "render")},
        {"phase": "in process: compare_runs + JSON", "s": lib_c},
        {"phase": "the two commands' interpreter start and imports (score + report whole - in process)",
         "s": both_s - lib_s},
    ])


if __name__ == "__main__":
    main()

"""Data hygiene: near-duplicates over 100k examples, leakage of 100k examples into 1M training
rows, each against baselines in the same run. Goals: dupes <= 20 s and <= 2 GB peak RSS;
leakage <= 60 s.

Near-duplicates (bench.data.workspace(100k): CLINC150 replicated, "text", "text #1", ...):
goldset (word and char shingles) in fresh interpreters; datasketch's own objects
(``MinHash.bulk`` + ``MinHashLSH`` insert and query, same 25 bands x 5 rows, no verification)
on the same inputs; and on a 3,000-example sample, a brute-force exact Jaccard of every pair
(Python sets) and the same pairs as a DuckDB token self-join, each next to goldset on that
sample (pairs found, false pairs).

Leakage: 1M training rows (cached under bench/out/): 990,000 unrelated sentences of CLINC150
words in random order, 5,000 exact copies of examples (case and spacing changed) and 5,000
paraphrases (" please" added) at known rows; and, as a stress case, bench.data.jsonl_file(1M),
which holds every example and dozens of near copies of each. Baselines: pandas reading the 1M
rows whole for the exact matches; a brute-force Jaccard (sparse matrix products) of a
5,000-row sample against every example, next to goldset on the same sample.

    python -m bench hygiene
"""

from __future__ import annotations

import json
import os
import random
import re
from typing import Any

from bench.data import (
    OUT,
    clinc_rows,
    jsonl_file,
    print_table,
    records,
    run_isolated,
    timer,
    workspace,
)

N = 100_000
TRAIN = 1_000_000
SAMPLE = 3_000
LEAK_SAMPLE = 5_000
THRESHOLD = 0.8

_DUPES = """
import json, time
from bench.data import peak_rss_mb
from goldset.workspace import Workspace
from goldset.hygiene import find_near_duplicates
ds = Workspace.open({root!r}).dataset()
t = time.perf_counter()
r = find_near_duplicates(ds, threshold={threshold}, shingles={kind!r})
s = time.perf_counter() - t
print(json.dumps({{"seconds": s, "rss": peak_rss_mb(), "examples": r.examples, "clusters": len(r.clusters),
                  "pairs": r.pairs, "candidates": r.candidates, "conflicts": r.label_conflicts, "timings": r.timings}}))
"""

_DATASKETCH = """
import json, re, time
from bench.data import peak_rss_mb
from datasketch import MinHash, MinHashLSH
from goldset.workspace import Workspace
texts = [r["input"] for r in Workspace.open({root!r}).dataset().query(
    "SELECT input FROM examples WHERE status <> 'retired' ORDER BY id").to_pylist()]
t = time.perf_counter()
sets = [set(re.findall(r"\\w+", s.lower())) or {{s}} for s in texts]
mhs = MinHash.bulk([[w.encode() for w in s] for s in sets], num_perm=128)
lsh = MinHashLSH(num_perm=128, params=({bands}, {rows}))
with lsh.insertion_session() as session:
    for i, m in enumerate(mhs):
        session.insert(i, m, check_duplication=False)
candidates = sum(len(lsh.query(m)) - 1 for m in mhs) // 2
s = time.perf_counter() - t
print(json.dumps({{"seconds": s, "rss": peak_rss_mb(), "candidates": candidates}}))
"""

_LEAK = """
import json, time
from bench.data import peak_rss_mb
from goldset.workspace import Workspace
from goldset.hygiene import find_leakage
ds = Workspace.open({root!r}).dataset()
t = time.perf_counter()
r = find_leakage(ds, [{train!r}], column={column!r}, threshold={threshold})
s = time.perf_counter() - t
kinds = {{m.id: m.kind for m in r.matches}}
print(json.dumps({{"seconds": s, "rss": peak_rss_mb(), "exact": r.exact, "near": r.near, "train_rows": r.train_rows,
                  "examples": r.examples, "kinds": kinds if len(kinds) < 200_000 else {{}}, "timings": r.timings}}))
"""

_PANDAS = """
import json, time, unicodedata
import pandas as pd
from bench.data import peak_rss_mb
from goldset.workspace import Workspace
golden = Workspace.open({root!r}).dataset().query("SELECT id, input FROM examples WHERE status <> 'retired'").to_pandas()
t = time.perf_counter()
train = pd.read_json({train!r}, lines=True)
def norm(s):
    return s.map(lambda x: unicodedata.normalize("NFC", x)).str.lower().str.replace(r"\\s+", " ", regex=True).str.strip()
golden["n"] = norm(golden["input"])
train["n"] = norm(train["text"])
hits = golden.merge(train[["n"]].drop_duplicates(), on="n")
s = time.perf_counter() - t
print(json.dumps({{"seconds": s, "rss": peak_rss_mb(), "exact": int(hits["id"].nunique())}}))
"""


def _words(text: str) -> frozenset[str]:
    tokens = re.findall(r"\w+", re.sub(r"\s+", " ", text.lower()).strip())
    return frozenset(tokens) if tokens else frozenset([text.lower()])


def _golden(root: str) -> list[dict[str, Any]]:
    from goldset.workspace import Workspace

    rows: list[dict[str, Any]] = Workspace.open(root).dataset().query(
        "SELECT id, input FROM examples WHERE status <> 'retired' ORDER BY id").to_pylist()
    return rows


def train_file(golden: list[dict[str, Any]]) -> tuple[str, dict[str, str]]:
    """The cached 1M-row training JSONL, and id -> kind of the examples planted in it."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"train-{TRAIN}.jsonl"
    rng = random.Random(14)
    chosen = rng.sample(golden, 10_000)
    planted = {g["id"]: ("exact" if i < 5_000 else "near") for i, g in enumerate(chosen)}
    if not path.exists():
        vocab = sorted({w for _, text, _ in clinc_rows() for w in text.split()})
        at = dict(zip(rng.sample(range(TRAIN), len(chosen)), chosen, strict=True))
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for i in range(TRAIN):
                g = at.get(i)
                if g is None:
                    text = " ".join(rng.choices(vocab, k=rng.randint(6, 14)))
                elif planted[g["id"]] == "exact":
                    text = "  " + g["input"].upper().replace(" ", "  ")
                else:
                    text = g["input"] + " please"
                f.write(json.dumps({"text": text, "source": "web"}) + "\n")
        os.replace(tmp, path)
    return str(path), planted


def _sample_workspace(golden_root: str) -> tuple[str, list[dict[str, Any]]]:
    """A workspace of the first SAMPLE non-retired examples of the 100k store."""
    from bench.data import clinc_spec_text
    from goldset.ingest import add
    from goldset.workspace import Workspace

    root = OUT / f"ws-hygiene-sample-{SAMPLE}"
    rows = [r for r in records(N) if r["status"] != "retired"][:SAMPLE]
    if not (root / "datasets" / "bench" / "_manifest.json").exists():
        root.mkdir(parents=True, exist_ok=True)
        (root / "goldset.yaml").write_text(clinc_spec_text(), encoding="utf-8")
        os.environ.setdefault("GOLDSET_USER", "bench@example.com")
        add(Workspace.open(root).dataset(), [{k: v for k, v in r.items() if k != "split"} for r in rows])
    return str(root), rows


def _dupes_sample(root: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import duckdb

    from goldset.hygiene import find_near_duplicates
    from goldset.workspace import Workspace

    sets = [_words(r["input"]) for r in rows]
    with timer() as t:
        truth = set()
        for i in range(len(sets)):
            for j in range(i + 1, len(sets)):
                a, b = sets[i], sets[j]
                if len(a & b) / len(a | b) >= THRESHOLD:
                    truth.add((min(rows[i]["id"], rows[j]["id"]), max(rows[i]["id"], rows[j]["id"])))
    brute = t()
    import pyarrow as pa

    con = duckdb.connect()
    con.register("s", pa.table({"i": list(range(len(rows))), "input": [r["input"] for r in rows]}))
    with timer() as t:
        n_duck = con.execute(
            "WITH w AS (SELECT i, unnest(list_distinct(regexp_extract_all(lower(input), '[\\pL\\pN_]+'))) AS w FROM s), "
            "n AS (SELECT i, count(*) AS n FROM w GROUP BY i) "
            "SELECT count(*) FROM (SELECT a.i, b.i AS j, count(*) AS inter FROM w a JOIN w b ON a.w = b.w AND a.i < b.i GROUP BY a.i, b.i) p "
            "JOIN n x ON x.i = p.i JOIN n y ON y.i = p.j WHERE inter / (x.n + y.n - inter) >= ?", [THRESHOLD]).fetchone()[0]  # type: ignore[index]
    duck = t()
    ds = Workspace.open(root).dataset()
    with timer() as t:
        report = find_near_duplicates(ds, threshold=THRESHOLD)
    ours = t()
    # identical shingle sets are listed once (first to each other): compare in those terms
    first: dict[frozenset[str], str] = {}
    for r in sorted(rows, key=lambda r: r["id"]):
        first.setdefault(_words(r["input"]), r["id"])
    by_id = {r["id"]: _words(r["input"]) for r in rows}
    found = {tuple(sorted((first[by_id[p.a]], first[by_id[p.b]]))) for c in report.clusters for p in c.pairs}
    want = {tuple(sorted((first[by_id[a]], first[by_id[b]]))) for a, b in truth}
    found, want = {p for p in found if p[0] != p[1]}, {p for p in want if p[0] != p[1]}
    scale = (80_000 / SAMPLE) ** 2
    return [
        {"what": f"brute force, Python sets, {SAMPLE:,} examples", "seconds": brute, f"at 80k (x{scale:.0f})": f"~{brute * scale / 60:.0f} min",
         "pairs >= 0.8": len(truth), "found by goldset": "", "false pairs": ""},
        {"what": f"DuckDB token self-join, {SAMPLE:,} examples", "seconds": duck, f"at 80k (x{scale:.0f})": f"~{duck * scale / 60:.0f} min",
         "pairs >= 0.8": n_duck, "found by goldset": "", "false pairs": ""},
        {"what": f"goldset dupes, {SAMPLE:,} examples", "seconds": ours, f"at 80k (x{scale:.0f})": "see above",
         "pairs >= 0.8": len(found), "found by goldset": f"{len(found & want)}/{len(want)} distinct-set pairs", "false pairs": len(found - want)},
    ]


def _leak_sample(root: str, train: str) -> list[dict[str, Any]]:
    """goldset and a brute-force Jaccard on the first LEAK_SAMPLE training rows."""
    import numpy as np
    import scipy.sparse as sp  # type: ignore[import-untyped]

    from goldset.hygiene import find_leakage
    from goldset.workspace import Workspace

    golden = _golden(root)
    texts = []
    with open(train, encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if len(texts) == LEAK_SAMPLE:
                break
    sample = OUT / f"train-sample-{LEAK_SAMPLE}.jsonl"
    sample.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    with timer() as t:
        vocab: dict[str, int] = {}

        def matrix(items: list[str]) -> Any:
            r, c = [], []
            for i, text in enumerate(items):
                for w in _words(text):
                    r.append(i)
                    c.append(vocab.setdefault(w, len(vocab)))
            return r, c

        gr, gc = matrix([g["input"] for g in golden])
        tr, tc = matrix(texts)
        shape = len(vocab)
        g = sp.csr_matrix((np.ones(len(gr)), (gr, gc)), shape=(len(golden), shape))
        m = sp.csr_matrix((np.ones(len(tr)), (tr, tc)), shape=(len(texts), shape))
        gsize, tsize = np.asarray(g.sum(axis=1)).ravel(), np.asarray(m.sum(axis=1)).ravel()
        hit = np.zeros(len(golden), dtype=bool)
        for s in range(0, len(texts), 500):
            inter = (m[s:s + 500] @ g.T).toarray()
            j = inter / (tsize[s:s + 500, None] + gsize[None, :] - inter)
            hit |= (j >= THRESHOLD).any(axis=0)
    brute = t()
    want = {golden[i]["id"] for i in np.flatnonzero(hit)}
    ds = Workspace.open(root).dataset()
    with timer() as t:
        report = find_leakage(ds, [sample], threshold=THRESHOLD)
    ours = t()
    got = {m.id for m in report.matches}
    scale = TRAIN / LEAK_SAMPLE
    return [
        {"what": f"brute force, sparse products, {LEAK_SAMPLE:,} training rows", "seconds": brute,
         "at 1M (x200)": f"~{brute * scale / 60:.0f} min", "examples found": len(want), "goldset agrees": ""},
        {"what": f"goldset leakage, {LEAK_SAMPLE:,} training rows", "seconds": ours, "at 1M (x200)": "see above",
         "examples found": len(got), "goldset agrees": f"{len(got & want)}/{len(want)} found, {len(got - want)} not in brute force"},
    ]


def main() -> None:
    from goldset.hygiene import lsh_for

    os.environ.setdefault("GOLDSET_USER", "bench@example.com")
    root = str(workspace(N))
    lsh = lsh_for(THRESHOLD)
    rows: list[dict[str, Any]] = []
    for kind in ("word", "char"):
        r = run_isolated(_DUPES.format(root=root, threshold=THRESHOLD, kind=kind))
        tm = r["timings"]
        rows.append({"what": f"goldset dupes, {kind} shingles", "seconds": r["seconds"], "peak RSS MB": round(r["rss"]),
                     "examples": r["examples"], "candidates": r["candidates"], "pairs >= 0.8": r["pairs"],
                     "clusters": r["clusters"],
                     "steps s": f"shingles {tm['shingles_s']:.1f}, signatures {tm['signatures_s']:.1f}, "
                                f"candidates+verify {tm['candidates_s']:.1f}, clusters {tm['clusters_s']:.1f}"})
    d = run_isolated(_DATASKETCH.format(root=root, bands=lsh.bands, rows=lsh.rows))
    rows.append({"what": "datasketch objects (MinHash.bulk + MinHashLSH insert/query), candidates only", "seconds": d["seconds"],
                 "peak RSS MB": round(d["rss"]), "examples": rows[0]["examples"], "candidates": d["candidates"],
                 "pairs >= 0.8": "(not verified)", "clusters": "", "steps s": ""})
    print_table(f"Near-duplicates, {N:,} examples (non-retired compared), Jaccard >= {THRESHOLD}, "
                f"{lsh.bands} bands x {lsh.rows} rows; goal <= 20 s, <= 2048 MB", rows)
    sample_root, sample_rows = _sample_workspace(root)
    print_table(f"Near-duplicates on a {SAMPLE:,}-example sample: baselines and agreement", _dupes_sample(sample_root, sample_rows))

    train, planted = train_file(_golden(root))
    leak = run_isolated(_LEAK.format(root=root, train=train, column="text", threshold=THRESHOLD))
    kinds = leak["kinds"]
    exact_ok = sum(kinds.get(i) == "exact" for i, k in planted.items() if k == "exact")
    near_ok = sum(i in kinds for i, k in planted.items() if k == "near")
    stress = run_isolated(_LEAK.format(root=root, train=str(jsonl_file(TRAIN)), column="input", threshold=THRESHOLD))
    pandas = run_isolated(_PANDAS.format(root=root, train=train))
    print_table(f"Leakage, {leak['examples']:,} examples x {TRAIN:,} training rows, Jaccard >= {THRESHOLD}; goal <= 60 s", [
        {"what": "goldset leakage: 10,000 planted among unrelated rows", "seconds": leak["seconds"], "peak RSS MB": round(leak["rss"]),
         "exact": leak["exact"], "near": leak["near"],
         "planted found": f"{exact_ok}/5000 exact as exact, {near_ok}/5000 paraphrases"},
        {"what": "goldset leakage: training rows = the golden set's own 1M replicas (stress)", "seconds": stress["seconds"],
         "peak RSS MB": round(stress["rss"]), "exact": stress["exact"], "near": stress["near"], "planted found": ""},
        {"what": "pandas: read 1M rows whole, normalize, merge (exact only)", "seconds": pandas["seconds"],
         "peak RSS MB": round(pandas["rss"]), "exact": pandas["exact"], "near": "", "planted found": ""},
    ])
    print_table(f"Leakage on a {LEAK_SAMPLE:,}-row training sample: brute force and agreement", _leak_sample(root, train))


if __name__ == "__main__":
    main()

"""Data hygiene on real data: near-duplicate clusters against a brute-force Jaccard, paraphrases,
label conflicts, tagging and retiring through the write path; leakage into training files of
every format, hostile training files, and the CLI's exit codes through the real executable."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import goldset
from goldset.errors import BadInput, CheckFailed, SpecError
from goldset.hygiene import (
    find_leakage,
    find_near_duplicates,
    hygiene_checks,
    leakage_gate,
    lsh_for,
)
from goldset.hygiene._minhash import CHUNK_SHINGLES, MAX_MISS, MAX_MISS_ABOVE, signatures
from goldset.workspace import Workspace

from helpers.clinc import clinc_records, clinc_spec, needs_clinc
from helpers.vcs import dvc, git, goldset_cli
from helpers.workspace import write_spec

# -- an independent reference: the same shingles, computed in Python --------------------------


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).lower()).strip()


def shingles(text: str, kind: str) -> frozenset[str]:
    t = normalize(text)
    tokens = re.findall(r"\w+", t)
    if not tokens:
        return frozenset([t])
    if kind == "word":
        return frozenset(tokens)
    j = " ".join(tokens)
    return frozenset(j[i:i + 3] for i in range(max(1, len(j) - 2)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b)


def brute_force(texts: list[str], kind: str) -> np.ndarray:
    """Every pair's exact Jaccard (an n x n matrix), through a sparse product."""
    import scipy.sparse as sp

    sets = [shingles(t, kind) for t in texts]
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, s in enumerate(sets):
        for x in s:
            rows.append(i)
            cols.append(vocab.setdefault(x, len(vocab)))
    m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sets), len(vocab)))
    inter = (m @ m.T).toarray()
    size = np.array([len(s) for s in sets], dtype=float)
    return inter / (size[:, None] + size[None, :] - inter)


def store_digest(ds: Any) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(ds.path.rglob("*")) if p.is_file()}


def audit_lines(ds: Any) -> list[dict[str, Any]]:
    return [json.loads(x) for x in ds.audit_path.read_text(encoding="utf-8").splitlines()] if ds.audit_path.exists() else []


def pairs_of(report: Any) -> dict[tuple[str, str], Any]:
    return {tuple(sorted((p.a, p.b))): p for c in report.clusters for p in c.pairs}


# -- MinHash ---------------------------------------------------------------------------------


def test_signatures_are_datasketchs_minhash() -> None:
    from datasketch import MinHash

    rng = np.random.default_rng(14)
    sets = [rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64) for n in (1, 5, 40, CHUNK_SHINGLES + 7, 3)]
    offsets = np.r_[0, np.cumsum([len(s) for s in sets])].astype(np.int64)
    sig = signatures(np.concatenate(sets), offsets)
    for row, values in zip(sig, sets, strict=True):
        m = MinHash(num_perm=128, seed=1, scheme="affine32", hashfunc=lambda v: int(v) & 0xFFFFFFFF)
        m.update_batch(values.tolist())
        assert np.array_equal(m.hashvalues, row)


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
def test_band_layout_bounds_the_misses(threshold: float) -> None:
    lsh = lsh_for(threshold)
    above = min(1.0, threshold + 0.05)
    assert lsh.bands * lsh.rows <= 128 and lsh.bands == 128 // lsh.rows
    assert lsh.miss(threshold) <= MAX_MISS and lsh.miss(above) <= MAX_MISS_ABOVE
    # the most rows per band within the bounds: one more would miss more
    more = type(lsh)(threshold, 128 // (lsh.rows + 1), lsh.rows + 1)
    assert more.miss(threshold) > MAX_MISS or more.miss(above) > MAX_MISS_ABOVE


# -- near-duplicates on CLINC150 against brute force ---------------------------------------------


@pytest.fixture(scope="module")
def clinc_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, list[dict[str, Any]]]:
    """3,000 CLINC150 rows whose shingle sets (word and char) are all distinct."""
    records = clinc_records()
    random.Random(14).shuffle(records)
    seen: set[frozenset[str]] = set()
    sample = []
    for r in records:
        keys = {shingles(r["input"], "word"), shingles(r["input"], "char")}
        if keys & seen:
            continue
        seen |= keys
        sample.append({k: v for k, v in r.items() if k != "split"} | {"scenarios": [r["scenarios"]]})
        if len(sample) == 3000:
            break
    root = tmp_path_factory.mktemp("hygiene-clinc") / "ws"
    root.mkdir()
    (root / "goldset.yaml").write_text(clinc_spec(), encoding="utf-8")
    ws = Workspace.open(root, user="tester@example.com")
    goldset.add(ws.dataset(), sample)
    return ws, sample


@needs_clinc
@pytest.mark.clinc
@pytest.mark.parametrize("kind", ["word", "char"])
@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_clusters_match_brute_force_on_clinc(clinc_sample: Any, kind: str, threshold: float) -> None:
    ws, sample = clinc_sample
    ids = [r["id"] for r in sample]
    jac = brute_force([r["input"] for r in sample], kind)
    truth = {(ids[i], ids[j]) if ids[i] < ids[j] else (ids[j], ids[i]): float(jac[i, j])
             for i, j in zip(*np.nonzero(np.triu(jac >= threshold, 1)), strict=True)}
    assert len(truth) >= 15, "the sample must hold near-duplicates to compare"

    report = find_near_duplicates(ws.dataset(), threshold=threshold, shingles=kind)  # type: ignore[arg-type]
    found = pairs_of(report)
    # no false pair: every reported pair is at or above the threshold, its Jaccard exact
    assert set(found) <= set(truth)
    for key, p in found.items():
        assert p.exact == pytest.approx(truth[key], abs=1e-12)
        assert abs(p.estimated - p.exact) < 0.25
    # every pair 0.05 above the threshold is found; below that, misses stay within the bound
    missed = set(truth) - set(found)
    assert not [k for k in missed if truth[k] >= threshold + 0.05]
    near = [k for k in truth if truth[k] < threshold + 0.05]
    assert len(missed) <= 1 + 3 * MAX_MISS * len(near)
    # clusters are the connected components of the pairs, and hold the right examples
    by_id = {r["id"]: r for r in sample}
    for c in report.clusters:
        members = {m.id for m in c.members}
        assert {x for p in c.pairs for x in (p.a, p.b)} == members
        assert all(by_id[m.id]["expected"] == m.expected for m in c.members)
        positives = {by_id[i]["expected"] for i in members if by_id[i]["polarity"] == "positive"}
        assert c.label_conflict == (len(positives) > 1)
    assert report.duplicates == len({x for k in found for x in k})
    assert report.examples == 3000


# -- paraphrases, conflicts, scope -------------------------------------------------------------

PARAPHRASES = [
    {"id": "reset-1", "input": "how do i reset my password", "expected": "reset_flow", "scenarios": ["greeting"]},
    {"id": "reset-2", "input": "How can I reset my password?", "expected": "reset_flow", "scenarios": ["greeting"]},
    {"id": "reset-3", "input": "  HOW do I reset my password??  ", "expected": "reset_flow", "scenarios": ["greeting"]},
    {"id": "typo-1", "input": "i want to cancel my subscription today", "expected": "cancel_flow", "scenarios": ["cancel_order"]},
    {"id": "typo-2", "input": "i want to cancel my subscripton today", "expected": "cancel_flow", "scenarios": ["cancel_order"]},
    {"id": "slot-1", "input": "will i be charged if i use my card in dublin", "expected": "fees", "scenarios": ["refund_request"]},
    {"id": "slot-2", "input": "will i be charged if i use my card in china", "expected": "fees", "scenarios": ["refund_request"]},
    {"id": "other", "input": "what is the weather like on mars", "expected": "decline", "scenarios": ["greeting"]},
]


def rep_pairs(found: dict[tuple[str, str], Any], text: dict[str, str], kind: str) -> set[tuple[str, str]]:
    """Found pairs between distinct shingle sets, each set named by its first id: examples with
    identical shingles are listed once (the first to each other one)."""
    rep: dict[frozenset[str], str] = {}
    for i in sorted(text):
        rep.setdefault(shingles(text[i], kind), i)
    out = {tuple(sorted((rep[shingles(text[a], kind)], rep[shingles(text[b], kind)]))) for a, b in found}
    return {p for p in out if p[0] != p[1]}


@pytest.mark.parametrize("kind", ["word", "char"])
def test_hand_made_paraphrases(bare_ws: Workspace, kind: str) -> None:
    ds = bare_ws.dataset()
    goldset.add(ds, PARAPHRASES)
    text = {r["id"]: r["input"] for r in PARAPHRASES}

    def j(a: str, b: str) -> float:
        return jaccard(shingles(text[a], kind), shingles(text[b], kind))

    # case, punctuation and spacing do not count: identical shingles at any threshold
    assert j("reset-1", "reset-3") == 1.0
    # a reworded question: 5 words of 7 in common; 20 of 29 three-letter pieces
    assert j("reset-1", "reset-2") == pytest.approx(5 / 7 if kind == "word" else 20 / 29)
    # which shingles suit which paraphrase: char pieces survive a typo, words a slot fill
    if kind == "char":
        assert j("typo-1", "typo-2") >= 0.8 > j("slot-1", "slot-2")
    else:
        assert j("slot-1", "slot-2") >= 0.8 > j("typo-1", "typo-2")
    for threshold in (0.65, 0.8):
        report = find_near_duplicates(ds, threshold=threshold, shingles=kind)  # type: ignore[arg-type]
        found = pairs_of(report)
        assert all(p.exact == pytest.approx(j(*k)) for k, p in found.items())
        assert ("reset-1", "reset-3") in found
        expected = {k for k in [("reset-1", "reset-2"), ("typo-1", "typo-2"), ("slot-1", "slot-2")] if j(*k) >= threshold}
        assert rep_pairs(found, text, kind) == expected, (threshold, sorted(found))
        clustered = {m.id for c in report.clusters for m in c.members}
        assert "other" not in clustered and {"reset-1", "reset-2", "reset-3"} & clustered


def test_label_conflicts_are_positives_that_disagree(bare_ws: Workspace) -> None:
    ds = bare_ws.dataset()
    goldset.add(ds, [
        {"id": "a1", "input": "please cancel my order right now", "expected": "cancel_flow"},
        {"id": "a2", "input": "cancel my order right now please", "expected": "refund_flow"},
        {"id": "b1", "input": "give me the refund of someone else", "expected": "refund_flow"},
        {"id": "b2", "input": "give me the refund of someone else!", "expected": "decline", "polarity": "negative"},
        {"id": "c1", "input": "where is my parcel today", "expected": "track"},
        {"id": "c2", "input": "where is my parcel today?", "expected": "track"},
    ])
    report = find_near_duplicates(ds)
    clusters = {frozenset(m.id for m in c.members): c for c in report.clusters}
    assert set(clusters) == {frozenset({"a1", "a2"}), frozenset({"b1", "b2"}), frozenset({"c1", "c2"})}
    conflict = clusters[frozenset({"a1", "a2"})]
    assert conflict.label_conflict and conflict.labels == {"cancel_flow": 1, "refund_flow": 1}
    assert report.clusters[0] is conflict  # conflicts first
    assert not clusters[frozenset({"b1", "b2"})].label_conflict  # a negative may share a positive's input
    assert not clusters[frozenset({"c1", "c2"})].label_conflict
    assert report.label_conflicts == 1


def test_scope_within_pairs_only_examples_sharing_a_scenario(bare_ws: Workspace) -> None:
    ds = bare_ws.dataset()
    goldset.add(ds, [
        {"id": "x1", "input": "i need help with my order", "scenarios": ["cancel_order"]},
        {"id": "x2", "input": "I need help with my order!", "scenarios": ["refund_request"]},
        {"id": "x3", "input": "i need help with my order", "scenarios": ["greeting", "refund_request"]},
        {"id": "y1", "input": "no scenario at all here"},
        {"id": "y2", "input": "no scenario at all here."},
    ])
    across = find_near_duplicates(ds, scope="across-scenarios")
    assert [sorted(m.id for m in c.members) for c in across.clusters] == [["x1", "x2", "x3"], ["y1", "y2"]]
    within = find_near_duplicates(ds, scope="within")
    assert sorted(sorted(m.id for m in c.members) for c in within.clusters) == [["x2", "x3"], ["y1", "y2"]]


def test_many_identical_copies_make_one_cluster_not_a_quadratic_list(bare_ws: Workspace) -> None:
    ds = bare_ws.dataset()
    goldset.add(ds, [{"id": f"hi-{i:03d}", "input": "Hi there!" if i % 2 else "hi  THERE"} for i in range(400)]
                + [{"id": "bye", "input": "bye there"}])
    report = find_near_duplicates(ds, threshold=0.3)
    assert [c.size for c in report.clusters] == [401]
    pairs = report.clusters[0].pairs  # a star over the 400 copies, and "bye" (1 word of 3) to the first
    assert len(pairs) == 400
    assert sorted(p.exact for p in pairs) == [pytest.approx(1 / 3)] + [1.0] * 399
    assert [(p.a, p.b) for p in pairs if p.exact < 1] == [("bye", "hi-000")]
    assert report.pairs == 1 and report.duplicates == 401


# -- acting on clusters through the write path -----------------------------------------------------


def test_tag_edge_case_is_an_audited_tag_and_a_dry_run_writes_nothing(bare_ws: Workspace) -> None:
    ds = bare_ws.dataset()
    goldset.add(ds, PARAPHRASES)
    with pytest.raises(BadInput, match=r"edge case 'near_duplicate' is not in .*goldset edge-case add near_duplicate"):
        find_near_duplicates(ds, tag_edge_case="near_duplicate")
    goldset.add_edge_case(ds, "near_duplicate", "Near-duplicate of another example")
    ds = Workspace.open(bare_ws.root).dataset()
    before, lines = store_digest(ds), audit_lines(ds)
    members = {"reset-1", "reset-3", "slot-1", "slot-2"}  # word shingles at 0.8: 1.0 and 9/11
    dry = find_near_duplicates(ds, tag_edge_case="near_duplicate", dry_run=True)
    assert {m.id for c in dry.clusters for m in c.members} == members
    assert dry.tagged is not None and dry.tagged.dry_run and dry.tagged.updated == 4
    assert store_digest(ds) == before and audit_lines(ds) == lines
    done = find_near_duplicates(ds, tag_edge_case="near_duplicate", note="weekly sweep")
    assert done.tagged is not None and not done.tagged.dry_run and done.tagged.updated == 4
    tagged = {r["id"] for r in ds.query("SELECT id FROM examples WHERE list_contains(edge_cases, 'near_duplicate')").to_pylist()}
    assert tagged == members
    last = audit_lines(ds)[-1]
    assert (last["op"], last["user"], last["allowed"]) == ("tag", "tester@example.com", True)
    assert sorted(last["ids"]) == sorted(members) and "weekly sweep" in last["note"]
    assert store_digest(ds) != before


@pytest.mark.parametrize(("keep", "kept"), [("oldest", "reset-1"), ("approved", "reset-3")])
def test_retire_keeps_one_per_cluster(bare_ws: Workspace, keep: str, kept: str) -> None:
    ds = bare_ws.dataset()
    for r in PARAPHRASES[:3]:  # one write each: reset-1 is the oldest
        goldset.add(ds, [{**r, "status": "approved" if r["id"] == "reset-3" else "draft"}])
    goldset.add(ds, PARAPHRASES[3:])
    before, lines = store_digest(ds), audit_lines(ds)
    dry = find_near_duplicates(ds, threshold=0.7, retire=True, keep=keep, dry_run=True)  # type: ignore[arg-type]
    # reset-1..3 (5/7 and 1.0), typo-1/2 (6/8), slot-1/2 (9/11); the last two imported together
    assert sorted((c.keep, c.retire) for c in dry.clusters) == sorted([
        (kept, sorted({"reset-1", "reset-2", "reset-3"} - {kept})), ("slot-1", ["slot-2"]), ("typo-1", ["typo-2"])])
    assert dry.retired is not None and dry.retired.dry_run and dry.retired.updated == 4
    assert store_digest(ds) == before and audit_lines(ds) == lines
    find_near_duplicates(ds, threshold=0.7, retire=True, keep=keep)  # type: ignore[arg-type]
    status = {r["id"]: r["status"] for r in ds.query("SELECT id, status FROM examples WHERE id LIKE 'reset%'").to_pylist()}
    assert [i for i, s in status.items() if s != "retired"] == [kept]
    last = audit_lines(ds)[-1]
    assert (last["op"], last["user"]) == ("retire", "tester@example.com")
    assert sorted(last["ids"]) == sorted({"reset-1", "reset-2", "reset-3", "slot-2", "typo-2"} - {kept})
    assert find_near_duplicates(ds, threshold=0.7).clusters == []  # retired examples are not compared


# -- leakage ----------------------------------------------------------------------------------------

THRESHOLD = 0.8


@pytest.fixture(scope="module")
def leak_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, list[dict[str, Any]], list[str], dict[str, str]]:
    """400 CLINC150 examples (no two alike), and training rows: 3,000 unrelated texts with 12
    exact copies (case and spacing changed) and 12 paraphrases (a word added) planted.
    Returns the workspace, the examples, the training texts and id -> kind of the planted."""
    records = clinc_records()
    random.Random(7).shuffle(records)
    golden: list[dict[str, Any]] = []
    for r in records:
        s = shingles(r["input"], "word")
        if len(s) >= 8 and "please" not in s and all(jaccard(s, shingles(g["input"], "word")) < 0.5 for g in golden):
            golden.append({k: v for k, v in r.items() if k != "split"} | {"scenarios": [r["scenarios"]],
                                                                          "tier": ("blocking", "standard", "monitor")[len(golden) % 3]})
        if len(golden) == 400:
            break
    root = tmp_path_factory.mktemp("hygiene-leak") / "ws"
    root.mkdir()
    (root / "goldset.yaml").write_text(clinc_spec(), encoding="utf-8")
    ws = Workspace.open(root, user="tester@example.com")
    goldset.add(ws.dataset(), golden)
    rng = random.Random(3)
    texts = [f"unrelated training sentence {i} about {rng.choice(['zebras', 'quarks', 'violins', 'glaciers'])} {i * 7}"
             for i in range(3000)]
    planted: dict[str, str] = {}
    for k, g in enumerate(golden[:24]):
        at = 100 + k * 120
        if k < 12:
            texts[at] = "  " + g["input"].upper().replace(" ", "   ") + " "
            planted[g["id"]] = "exact"
        else:
            texts[at] = g["input"] + " please"
            planted[g["id"]] = "near"
    return ws, golden, texts, planted


def write_train(path: Path, texts: list[str], column: str = "text") -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps({column: t, "label": "x"}) + "\n" for t in texts), encoding="utf-8")
    elif path.suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["label", column])
            w.writerows(["x", t] for t in texts)
    else:
        pq.write_table(pa.table({"label": ["x"] * len(texts), column: texts}), path, row_group_size=700)
    return path


@needs_clinc
@pytest.mark.clinc
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_leakage_finds_exactly_the_planted_examples(leak_ws: Any, tmp_path: Path, suffix: str) -> None:
    ws, golden, texts, planted = leak_ws
    # the reference: brute force over every (example, training row) pair
    gsets = {g["id"]: shingles(g["input"], "word") for g in golden}
    tsets = [shingles(t, "word") for t in texts]
    truth = {gid: "exact" if any(normalize(t) == normalize(g["input"]) for t in texts) else "near"
             for g in golden for gid in [g["id"]] if any(jaccard(gsets[gid], s) >= THRESHOLD for s in tsets)}
    assert truth == planted

    train = write_train(tmp_path / f"train{suffix}", texts)
    report = find_leakage(ws.dataset(), [train], threshold=THRESHOLD, fail_on_tiers=["blocking"])
    assert {m.id: m.kind for m in report.matches} == planted
    assert (report.exact, report.near, report.train_rows, report.examples) == (12, 12, 3000, 400)
    by_id = {g["id"]: g for g in golden}
    for m in report.matches:
        k = list(planted).index(m.id)
        assert m.train_row == 100 + k * 120 + 1 and m.train_text == texts[m.train_row - 1]
        assert m.train_file == str(train)
        if m.kind == "near":
            assert m.jaccard == pytest.approx(jaccard(gsets[m.id], tsets[m.train_row - 1])) and m.near_rows == 1
        else:
            assert m.jaccard == 1.0 and m.exact_rows == 1
    # per scenario and tier counts
    leaked_scenarios: dict[str, list[str]] = {}
    for gid, kind in planted.items():
        leaked_scenarios.setdefault(by_id[gid]["scenarios"][0], []).append(kind)
    got = {c.name: (c.exact, c.near, c.examples) for c in report.by_scenario}
    assert got == {s: (kinds.count("exact"), kinds.count("near"), sum(g["scenarios"] == [s] for g in golden))
                   for s, kinds in leaked_scenarios.items()}
    tiers = {c.name: (c.examples, c.exact, c.near) for c in report.by_tier}
    for tier in ("blocking", "standard", "monitor"):
        ids = [gid for gid in planted if by_id[gid]["tier"] == tier]
        assert tiers[tier] == (sum(g["tier"] == tier for g in golden),
                               sum(planted[i] == "exact" for i in ids), sum(planted[i] == "near" for i in ids))
    # the gate: blocking examples are in the training data
    assert not report.gate_passed
    assert sorted(report.failing) == sorted(i for i in planted if by_id[i]["tier"] == "blocking")
    with pytest.raises(CheckFailed, match=r"example\(s\) of tier blocking appear in the training data") as exc:
        leakage_gate(report)
    assert len(exc.value.problems) == len(report.failing)


def _hostile(tmp: Path) -> list[tuple[str, list[str], dict[str, Any], str]]:
    (tmp / "fake.parquet").write_text('{"text": "hi"}\n', encoding="utf-8")
    (tmp / "fake.jsonl").write_text("text,label\nhello,1\n", encoding="utf-8")
    pq.write_table(pa.table({"text": ["hi"]}), tmp / "really-parquet.csv")
    (tmp / "empty.jsonl").write_bytes(b"")
    (tmp / "header.csv").write_text("text,label\n", encoding="utf-8")
    write_train(tmp / "prompts.csv", ["hello"], column="prompt")
    write_train(tmp / "prompts.jsonl", ["hello"], column="prompt")
    write_train(tmp / "prompts.parquet", ["hello"], column="prompt")
    pq.write_table(pa.table({"text": [1, 2]}), tmp / "numbers.parquet")
    (tmp / "notes.txt").write_text("hello\n", encoding="utf-8")
    (tmp / "utf16.csv").write_bytes("text\nhello\n".encode("utf-16"))
    sql = 'text" FROM read_csv(\'/etc/passwd\'); DROP TABLE examples; --'
    return [
        ("not parquet", ["fake.parquet"], {}, r"fake\.parquet: not a readable Parquet file"),
        ("not jsonl", ["fake.jsonl"], {}, r"fake\.jsonl: not a readable JSON Lines file"),
        ("parquet named csv", ["really-parquet.csv"], {}, r"really-parquet\.csv: Parquet, not CSV"),
        ("empty", ["empty.jsonl"], {}, r"empty\.jsonl: the file is empty"),
        ("header only", ["header.csv"], {}, r"header\.csv: holds no rows"),
        ("missing csv column", ["prompts.csv"], {}, r"prompts\.csv: no column 'text' \(columns: 'label', 'prompt'\)"),
        ("missing jsonl key", ["prompts.jsonl"], {}, r"prompts\.jsonl: no row has a text in 'text'"),
        ("missing parquet column", ["prompts.parquet"], {}, r"prompts\.parquet: no column 'text'"),
        ("not text", ["numbers.parquet"], {}, r"numbers\.parquet: column 'text' holds BIGINT, not text"),
        ("unknown format", ["notes.txt"], {}, r"notes\.txt: cannot tell the format"),
        ("utf-16", ["utf16.csv"], {}, r"utf16\.csv: not UTF-8 text"),
        ("sql in a column name", ["prompts.csv"], {"column": sql}, r"no column 'text\" FROM read_csv"),
        ("missing file", ["nowhere.jsonl"], {}, r"nowhere\.jsonl: no such file$"),
    ]


@pytest.mark.parametrize("case", range(13))
def test_hostile_training_files_are_one_bad_input_line(bare_ws: Workspace, tmp_path: Path, case: int) -> None:
    goldset.add(bare_ws.dataset(), [{"id": "g", "input": "hello"}])
    name, files, kwargs, pattern = _hostile(tmp_path)[case]
    with pytest.raises(BadInput, match=pattern) as exc:
        find_leakage(bare_ws.dataset(), [str(tmp_path / f) for f in files], **kwargs)
    assert "\n" not in str(exc.value), name


def test_a_column_named_like_sql_is_just_a_name(bare_ws: Workspace, tmp_path: Path) -> None:
    goldset.add(bare_ws.dataset(), [{"id": "g", "input": "what is the capital of peru"}])
    sql = 'text" FROM examples; DROP TABLE examples; --'
    for suffix in (".csv", ".jsonl", ".parquet"):
        train = write_train(tmp_path / f"t{suffix}", ["nothing to see", "What is the capital of Peru"], column=sql)
        report = find_leakage(bare_ws.dataset(), [train], column=sql)
        assert [(m.id, m.kind, m.train_row) for m in report.matches] == [("g", "exact", 2)], suffix
    assert bare_ws.dataset().count() == 1


# -- the spec's checks and the real executable ------------------------------------------------------

SPEC_CHECKS = """\
    near_duplicates: {threshold: 0.9, severity: error, scope: within}
    leakage: {train: [data/train.jsonl], column: prompt, threshold: 0.8, fail_on_tiers: [blocking]}
"""


def test_spec_keys_and_the_validation_hook(tmp_path: Path) -> None:
    from helpers.workspace import SPEC

    root = tmp_path / "ws"
    root.mkdir()
    write_spec(root, SPEC + SPEC_CHECKS)
    ws = Workspace.open(root)
    ds = ws.dataset()
    goldset.add(ds, [*PARAPHRASES, {"id": "b1", "input": "a blocking example that leaked", "tier": "blocking"}])
    checks = {c.check: c for c in hygiene_checks(ds)}
    dupes, leak = checks["near_duplicates"], checks["leakage"]
    assert not dupes.success and dupes.severity == "error" and dupes.unexpected_count == 2
    assert {o.id for o in dupes.offenders} == {"reset-1", "reset-3"}  # 0.9: identical shingles only
    assert not leak.success and leak.exception is not None and "data/train.jsonl: no such file" in leak.exception
    (root / "data").mkdir()
    write_train(root / "data" / "train.jsonl", ["A blocking example that LEAKED", "how do i reset my password"], column="prompt")
    leak = {c.check: c for c in hygiene_checks(ds)}["leakage"]
    assert not leak.success and leak.severity == "error" and [o.id for o in leak.offenders] == ["b1"]
    assert leak.observed_value == {"exact": 2, "near": 0, "train_rows": 2}  # reset-1 leaked too, a standard one
    assert leak.problems() and leak.problems()[0].startswith("leakage (error): 1 example(s): b1")
    bad = SPEC.replace("    tiers: [blocking, standard, monitor]\n", "    tiers: [blocking, standard, monitor]\n    leakage: {train: [x.csv], fail_on_tiers: [gold]}\n")
    write_spec(root, bad)
    with pytest.raises(SpecError, match=r"leakage\.fail_on_tiers: unknown tier 'gold'"):
        Workspace.open(root).spec  # noqa: B018


def test_cli_exit_codes_and_a_dvc_tracked_training_file(git_ws: Workspace) -> None:
    root = git_ws.root
    goldset.add(git_ws.dataset(), [
        {"id": "b1", "input": "a blocking example that leaked", "tier": "blocking"},
        {"id": "s1", "input": "a standard example that leaked", "tier": "standard"},
        {"id": "c1", "input": "nothing like the training data"},
    ])
    (root / "data").mkdir()
    write_train(root / "data" / "train.jsonl", ["an unrelated sentence", "A  STANDARD example that leaked"], column="prompt")
    dvc(root, "add", "data/train.jsonl")
    assert "train.jsonl" in (root / "data" / ".gitignore").read_text()
    spec = (root / "goldset.yaml").read_text(encoding="utf-8")
    (root / "goldset.yaml").write_text(spec + "    leakage: {train: [data/train.jsonl], column: prompt, fail_on_tiers: [blocking]}\n",
                                       encoding="utf-8")
    clean = goldset_cli(root, "leakage", "-f", "json")
    assert clean.returncode == 0, clean.stderr
    out = json.loads(clean.stdout)
    assert [(m["id"], m["kind"]) for m in out["matches"]] == [("s1", "exact")] and out["gate_passed"]
    # the blocking example reaches the training data: the gate fails, exit 1
    write_train(root / "data" / "train.jsonl", ["A BLOCKING example that leaked", "a standard example that leaked"], column="prompt")
    dvc(root, "add", "data/train.jsonl")
    gate = goldset_cli(root, "leakage")
    assert gate.returncode == 1, gate.stderr
    assert "gate (no blocking example in the training data): FAILED, 1 example(s)" in gate.stdout
    assert gate.stderr.splitlines()[-2:] == [
        "error: leakage: 1 example(s) of tier blocking appear in the training data",
        "  b1 (blocking, exact, Jaccard 1.00): data/train.jsonl row 1",
    ]
    # a DVC-tracked file that is not checked out: one line saying how to get it, exit 3
    (root / "data" / "train.jsonl").unlink()
    missing = goldset_cli(root, "leakage")
    assert missing.returncode == 3 and missing.stdout == ""
    assert missing.stderr.strip() == ("error: data/train.jsonl: no such file; it is tracked by DVC (train.jsonl.dvc) "
                                      "but not checked out: run 'dvc pull data/train.jsonl'")
    bad = goldset_cli(root, "leakage", str(root / "goldset.yaml"))
    assert bad.returncode == 3 and len(bad.stderr.strip().splitlines()) == 1 and "cannot tell the format" in bad.stderr
    assert "Traceback" not in missing.stderr + bad.stderr
    git(root, "status")  # the workspace is still a sound repository


def test_cli_dupes_json_and_dry_run(git_ws: Workspace) -> None:
    root = git_ws.root
    goldset.add(git_ws.dataset(), PARAPHRASES)
    res = goldset_cli(root, "dupes", "--threshold", "0.7", "-f", "json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert [sorted(m["id"] for m in c["members"]) for c in out["clusters"]] == [
        ["reset-1", "reset-2", "reset-3"], ["slot-1", "slot-2"], ["typo-1", "typo-2"]]
    before = store_digest(git_ws.dataset())
    dry = goldset_cli(root, "dupes", "--threshold", "0.7", "--retire", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "retire all but the oldest of each cluster: would change support-bot: updated 4" in dry.stdout
    assert "dry run: nothing written" in dry.stdout and store_digest(git_ws.dataset()) == before
    assert goldset_cli(root, "dupes", "--keep", "oldest").returncode == 2
    unknown = goldset_cli(root, "dupes", "--tag-edge-case", "near_duplicate")
    assert unknown.returncode == 3 and "goldset edge-case add near_duplicate" in unknown.stderr

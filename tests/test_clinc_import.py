"""CLINC150 acceptance: the real evaluation set imports whole, counts match plain pyarrow, and
the 5 texts that CLINC150 really holds twice are named when ids come from the inputs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers.clinc import clinc_records, clinc_spec, needs_clinc
from helpers.workspace import write_jsonl

pytestmark = [needs_clinc, pytest.mark.clinc]


@pytest.fixture
def clinc_ws(tmp_path: Path) -> Path:
    root = tmp_path / "clinc"
    root.mkdir()
    (root / "goldset.yaml").write_text(clinc_spec(), encoding="utf-8")
    return root


def test_all_rows_import_with_ids_and_counts_match_plain_pyarrow(clinc_ws: Path, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    f = write_jsonl(tmp_path / "clinc.jsonl", clinc_records(with_ids=True))
    res = run_cli("-C", str(clinc_ws), "import", str(f), "--status", "approved", "--format", "json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["added"] == 23_700

    stats = json.loads(run_cli("-C", str(clinc_ws), "stats", "--format", "json").stdout)
    assert stats["rows"] == 23_700
    per = stats["by_scenario"]
    intents = [s for s in per if s != "out_of_scope"]
    assert len(intents) == 150 and all(per[s]["total"] == 150 for s in intents)
    assert per["out_of_scope"] == {"total": 1200, "positive": 0, "negative": 1200, "approved": 1200}
    assert stats["by_polarity"] == {"negative": 1200, "positive": 22_500}

    # Any Parquet reader sees exactly the live rows: plain pyarrow over the *.parquet files.
    files = sorted((clinc_ws / "datasets" / "clinc").glob("*.parquet"))
    table = pq.ParquetDataset(files).read(columns=["id", "scenarios", "polarity", "metadata", "expected"])
    assert table.num_rows == 23_700
    assert len(set(table.column("id").to_pylist())) == 23_700
    counts = Counter(s for row in table.column("scenarios").to_pylist() for s in row)
    assert counts["out_of_scope"] == 1200 and counts["balance"] == 150
    assert Counter(table.column("polarity").to_pylist())["negative"] == 1200
    # the split is kept in metadata; the intent is also the expected label
    splits = Counter(json.loads(m)["split"] for m in table.column("metadata").to_pylist())
    assert splits == {"train": 15_000, "val": 3000, "test": 4500, "oos_train": 100, "oos_val": 100, "oos_test": 1000}
    ids = table.column("id").to_pylist()
    assert table.column("expected").to_pylist()[ids.index("train-0")] == json.loads(
        (Path(__file__).resolve().parents[2] / "shared/data/clinc150/data_full.json").read_text())["train"][0][1]


def test_without_ids_the_five_repeated_texts_are_named(clinc_ws: Path, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    records = clinc_records(with_ids=False)
    repeated = {t for t, n in Counter(r["input"] for r in records).items() if n > 1}
    assert len(repeated) == 5  # what CLINC150 really holds

    f = write_jsonl(tmp_path / "noids.jsonl", records)
    res = run_cli("-C", str(clinc_ws), "import", str(f))
    assert res.exit_code == 3
    assert "5 id(s) occur more than once" in res.stderr
    named = {line.split(": ", 1)[1].strip().strip("'\"") for line in res.stderr.splitlines() if line.startswith("  id ")}
    assert named == repeated
    assert not list((clinc_ws / "datasets" / "clinc").glob("*.parquet"))  # nothing written

    res = run_cli("-C", str(clinc_ws), "import", str(f), "--on-duplicate", "skip", "--format", "json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["added"] == 23_695 and out["skipped"] == 5

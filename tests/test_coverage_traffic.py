"""Reading production traffic files (CSV / JSON, shares / counts) and their bad shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goldset.coverage import parse_traffic, read_traffic
from goldset.errors import BadInput


def test_csv_counts_become_shares() -> None:
    t = parse_traffic("scenario,count\na,30\nb,10\n", "f", "csv")
    assert t.kind == "count" and t.total_count == 40
    assert t.shares == {"a": 0.75, "b": 0.25}


def test_csv_shares_kept_and_may_leave_traffic_unattributed() -> None:
    t = parse_traffic(" scenario , share \na,0.5\nb,0.2\n", "f", "csv")
    assert t.kind == "share" and t.shares == {"a": 0.5, "b": 0.2}
    assert t.attributed == pytest.approx(0.7)


def test_json_shapes(tmp_path: Path) -> None:
    lst = tmp_path / "t.json"
    lst.write_text(json.dumps([{"scenario": "a", "share": 0.4}, {"scenario": "b", "share": 0.6}]))
    assert read_traffic(lst).shares == {"a": 0.4, "b": 0.6}
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"a": 3, "b": 1}))
    t = read_traffic(mapping)
    assert t.kind == "count" and t.shares == {"a": 0.75, "b": 0.25}
    csv_ = tmp_path / "t.csv"
    csv_.write_bytes("\ufeffscenario,count\na,1\n".encode())  # Excel's BOM
    assert read_traffic(csv_).shares == {"a": 1.0}


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("name,count\na,1\n", "csv", "needs a 'scenario' column"),
        ("scenario,share,count\na,1,1\n", "csv", "exactly one of the columns"),
        ("scenario,share\na,0.8\nb,0.5\n", "csv", "shares sum to 1.3"),
        ("scenario,count\na,-1\n", "csv", "must be a finite number >= 0"),
        ("scenario,count\na,many\n", "csv", "'many' is not a number"),
        ("scenario,count\na,1\na,2\n", "csv", "listed twice"),
        ("scenario,count\n,1\n", "csv", "empty scenario"),
        ("scenario,count\na,0\n", "csv", "all counts are zero"),
        ("scenario,count\n", "csv", "no traffic rows"),
        ("[1, 2]", "json", "expected a list of"),
        ("{bad json", "json", "malformed JSON: Expecting property name enclosed in double quotes at column 2"),
        ('{"a": 1,\n "b": }', "json", "malformed JSON: Expecting value at line 2, column 7"),
        ('{"a": true}', "json", "True is not a number"),
    ],
)
def test_bad_traffic_is_one_clear_error(text: str, fmt: str, message: str) -> None:
    with pytest.raises(BadInput, match=r"^f: ") as exc:
        parse_traffic(text, "f", fmt)  # type: ignore[arg-type]
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        read_traffic(tmp_path / "nope.csv")

"""Bad input of every kind: one `error:` line, a documented exit code (docs/cli.md), no
traceback, and the store byte for byte as it was. Values that used to change silently
(big integers, NaN, nested nulls, duplicate keys, overwritten metadata) are now kept exactly
or refused with their line."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import goldset.ingest._readers as readers
from goldset.errors import BadInput
from goldset.ingest import add, import_file
from goldset.ingest._canonical import rows_to_chunk
from goldset.store import BLANK_CHARS, blank_sql, is_blank
from goldset.workspace import Workspace

from helpers.curation import store_bytes


def _deep_row(depth: int, key: str = "m") -> str:
    """A JSONL row nested ``depth`` levels in all: the row object, then lists."""
    inner = depth - 1
    return '{"input": "deep", "' + key + '": ' + "[" * inner + "]" * inner + "}"


@pytest.fixture
def ws(bare_ws: Workspace) -> Workspace:
    """A store holding one row, so "nothing written" is a real byte-for-byte check."""
    add(bare_ws.dataset(), [{"id": "keep", "input": "already here", "metadata": {"k": 1}}])
    return bare_ws


def _refused(res: Any, code: int, fragment: str) -> None:
    """Exit ``code``; stderr is one `error:` line (then indented problem lines); no traceback."""
    out = res.stdout + res.stderr
    assert res.exit_code == code, out
    lines = res.stderr.splitlines()
    assert lines and lines[0].startswith("error: "), res.stderr
    assert sum(line.startswith("error:") for line in lines) == 1, res.stderr
    assert all(line.startswith("  ") for line in lines[1:]), res.stderr
    assert fragment in res.stderr, res.stderr
    assert "Traceback" not in out


def _cli_refused(ws: Workspace, run_cli: Any, args: list[str], code: int, fragment: str) -> None:
    before = store_bytes(ws)
    _refused(run_cli("-C", str(ws.root), *args), code, fragment)
    assert store_bytes(ws) == before


def _import_refused(ws: Workspace, run_cli: Any, path: Path, code: int, fragment: str, *extra: str) -> None:
    _cli_refused(ws, run_cli, ["import", str(path), *extra], code, fragment)


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _meta(ws: Workspace, example_id: str) -> Any:
    row = ws.dataset().get(example_id)
    assert row is not None, example_id
    return row["metadata"]


class _PathSpy:
    """Counts exact-path conversions, to tell which path a block took."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = rows_to_chunk

        def spy(*a: Any, **k: Any) -> Any:
            self.calls += 1
            return real(*a, **k)

        monkeypatch.setattr(readers, "rows_to_chunk", spy)


# -- crashes that are now one line ----------------------------------------------------------
@pytest.mark.parametrize("depth", [65, 1000, 5000])
def test_deep_nesting_is_refused_with_its_line(ws: Workspace, run_cli: Any, tmp_path: Path, depth: int) -> None:
    f = _write(tmp_path / "deep.jsonl", '{"input": "fine"}\n' + _deep_row(depth) + "\n")
    _import_refused(ws, run_cli, f, 3, "line 2: nested deeper than 64 levels")


def test_deep_objects_and_metadata_text_are_refused_too(ws: Workspace, run_cli: Any, tmp_path: Path) -> None:
    objects = '{"input": "deep", "m": ' + '{"a": ' * 3000 + "1" + "}" * 3000 + "}"
    _import_refused(ws, run_cli, _write(tmp_path / "obj.jsonl", objects + "\n"), 3, "line 1: nested deeper than 64 levels")
    # a metadata column holding JSON text (CSV), parsed on the exact path
    deep_text = "{" + '"a": {' * 2000 + "}" * 2001
    csv_text = 'input,metadata\nhello,"' + deep_text.replace('"', '""') + '"\n'
    _import_refused(ws, run_cli, _write(tmp_path / "m.csv", csv_text), 3, "row 1: metadata: not valid JSON (nested deeper than 64 levels)")


def test_nesting_up_to_64_levels_imports_alike_on_both_paths(bare_ws: Workspace, tmp_path: Path) -> None:
    row = json.loads(_deep_row(64))
    fast = _write(tmp_path / "fast.jsonl", json.dumps({**row, "id": "f"}) + "\n")
    exact = _write(tmp_path / "exact.jsonl", json.dumps({**row, "id": "e", "input": "deep too"}) + "\n\n")  # a blank line: exact path
    import_file(bare_ws.dataset(), fast)
    import_file(bare_ws.dataset(), exact)
    assert json.loads(_meta(bare_ws, "f")) == json.loads(_meta(bare_ws, "e")) == {"m": row["m"]}


def _run_goldset(*args: str | bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "goldset", *args], capture_output=True, text=True, timeout=300,
                          errors="replace")


def test_20k_levels_exit_3_in_a_real_process(ws: Workspace, tmp_path: Path) -> None:
    """pyarrow's parser segfaults near 10,000 levels: the line must never reach it."""
    f = _write(tmp_path / "deep.jsonl", '{"input": "fine"}\n' + _deep_row(20_000) + "\n" + '{"input": "also fine"}\n')
    doc = _write(tmp_path / "deep.json", '[\n{"input": "fine"},\n' + _deep_row(20_000) + "\n]\n")
    before = store_bytes(ws)
    for path, fragment in ((f, "line 2: nested deeper than 64 levels"), (doc, "line 3: nested deeper than 64 levels")):
        p = _run_goldset("-C", str(ws.root), "import", str(path))
        assert p.returncode == 3, (p.returncode, p.stderr)  # not -11 (SIGSEGV) nor 1 (a traceback)
        assert "Traceback" not in p.stderr and p.stderr.startswith("error: ") and fragment in p.stderr, p.stderr
    assert store_bytes(ws) == before


def test_parquet_columns_json_lacks_are_stored_as_text(bare_ws: Workspace, tmp_path: Path) -> None:
    t = pa.table({
        "id": ["p1", "p2"],
        "input": ["a parquet row", "another"],
        "at": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), None], pa.timestamp("us", tz="UTC")),
        "at_ns": pa.array([1_700_000_000_123_456_789, None], pa.timestamp("ns")),
        "day": pa.array([dt.date(2024, 1, 2), None]),
        "price": pa.array([Decimal("1.10"), Decimal("-12345678901234567.89")], pa.decimal128(20, 2)),
        "blob": pa.array([b"\x00\xffgold", None], pa.binary()),
        "took": pa.array([dt.timedelta(seconds=90), None], pa.duration("s")),
    })
    pq.write_table(t, tmp_path / "typed.parquet")
    res = import_file(bare_ws.dataset(), tmp_path / "typed.parquet")
    assert res.added == 2
    assert json.loads(_meta(bare_ws, "p1")) == {
        "at": "2024-01-02T03:04:05+00:00",
        "at_ns": "2023-11-14T22:13:20.123456789",
        "blob": base64.b64encode(b"\x00\xffgold").decode(),
        "day": "2024-01-02",
        "price": "1.10",
        "took": 90.0,
    }
    assert json.loads(_meta(bare_ws, "p2")) == {"price": "-12345678901234567.89"}  # exact, not a double


def test_csv_fields_over_128_kib_import_or_are_refused_with_their_row(ws: Workspace, run_cli: Any, tmp_path: Path) -> None:
    big = "x" * (200 << 10)  # Python's csv module stops at 128 KiB unless told otherwise
    # the fast path, and the exact path (a JSON list cell sends the file there)
    ok = _write(tmp_path / "ok.csv", f"id,input,scenarios\nb1,{big},greeting\nb2,small,\"[\"\"greeting\"\"]\"\n")
    assert import_file(ws.dataset(), ok).added == 2
    assert len(ws.dataset().get("b1")["input"]) == len(big)  # type: ignore[index]
    # a bad row next to a big field: the exact path lists the bad row
    bad = _write(tmp_path / "bad.csv", f"id,input\nb3,{big}\nb4,one,two\n")
    _import_refused(ws, run_cli, bad, 3, "row 2: expected 2 fields like the header, got 3")
    # a field beyond what any field may hold: one line with its row, not _csv.Error
    huge = _write(tmp_path / "huge.csv", "id,input\nb5,\"" + "y" * (5 << 20) + "\"\nb6,one,two\n")
    _import_refused(ws, run_cli, huge, 3, "row 1 (line 2): a field longer than 4 MiB")


def test_lone_surrogates_are_refused_naming_the_field(ws: Workspace, run_cli: Any, tmp_path: Path) -> None:
    _import_refused(ws, run_cli, _write(tmp_path / "s1.jsonl", '{"input": "broken \\ud800 escape"}\n'), 3,
                    "line 1: input: not valid Unicode (a lone surrogate \\ud800")
    _import_refused(ws, run_cli, _write(tmp_path / "s2.jsonl", '{"input": "ok", "note": {"deep": "\\udc80"}}\n'), 3,
                    "line 1: note: not valid Unicode")
    _import_refused(ws, run_cli, _write(tmp_path / "s3.jsonl", '{"input": "ok", "scenarios": ["\\udfff"]}\n'), 3,
                    "line 1: scenarios: not valid Unicode")
    with pytest.raises(BadInput, match="record 1: expected: not valid Unicode"):
        add(ws.dataset(), [{"input": "fine", "expected": "bad \ud800"}])


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["add", "\udced\udca0\udc80"], "INPUT: not valid UTF-8 (bytes ed a0 80)"),
        (["add", "fine", "--expected", "a\udcff"], "--expected: not valid UTF-8 (bytes ff)"),
        (["add", "--source=\udcff", "fine"], "--source: not valid UTF-8"),
        (["edit", "keep", "--input", "\udce9t\udce9"], "--input: not valid UTF-8 (bytes e9)"),
        (["tag", "\udcff", "--scenario", "greeting"], "IDS: not valid UTF-8"),
    ],
)
def test_undecodable_arguments_are_refused_naming_the_option(ws: Workspace, run_cli: Any, args: list[str], fragment: str) -> None:
    """Python hands undecodable argv bytes over as lone surrogates (surrogateescape)."""
    _cli_refused(ws, run_cli, args, 3, fragment)


def test_undecodable_argument_in_a_real_process(ws: Workspace) -> None:
    before = store_bytes(ws)
    p = _run_goldset("-C", str(ws.root), "add", b"\xed\xa0\x80")
    assert p.returncode == 3 and p.stderr.startswith("error: INPUT: not valid UTF-8"), p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert store_bytes(ws) == before


@pytest.mark.parametrize("value", ["1e23", "100000000000000000000000", "9223372036854775808", "-1", "ten"])
def test_list_limit_out_of_range_is_a_usage_error(ws: Workspace, run_cli: Any, value: str) -> None:
    _cli_refused(ws, run_cli, ["list", "--limit", value], 2, "--limit")


@pytest.mark.parametrize("sql", ["", "   ", ";"])
def test_empty_query_is_one_line(ws: Workspace, run_cli: Any, sql: str) -> None:
    _cli_refused(ws, run_cli, ["query", sql], 3, "empty SQL")


@pytest.mark.parametrize("since", ["999999999999d", "99999999999999999999999h", "800000d"])
def test_audit_since_too_far_back_is_one_line(ws: Workspace, run_cli: Any, since: str) -> None:
    _cli_refused(ws, run_cli, ["audit", "--since", since], 3, "too far back")
    assert run_cli("-C", str(ws.root), "audit", "--since", "7d").exit_code == 0


@pytest.mark.parametrize("value", ["1e20", "100000000000000000000", "1.0e+20", "36501"])
def test_spec_review_age_is_bounded(ws: Workspace, run_cli: Any, value: str) -> None:
    spec = ws.spec_path.read_text()
    ws.spec_path.write_text(spec.replace("max_review_age_days: 180", f"max_review_age_days: {value}"))
    _cli_refused(ws, run_cli, ["coverage"], 5, "freshness.max_review_age_days")


# -- values kept exactly, or refused ----------------------------------------------------------
BIG = 9007199254740993  # 2**53 + 1: a double rounds it to ...992


@pytest.mark.parametrize(
    ("rows", "fast"),
    [
        ([{"id": "b1", "input": "q1", "n": BIG}], True),  # an int64 column: the fast path
        ([{"id": "b1", "input": "q1", "n": BIG}, {"id": "b2", "input": "q2", "n": 1.5}], False),  # pyarrow: double
        ([{"id": "b1", "input": "q1", "n": BIG, "nested": {"n": BIG}}], True),
        ([{"id": "b1", "input": "q1", "n": 2**64 + 1}], False),  # beyond int64
    ],
)
def test_big_integers_stay_exact(bare_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 rows: list[dict[str, Any]], fast: bool) -> None:
    spy = _PathSpy(monkeypatch)
    text = "".join(json.dumps(r) + "\n" for r in rows)
    import_file(bare_ws.dataset(), _write(tmp_path / "big.jsonl", text))
    assert (spy.calls == 0) is fast
    stored = _meta(bare_ws, "b1")
    assert str(rows[0]["n"]) in stored and json.loads(stored)["n"] == rows[0]["n"]
    # the exact path (a blank line sends the block there) stores the very same text
    import_file(bare_ws.dataset(), _write(tmp_path / "again.jsonl", text + "\n"))  # unchanged: same id, same content
    assert _meta(bare_ws, "b1") == stored


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("NaN", "NaN is not valid JSON"), ("Infinity", "Infinity is not valid JSON"),
     ("-Infinity", "-Infinity is not valid JSON"), ("[1, NaN]", "NaN is not valid JSON"),
     ("1e400", "the number 1e400 is too large for a double")],
)
def test_nan_and_infinity_are_refused(ws: Workspace, run_cli: Any, tmp_path: Path, value: str, fragment: str) -> None:
    f = _write(tmp_path / "nan.jsonl", '{"input": "fine", "score": 1.5}\n{"input": "bad", "score": ' + value + "}\n")
    _import_refused(ws, run_cli, f, 3, f"line 2: {fragment}")


def test_nan_as_text_or_in_words_is_fine_and_fast(bare_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _PathSpy(monkeypatch)
    f = _write(tmp_path / "t.jsonl", '{"id": "t1", "input": "Information about Infinity", "score": "NaN"}\n')
    import_file(bare_ws.dataset(), f)
    assert spy.calls == 0 and json.loads(_meta(bare_ws, "t1")) == {"score": "NaN"}


def test_nan_in_a_parquet_column_is_refused(ws: Workspace, run_cli: Any, tmp_path: Path) -> None:
    pq.write_table(pa.table({"input": ["a", "b"], "score": [0.5, float("nan")]}), tmp_path / "nan.parquet")
    _import_refused(ws, run_cli, tmp_path / "nan.parquet", 3, "row 2: score: NaN or an infinity is not valid JSON")


def test_nested_nulls_are_kept(bare_ws: Workspace, tmp_path: Path) -> None:
    rows = [
        {"id": "n1", "input": "q1", "m": {"a": None, "b": 1}},
        {"id": "n2", "input": "q2", "m": {"b": 2}},  # pyarrow fills "a": null here; it must not appear
        {"id": "n3", "input": "q3", "l": [1, None, {"x": None}]},
        {"id": "n4", "input": "q4", "m": {"b": 3, "c": {"d": None}}, "dropped": None},
    ]
    import_file(bare_ws.dataset(), _write(tmp_path / "nulls.jsonl", "".join(json.dumps(r) + "\n" for r in rows)))
    assert json.loads(_meta(bare_ws, "n1")) == {"m": {"a": None, "b": 1}}
    assert json.loads(_meta(bare_ws, "n2")) == {"m": {"b": 2}}
    assert json.loads(_meta(bare_ws, "n3")) == {"l": [1, None, {"x": None}]}
    assert json.loads(_meta(bare_ws, "n4")) == {"m": {"b": 3, "c": {"d": None}}}  # a top-level null is as absent


def test_a_field_never_overwrites_metadata_silently(ws: Workspace, run_cli: Any, tmp_path: Path) -> None:
    clash = _write(tmp_path / "clash.jsonl", '{"input": "q", "metadata": {"channel": "email"}, "channel": "chat"}\n')
    _import_refused(ws, run_cli, clash, 3, "line 1: channel: metadata also has a key 'channel' with another value")
    # the same value twice loses nothing: accepted, stored once
    same = _write(tmp_path / "same.jsonl", '{"id": "s1", "input": "q", "metadata": {"channel": "chat"}, "channel": "chat"}\n')
    import_file(ws.dataset(), same)
    assert json.loads(_meta(ws, "s1")) == {"channel": "chat"}


@pytest.mark.parametrize(
    ("name", "text", "mapping", "fragment"),
    [
        ("m.jsonl", '{"q": "question", "input": "other"}\n', "q=input", "--map q=input: the file also has a field 'input'"),
        ("m.csv", "q,input\nquestion,other\n", "q=input", "--map q=input: the file also has a field 'input'"),
        ("k.jsonl", '{"input": "x", "c": "1", "channel": "2"}\n', "c=metadata.channel", "--map c=metadata.channel: the file also has a field 'channel'"),
    ],
)
def test_map_onto_a_field_the_file_has_is_a_usage_error(ws: Workspace, run_cli: Any, tmp_path: Path, name: str,
                                                         text: str, mapping: str, fragment: str) -> None:
    _import_refused(ws, run_cli, _write(tmp_path / name, text), 2, fragment, "--map", mapping)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"input": "x", "a": 1, "a": 2}\n', 'line 1: duplicate key "a"'),  # a block the fast path would take
        ('{"input": "x", "a": 1, "a": 2}\n\n', 'line 1: duplicate key "a"'),  # the exact path
        ('{"input": "x", "m": {"b": [{"c": 1, "c": 1}]}}\n', 'line 1: duplicate key "c"'),
        ('{"input": "x", "metadata": "{\\"k\\": 1, \\"k\\": 2}"}\n', 'duplicate key "k"'),
    ],
)
def test_duplicate_keys_are_refused(ws: Workspace, run_cli: Any, tmp_path: Path, text: str, fragment: str) -> None:
    _import_refused(ws, run_cli, _write(tmp_path / "dup.jsonl", text), 3, fragment)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"input": "x", "edge_cases": [null]}\n', "line 1: edge_cases: expected a list of ids"),  # pyarrow: list<null>
        ('{"input": "x", "scenarios": ["greeting", null]}\n', "line 1: scenarios: expected a list of ids"),
        ('\ufeff\ufeff{"input": "x"}\n', "line 1: malformed JSON"),  # a second BOM is not JSON
    ],
)
def test_what_the_exact_path_refuses_the_fast_path_does_not_take(ws: Workspace, run_cli: Any, tmp_path: Path,
                                                                 text: str, fragment: str) -> None:
    _import_refused(ws, run_cli, _write(tmp_path / "f.jsonl", text), 3, fragment)


def test_parquet_with_a_column_twice_is_refused(ws: Workspace, run_cli: Any, tmp_path: Path) -> None:
    table = pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["input", "input"])
    pq.write_table(table, tmp_path / "twice.parquet")
    _import_refused(ws, run_cli, tmp_path / "twice.parquet", 3, "more than one column named 'input'")


def test_duplicate_keys_in_add_and_edit_metadata(ws: Workspace, run_cli: Any) -> None:
    _cli_refused(ws, run_cli, ["add", "fine", "--metadata", '{"a": 1, "a": 2}'], 3, 'metadata: not valid JSON (duplicate key "a")')
    _cli_refused(ws, run_cli, ["edit", "keep", "--metadata", '{"a": 1, "a": 2}'], 3, 'duplicate key "a"')


BLANKS = ["\t", "\u00a0", "\u3000 \u2003", "\u200b", " \r\n\u2028"]


@pytest.mark.parametrize("blank", BLANKS)
def test_whitespace_only_input_is_refused_everywhere_alike(ws: Workspace, run_cli: Any, tmp_path: Path, blank: str) -> None:
    f = _write(tmp_path / "b.jsonl", '{"input": "fine"}\n' + json.dumps({"input": blank}) + "\n")
    _import_refused(ws, run_cli, f, 3, "line 2: input: missing (empty or only whitespace)")
    if "\n" not in blank and "\r" not in blank:
        g = _write(tmp_path / "b.csv", f"input\nfine\n{blank}\n")
        _import_refused(ws, run_cli, g, 3, "row 2: input: missing")
    _cli_refused(ws, run_cli, ["add", blank], 3, "record 1: input: missing")
    _cli_refused(ws, run_cli, ["edit", "keep", "--input", blank], 3, "--input: must not be empty")


def test_one_definition_of_blank_in_python_and_duckdb() -> None:
    import duckdb

    samples = [*BLANK_CHARS, "".join(BLANK_CHARS), "", " a ", "\u00a0x", "\u200bx", "-", "\u180e"]
    in_sql = duckdb.connect().execute(f"SELECT list_transform(?::VARCHAR[], lambda s: {blank_sql('s')})", [samples]).fetchall()[0][0]
    assert in_sql == [is_blank(s) for s in samples]
    assert all(is_blank(c) for c in BLANK_CHARS) and not is_blank("a")


# -- wide rows: linear ------------------------------------------------------------------------
def test_a_row_with_10k_fields_imports_in_linear_time(bare_ws: Workspace, tmp_path: Path) -> None:
    """It took 158 s (DuckDB's json_object is quadratic in its arguments); now ~0.7 s."""
    row: dict[str, Any] = {"id": "wide", "input": "a very wide row"}
    row.update({f"k{i}": i for i in range(10_000)})
    f = _write(tmp_path / "wide.jsonl", json.dumps(row) + "\n")
    t0 = time.perf_counter()
    import_file(bare_ws.dataset(), f)
    took = time.perf_counter() - t0
    meta = json.loads(_meta(bare_ws, "wide"))
    assert len(meta) == 10_000 and meta["k9999"] == 9999
    assert took < 3.0, f"{took:.2f} s for a row of 10,000 fields"


# -- clear messages ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("u16.jsonl", '{"input": "hello"}\n'.encode("utf-16"), "looks like UTF-16 (it starts with a UTF-16 byte-order mark)"),
        ("u16.csv", "input\nhello\n".encode("utf-16"), "looks like UTF-16"),
        ("u16le.jsonl", '{"input": "hello"}\n'.encode("utf-16-le"), "looks like UTF-16 (it holds NUL bytes)"),
        ("semi.csv", "id;input;expected\n1;hello;x\n", "looks like ';'-delimited (the header is one column, 'id;input;expected')"),
        ("tab.csv", "id\tinput\n1\thello\n", "looks like tab-delimited"),
    ],
)
def test_wrong_encoding_or_delimiter_says_so(ws: Workspace, run_cli: Any, tmp_path: Path, name: str,
                                             content: str | bytes, fragment: str) -> None:
    _import_refused(ws, run_cli, _write(tmp_path / name, content), 3, fragment)


def test_a_pretty_printed_json_file_is_read_as_a_document(ws: Workspace, run_cli: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    array = [{"id": "j1", "input": "first"}, {"id": "j2", "input": "second", "tags": {"a": 1}}]
    f = _write(tmp_path / "pretty.json", json.dumps(array, indent=2))
    assert import_file(ws.dataset(), f).added == 2
    assert json.loads(_meta(ws, "j2")) == {"tags": {"a": 1}}
    one = _write(tmp_path / "one.json", json.dumps({"id": "j3", "input": "alone"}, indent=2))
    assert import_file(ws.dataset(), one).added == 1
    # a bad item is named by the line it starts on, once (not one error per line)
    bad = _write(tmp_path / "bad.json", '[\n  {"input": "ok"},\n  {\n    "expected": "no input"\n  }\n]\n')
    _import_refused(ws, run_cli, bad, 3, "line 3: input: missing")
    broken = _write(tmp_path / "broken.json", '[\n  {"input": "ok"}\n  {"input": "no comma"}\n]\n')
    _import_refused(ws, run_cli, broken, 3, "line 3: expected ',' or ']' between the items of the array")
    monkeypatch.setattr(readers, "MAX_JSON_DOCUMENT_BYTES", 10)
    _import_refused(ws, run_cli, f, 3, "this is a JSON document (an array or a multi-line object), not JSON Lines")


def test_where_cut_by_a_comment_says_so(ws: Workspace, run_cli: Any) -> None:
    _cli_refused(ws, run_cli, ["list", "--where", "true --"], 3, "'--' at character 6 starts an SQL comment")
    _cli_refused(ws, run_cli, ["tag", "--where", "true /* all */", "--scenario", "greeting"], 3, "starts an SQL comment")
    # inside quotes it is text
    res = run_cli("-C", str(ws.root), "list", "--where", "input <> 'a--b' AND expected IS NULL", "-f", "jsonl")
    assert res.exit_code == 0 and json.loads(res.stdout)["id"] == "keep"


def test_an_empty_where_is_refused_not_ignored(ws: Workspace, run_cli: Any) -> None:
    _cli_refused(ws, run_cli, ["list", "--where", ""], 3, "--where: empty predicate")


def test_where_unknown_column_names_the_columns(ws: Workspace, run_cli: Any) -> None:
    _cli_refused(ws, run_cli, ["list", "--where", "inputs ILIKE '%x%'"], 3,
                 "--where: no column 'inputs' in the examples; the columns are id, input, expected")


def test_spec_that_is_a_directory_says_so(tmp_path: Path, run_cli: Any) -> None:
    (tmp_path / "ws" / "goldset.yaml").mkdir(parents=True)
    _refused(run_cli("-C", str(tmp_path / "ws"), "stats"), 5, "goldset.yaml is a directory, not the spec file")


def test_tag_tells_no_match_from_already_tagged(ws: Workspace, run_cli: Any) -> None:
    C = ("-C", str(ws.root))
    before = store_bytes(ws)
    res = run_cli(*C, "tag", "--where", "input = 'nothing like this'", "--scenario", "greeting")
    assert res.exit_code == 0 and "no row matches --where; nothing to do" in res.stdout, res.stdout
    assert store_bytes(ws) == before
    assert "updated 1" in run_cli(*C, "tag", "--where", "id = 'keep'", "--scenario", "greeting").stdout
    before = store_bytes(ws)
    res = run_cli(*C, "tag", "--where", "id = 'keep'", "--scenario", "greeting")
    assert res.exit_code == 0 and "the 1 matching row(s) are all tagged so already; nothing to do" in res.stdout, res.stdout
    assert store_bytes(ws) == before
    as_json = json.loads(run_cli(*C, "tag", "keep", "--scenario", "greeting", "-f", "json").stdout)
    assert (as_json["matched"], as_json["updated"], as_json["unchanged"]) == (1, 0, 1)



@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.binary(max_size=64),
    st.text(max_size=32).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from([b"a", b"\xc3\xa9", b"\xed\xa0\x80", b"\xf0\x9f\x98\x80", b"\xc3", b"\xff", b"\n"]),
             max_size=12).map(b"".join),
))
def test_the_fast_utf8_check_agrees_with_python(data: bytes) -> None:
    """The reader checks a block with Arrow's UTF-8 validator (fast, no GIL) before pyarrow
    parses it; it must refuse exactly what ``bytes.decode`` refuses, lone surrogates included,
    or a bad byte would slip past the exact path's line-numbered error."""
    try:
        data.decode("utf-8")
        expected = True
    except UnicodeDecodeError:
        expected = False
    assert readers._valid_utf8(data) is expected

"""``goldset run add``: read a system's outputs over the golden set, match them to examples,
score them, and keep them as a run.

Everything happens in DuckDB: the file is read (JSONL, JSON, CSV or Parquet), its columns are
mapped and typed, rows are matched by ``id`` (or by the input, through the input hash), checked
(duplicate, unknown, ambiguous ids; values that are not numbers), joined with the examples the
store holds at that moment, scored, and written as one Parquet file. Any problem stops the add
with one line before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from goldset.errors import BadInput, DuplicateIds, UsageError
from goldset.runs import _files as files
from goldset.runs._files import RunInfo
from goldset.runs._score import score
from goldset.store import db, input_hash_sql
from goldset.workspace import guarding, head_commit

if TYPE_CHECKING:
    import duckdb

    from goldset.workspace import Dataset

#: The fields a run file may carry, and the SQL type each is read as.
FIELDS: dict[str, str] = {
    "id": "VARCHAR", "input": "VARCHAR", "output": "VARCHAR", "passed": "BOOLEAN", "score": "DOUBLE",
    "grader": "VARCHAR", "latency_ms": "DOUBLE", "cost_usd": "DOUBLE", "error": "VARCHAR",
}
#: Fields that are amounts: a negative one is an error.
_NOT_NEGATIVE = ("latency_ms", "cost_usd")
_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_SHOWN = 10

#: The columns of a run file, in order.
RUN_COLUMNS = ("id", "counted", "answered", "fingerprint", "expected", "polarity", "scenarios",
               "edge_cases", "tier", "output", "passed", "score", "grader", "scored_by", "latency_ms",
               "cost_usd", "error")


def fingerprint_sql(t: str = "") -> str:
    """What a run's verdict on an example depends on (``t``: the examples' table alias and a
    dot); a change of it since the run makes the run stale for that example. Only counted
    examples have one: whether an example counts is the other half of staleness."""
    return (f"md5(concat_ws(chr(31), {t}input, coalesce({t}expected, chr(30)), {t}polarity, "
            f"array_to_string({t}scenarios, chr(29)), array_to_string({t}edge_cases, chr(29)), {t}tier))")


def _shown(values: list[str], total: int) -> str:
    text = ", ".join(repr(v) for v in values[:_SHOWN])
    return text + (f" ... ({total:,} in all)" if total > _SHOWN else "")


def _read(con: duckdb.DuckDBPyConnection, path: Path, fmt: str | None) -> None:
    """The file as table ``raw`` with its row number (1-based: the Nth record of the file)."""
    import duckdb

    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if not path.is_file():
        raise BadInput(f"{path}: not a regular file (a directory, a pipe or a device); give the run's file")
    kind = fmt or _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UsageError(f"{path}: cannot tell the format from the extension; give the format (jsonl, json, csv, parquet)")
    reader = {
        "jsonl": "read_json({p}, format = 'newline_delimited', sample_size = -1)",
        "json": "read_json({p}, format = 'auto', sample_size = -1)",
        "csv": "read_csv({p}, header = true, all_varchar = true)",
        "parquet": "read_parquet({p})",
    }.get(kind)
    if reader is None:
        raise UsageError(f"format {kind!r} is not one of jsonl, json, csv, parquet")
    if path.stat().st_size == 0:
        raise BadInput(f"{path}: the file is empty; a run needs one row per example it answered")
    try:
        con.execute(f"CREATE TEMP TABLE raw AS SELECT row_number() OVER () AS _row, * FROM {reader.format(p=db.sql_str(str(path)))}")
    except duckdb.Error as exc:
        # DuckDB's own message may span lines and name the wrong one: find the bad line here.
        where = _first_bad_line(path, kind)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(f"{path}: not a readable {kind} file: {where or first[:300]}") from None
    if kind == "csv":
        # A ragged CSV defeats DuckDB's dialect sniffer, which then reads one column named
        # like the header line: name the row that does not fit instead.
        cols = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE raw)").fetchall() if r[0] != "_row"]
        if len(cols) == 1 and (where := _first_bad_line(path, kind)):
            raise BadInput(f"{path}: not a readable csv file: {where}")
    rows = con.execute("SELECT count(*) FROM raw").fetchone()
    if not rows or not rows[0]:
        raise BadInput(f"{path}: no rows; a run needs one row per example it answered")


def _first_bad_line(path: Path, kind: str) -> str | None:
    """'line N: why' for the first line of a JSONL or CSV file that does not parse (the error
    path only: it reads the file in Python)."""
    import csv
    import json

    try:
        with open(path, encoding="utf-8", newline="") as f:
            if kind == "jsonl":
                for n, line in enumerate(f, 1):
                    if line.strip():
                        try:
                            value = json.loads(line)
                        except json.JSONDecodeError as exc:
                            return f"line {n}: not valid JSON ({exc.msg})"
                        try:  # Python accepts a lone surrogate escape (\ud800); text may not hold one
                            json.dumps(value, ensure_ascii=False).encode("utf-8")
                        except UnicodeEncodeError:
                            return f"line {n}: a string holds a lone surrogate escape (not valid Unicode text)"
            elif kind == "csv":
                reader = csv.reader(f, strict=True)
                header = next(reader, None)
                for row in reader:
                    if header is not None and row and len(row) != len(header):
                        return f"line {reader.line_num}: {len(row)} field(s), the header has {len(header)}"
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except csv.Error as exc:
        return f"line {reader.line_num}: {exc}"
    return None


def _typed(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping[str, str]) -> set[str]:
    """Table ``given``: the mapped fields, typed; a value of the wrong type is an error naming
    its row. Returns the fields the file has."""
    cols = {r[0]: r[1] for r in con.execute("SELECT column_name, column_type FROM (DESCRIBE raw)").fetchall()}
    if bad := sorted(set(mapping) - set(FIELDS)):
        raise UsageError(f"--map: unknown field(s) {', '.join(map(repr, bad))}; fields are {', '.join(FIELDS)}")
    source = {f: mapping.get(f, f) for f in FIELDS}
    if missing := sorted(f for f, c in mapping.items() if c not in cols):
        raise BadInput(f"{path}: no column {mapping[missing[0]]!r} for --map {missing[0]}={mapping[missing[0]]} "
                       f"(columns: {', '.join(c for c in cols if c != '_row')})")
    present = {f for f, c in source.items() if c in cols and c != "_row"}
    if "output" not in present and "passed" not in present and "score" not in present:
        raise BadInput(f"{path}: no 'output' column (columns: {', '.join(c for c in cols if c != '_row')}); "
                       "name yours with --map output=COLUMN")
    if "id" not in present and "input" not in present:
        raise BadInput(f"{path}: rows need an example 'id' (or the 'input', matched by its hash); "
                       "name the column with --map id=COLUMN")
    select = ["_row"]
    for field, sql_type in FIELDS.items():
        if field not in present:
            select.append(f"CAST(NULL AS {sql_type}) AS {field}")
            continue
        col, ctype = '"' + source[field].replace('"', '""') + '"', cols[source[field]]
        if ctype == '"NULL"':  # no row has a value: as if the column were absent
            select.append(f"CAST(NULL AS {sql_type}) AS {field}")
            continue
        if sql_type == "VARCHAR":
            if ctype == "VARCHAR":
                text = col
            elif ctype == "JSON":
                text = f"json_extract_string({col}, '$')"
            elif field == "id" and ctype not in ("BIGINT", "INTEGER", "UBIGINT", "HUGEINT", "SMALLINT", "TINYINT"):
                raise BadInput(f"{path}: column {source[field]!r} (the id) holds {ctype} values, not text")
            else:  # a number, or structured output (a JSON object): its JSON text
                text = f"CASE WHEN {col} IS NULL THEN NULL ELSE CAST(to_json({col}) AS VARCHAR) END"
            select.append(f"{text} AS {field}")
            continue
        # A number or a boolean: TRY_CAST, then refuse any value that did not convert.
        cast = f"TRY_CAST({col} AS {sql_type})"
        checks, what = [f"{cast} IS NOT NULL"], "true or false"
        if sql_type == "DOUBLE":
            checks.append(f"isfinite({cast})")
            what = "a number"
        if field in _NOT_NEGATIVE:
            checks.append(f"{cast} >= 0")
            what = "a number >= 0"
        ok = f"({col} IS NULL OR ({' AND '.join(checks)}))"
        wrong = con.execute(f"SELECT _row, CAST({col} AS VARCHAR) FROM raw WHERE NOT {ok} ORDER BY _row LIMIT 1").fetchone()
        if wrong is not None:
            total = con.execute(f"SELECT count(*) FROM raw WHERE NOT {ok}").fetchone()
            more = f" (and {total[0] - 1:,} more rows)" if total and total[0] > 1 else ""
            raise BadInput(f"{path}: row {wrong[0]}: {field} {str(wrong[1])[:60]!r} is not {what}{more}; nothing was added")
        select.append(f"{cast} AS {field}")
    con.execute(f"CREATE TEMP TABLE given AS SELECT {', '.join(select)} FROM raw")
    return present


def _match(con: duckdb.DuckDBPyConnection, path: Path, present: set[str], skip_unknown: bool) -> int:
    """Give every row of ``given`` its example id (``example``); refuse duplicate and unknown
    ids. Returns the number of unknown rows skipped."""
    if "id" in present:
        blank = con.execute("SELECT _row FROM given WHERE id IS NULL OR trim(id) = '' ORDER BY _row LIMIT 1").fetchone()
        if blank is not None and "input" not in present:
            raise BadInput(f"{path}: row {blank[0]}: no id; every row needs the example's id")
    if "input" in present:
        ambiguous = con.execute(f"""
            SELECT g._row, list(e.id ORDER BY e.id)[:3] FROM given g JOIN examples e ON e.input_hash = {input_hash_sql('g.input')}
            WHERE g.id IS NULL GROUP BY g._row HAVING count(*) > 1 ORDER BY g._row LIMIT 1""").fetchone()
        if ambiguous is not None:
            raise BadInput(f"{path}: row {ambiguous[0]}: its input matches several examples ({', '.join(ambiguous[1])}); "
                           "give the example id")
        con.execute(f"""UPDATE given SET id = e.id FROM examples e
                        WHERE given.id IS NULL AND given.input IS NOT NULL AND e.input_hash = {input_hash_sql('given.input')}""")
    # The cheap question first: listing the rows of every id costs a list per id of a 1M-row file.
    twice = con.execute("SELECT count(id) > count(DISTINCT id) FROM given").fetchone()
    dupes = [] if not (twice and twice[0]) else con.execute(
        """SELECT id, list(_row ORDER BY _row)[:3] FROM given WHERE id IS NOT NULL GROUP BY id
           HAVING count(*) > 1 ORDER BY min(_row)""").fetchall()
    if dupes:
        shown = "; ".join(f"{i!r} (rows {', '.join(map(str, rows))})" for i, rows in dupes[:_SHOWN])
        raise DuplicateIds(f"{path}: {len(dupes):,} example id(s) appear more than once: {shown}; "
                           "a run has one output per example")
    unknown = con.execute("""SELECT coalesce(g.id, '(input) ' || left(g.input, 40)), g._row FROM given g
                             ANTI JOIN examples e ON e.id = g.id ORDER BY g._row""").fetchall()
    if unknown and not skip_unknown:
        # BadInput (400), not UnknownId (404): the file is wrong, not the route.
        raise BadInput(f"{path}: {len(unknown):,} row(s) name no example of the dataset: "
                        f"{_shown([u[0] for u in unknown], len(unknown))}; "
                        "fix them, or drop them with --skip-unknown")
    if unknown:
        con.execute("DELETE FROM given g WHERE NOT EXISTS (SELECT 1 FROM examples e WHERE e.id = g.id)")
    return len(unknown)


def add_run(
    ds: Dataset,
    path: Path | str,
    name: str,
    *,
    model: str | None = None,
    params: Mapping[str, str] | None = None,
    mapping: Mapping[str, str] | None = None,
    fmt: str | None = None,
    skip_unknown: bool = False,
    partial: bool = False,
    replace: bool = False,
) -> RunInfo:
    """Add the outputs in ``path`` as run ``name`` of ``ds``, evaluated on the store as it is now.
    ``replace``: a run of that name is replaced (atomically, once the new one is complete)."""
    path = Path(path)
    files.check_run_name(name)
    ws = ds.workspace
    dest = files.run_path(ws, ds.name, name)
    files.check_present(ws, ds.name)
    spec = ds.spec
    priorities = {sid: sc.priority for sid, sc in spec.scenarios.items()}
    with guarding(ds, "runs", op="run-add", lock=files.lock_name(ds.name)) as g:
        if dest.exists() and not replace:
            raise UsageError(f"run {name!r} already exists in dataset {ds.name!r}; pick another name, "
                             f"or replace it with --replace")
        replaced = dest.exists()
        con = db.connect()
        tmp = files.tmp_path(ws)
        try:
            with ds.store.pinned() as (manifest, parts):
                ds.checked_out(manifest)
                db.create_examples_view(con, parts)
                _read(con, path, fmt)
                present = _typed(con, path, dict(mapping or {}))
                skipped = _match(con, path, present, skip_unknown)
                counted = db.sql_list(list(spec.count_status))
                # Every example the file answers, and every counted example it does not.
                con.execute(f"""
                    CREATE TEMP TABLE run AS
                    SELECT e.id, e.status IN {counted} AS counted, g.id IS NOT NULL AS answered,
                           -- only counted rows are ever compared (staleness, compare)
                           CASE WHEN e.status IN {counted} THEN {fingerprint_sql("e.")} END AS fingerprint,
                           e.expected, e.polarity, e.scenarios, e.edge_cases, e.tier,
                           g.output, g.passed, g.score, g.grader, CAST(NULL AS VARCHAR) AS scored_by,
                           g.latency_ms, g.cost_usd,
                           CASE WHEN g.id IS NULL THEN 'no output' ELSE g.error END AS error
                    FROM examples e LEFT JOIN given g ON g.id = e.id
                    WHERE g.id IS NOT NULL OR e.status IN {counted}""")
            # Not answered: a failure ("no output"), or left out of a partial run.
            con.execute(f"""UPDATE run SET passed = {'NULL' if partial else 'false'}, scored_by = 'no output'
                            WHERE NOT answered""")
            con.execute("UPDATE run SET passed = false, scored_by = 'no output' WHERE answered AND output IS NULL AND passed IS NULL AND score IS NULL")
            score(con, "run", spec.scoring, priorities, ws.root)
            totals = con.execute("""SELECT count(*), count(*) FILTER (counted), count(*) FILTER (counted AND answered),
                                           count(*) FILTER (counted AND passed) FROM run""").fetchone()
            assert totals is not None
            by = dict(con.execute("SELECT scored_by, count(*) FROM run GROUP BY 1 ORDER BY 1").fetchall())
            info = RunInfo(
                name=name, dataset=ds.name, model=model, params=dict(params or {}), source=path.name,
                added_by=ws.user, added_at=datetime.now(UTC), data=manifest.digest, version=manifest.version,
                base=manifest.base, commit=head_commit(ws.root), rows=totals[0], counted=totals[1],
                answered=totals[2], passed=totals[3], skipped_unknown=skipped, partial=partial,
                scored_by={str(k): int(v) for k, v in by.items()},
            )
            meta = info.model_dump_json().replace("'", "''")
            con.execute(f"""COPY (SELECT {', '.join(RUN_COLUMNS)} FROM run)
                            TO {db.sql_str(str(tmp))} (FORMAT parquet, COMPRESSION zstd,
                            KV_METADATA {{'{files.META_KEY.decode()}': '{meta}'}})""")
            files.publish(tmp, dest)
            stage = files.ensure_launch_stage(ws, ds.name)
        finally:
            con.close()
            tmp.unlink(missing_ok=True)
        g.rows = info.rows
        g.detail = {"run": name, "model": model, "data": info.data, "counted": info.counted,
                    "passed": info.passed, "skipped_unknown": skipped, "replaced": replaced}
        if stage:
            g.detail["dvc_stage_added"] = stage
    return info


def remove_run(ds: Dataset, name: str) -> RunInfo:
    """Delete run ``name`` (its file; a snapshot records the removal)."""
    with guarding(ds, "runs", op="run-remove", lock=files.lock_name(ds.name)) as g:
        info, path = files.find_run(ds, name)
        path.unlink()
        g.detail = {"run": name, "data": info.data}
        g.rows = info.rows
    return info

"""Scoring a run's outputs against the golden ``expected``, in DuckDB.

Each built-in scorer but ``json`` is one SQL expression "the output matches expected" (NULL-safe:
no output never matches); ``json`` parses both sides in Python, so equal values written
differently (key order, ``1`` and ``1.0``) match. A negative example passes when its output
matches (``negatives: required``, the expected behaviour such as a refusal label) or when it
does not (``forbidden``, an answer the model must not give). A Python callable
``module:function`` scores the rows that use it, in Python, one call per row (imported afresh
each time, so an edited scorer counts); an exception in it stops the add with one line naming
the example. A row that arrives with ``passed`` keeps it; one with only a ``score`` passes at
the scorer's ``pass_score``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldset.errors import BadInput, SpecError
from goldset.spec import Scorer, Scoring
from goldset.store import db, normalize_sql

if TYPE_CHECKING:
    import duckdb

#: Priority order of scenarios when an example's scenarios have different scorers.
_PRIORITY_RANK = {"P0": 0, "P1": 1, "P2": 2}
#: The methods scored by one SQL expression; ``json`` is scored in Python (JSON values compare
#: as values: key order and 1 vs 1.0 do not matter, which no DuckDB JSON function offers).
_SQL_METHODS = ("exact", "normalized", "label", "contains", "regex", "numeric")
#: The characters a label is trimmed of (SQL): space, tab, newline, carriage return, vertical
#: tab, form feed.
_WHITESPACE = "' ' || chr(9) || chr(10) || chr(13) || chr(11) || chr(12)"


def _labels(col: str, sep: str) -> str:
    # A JSON array of strings is a label list; else the separator splits the text. Labels are
    # compared trimmed and case-folded, as sets.
    split = (f"CASE WHEN json_valid({col}) AND json_type({col}) = 'ARRAY' "
             f"THEN CAST(json_extract_string({col}, '$[*]') AS VARCHAR[]) ELSE string_split({col}, {db.sql_str(sep)}) END")
    return (f"list_sort(list_distinct(list_filter(list_transform({split}, lambda x: lower(trim(x, {_WHITESPACE}))), "
            "lambda x: x IS NOT NULL AND x <> '')))")


def json_match(output: str, expected: str, keys: list[str] | None) -> bool:
    """Whether JSON object ``output`` has the values of JSON object ``expected`` at ``keys``
    (default: every key of ``expected``); text that is not a JSON object never matches."""
    try:
        o, e = json.loads(output), json.loads(expected)
    except (ValueError, RecursionError):
        return False
    if not isinstance(o, dict) or not isinstance(e, dict):
        return False
    return all(k in o and k in e and _same_json(o[k], e[k]) for k in (keys or list(e)))


def _json_scorer(keys: list[str] | None) -> Callable[[str, str, object], bool]:
    return lambda output, expected, _example: json_match(output, expected, keys)


def _same_json(a: object, b: object) -> bool:
    """JSON equality: objects by keys and values, arrays in order, numbers by value (1 == 1.0)
    but never a boolean for a number (Python's True == 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def match_sql(scorer: Scorer, o: str = "output", e: str = "expected") -> str:
    """SQL: whether output ``o`` matches expected ``e`` under a built-in ``scorer``."""
    m = scorer.method
    if m == "exact":
        expr = f"{o} = {e}"
    elif m == "normalized":
        expr = f"{normalize_sql(o)} = {normalize_sql(e)}"
    elif m == "label":
        expr = f"{_labels(o, scorer.separator)} = {_labels(e, scorer.separator)}"
    elif m == "contains":
        expr = f"contains(lower({o}), lower({e}))" if scorer.ignore_case else f"contains({o}, {e})"
    elif m == "regex":
        expr = f"regexp_matches({o}, {e}, 'i')" if scorer.ignore_case else f"regexp_matches({o}, {e})"
    elif m == "numeric":
        on, en = f"TRY_CAST(trim({o}) AS DOUBLE)", f"TRY_CAST(trim({e}) AS DOUBLE)"
        allowed = f"{scorer.tolerance!r} * abs({en})" if scorer.relative else repr(scorer.tolerance)
        expr = f"abs({on} - {en}) <= {allowed}"
    else:
        raise AssertionError(m)
    return f"coalesce({o} IS NOT NULL AND {e} IS NOT NULL AND ({expr}), false)"


def _passed_sql(scorer: Scorer) -> str:
    match = match_sql(scorer)
    if scorer.negatives == "forbidden":
        # No output is a failure either way; else a negative passes when it does not match.
        return f"(CASE WHEN output IS NULL THEN false WHEN polarity = 'negative' THEN NOT {match} ELSE {match} END)"
    return match


def scorer_keys(scoring: Scoring, priorities: Mapping[str, str]) -> list[tuple[str, int]]:
    """(scenario, rank) of the scenarios with their own scorer: the lowest rank wins a row."""
    ordered = sorted(scoring.scenarios, key=lambda s: (_PRIORITY_RANK.get(priorities.get(s, "P2"), 3), s))
    return [(s, i) for i, s in enumerate(ordered)]


def score(con: duckdb.DuckDBPyConnection, table: str, scoring: Scoring, priorities: Mapping[str, str], root: Path) -> None:
    """Fill ``passed``, ``score`` and ``scored_by`` of ``table`` where ``passed`` is NULL.

    ``table`` has id, answered, output, expected, polarity, scenarios, edge_cases, tier and the
    given passed/score; rows not answered are left as they are."""
    keys = scorer_keys(scoring, priorities)
    con.execute(f"ALTER TABLE {table} ADD COLUMN scorer VARCHAR")
    if keys:
        con.execute("CREATE TEMP TABLE _scorer_rank (scenario VARCHAR, rank INTEGER)")
        con.executemany("INSERT INTO _scorer_rank VALUES (?, ?)", keys)
        con.execute(f"""
            UPDATE {table} SET scorer = k.scenario FROM (
                SELECT id, arg_min(r.scenario, r.rank) AS scenario
                FROM (SELECT id, unnest(scenarios) AS s FROM {table}) u JOIN _scorer_rank r ON r.scenario = u.s
                GROUP BY id) k
            WHERE {table}.id = k.id""")
    scorers: dict[str | None, Scorer] = {None: scoring.for_scenario(None)}
    scorers.update({s: scoring.for_scenario(s) for s, _ in keys})

    # A row graded elsewhere: its passed stands; a score alone passes at pass_score.
    con.execute(f"UPDATE {table} SET scored_by = 'given' WHERE passed IS NOT NULL AND scored_by IS NULL")
    for key, scorer in scorers.items():
        where = "scorer IS NULL" if key is None else f"scorer = {db.sql_str(key)}"
        rows = f"passed IS NULL AND answered AND {where}"
        with_score = con.execute(f"SELECT count(*) FROM {table} WHERE {rows} AND score IS NOT NULL").fetchone()
        if with_score and with_score[0]:
            if scorer.pass_score is None:
                raise SpecError(
                    f"{with_score[0]:,} row(s) carry a score but no 'passed'; say which score passes with "
                    f"scoring{'' if key is None else '.scenarios.' + repr(key)}.pass_score in goldset.yaml, or give 'passed'"
                )
            con.execute(f"UPDATE {table} SET passed = score >= {scorer.pass_score!r}, "
                        f"scored_by = 'score>={scorer.pass_score!r}' WHERE {rows} AND score IS NOT NULL")
        if scorer.method in _SQL_METHODS:
            _score_sql(con, table, rows, scorer)
        elif scorer.method == "json":
            _score_rows(con, table, rows, scorer, _json_scorer(scorer.keys))
        else:
            _score_rows(con, table, rows, scorer, load_callable(scorer.method, root))


def _score_sql(con: duckdb.DuckDBPyConnection, table: str, rows: str, scorer: Scorer) -> None:
    import duckdb

    try:
        con.execute(f"UPDATE {table} SET passed = {_passed_sql(scorer)}, scored_by = {db.sql_str(scorer.method)} WHERE {rows}")
    except duckdb.InvalidInputException as exc:
        if scorer.method != "regex":
            raise BadInput(f"scoring ({scorer.method}) failed: {str(exc).splitlines()[0]}") from None
        bad = _bad_pattern(con, table, rows)
        raise BadInput(f"example {bad!r}: its expected is not a valid regular expression (RE2 syntax), "
                       "so the regex scorer cannot use it; fix the label or use another scorer") from None


def _bad_pattern(con: duckdb.DuckDBPyConnection, table: str, rows: str) -> str:
    import duckdb

    for example_id, pattern in con.execute(f"SELECT id, expected FROM {table} WHERE {rows} AND expected IS NOT NULL").fetchall():
        try:
            con.execute("SELECT regexp_matches('', ?)", [pattern])
        except duckdb.Error:
            return str(example_id)
    return "?"


def load_callable(spec: str, root: Path) -> Callable[..., Any]:
    """Import ``module:function`` with the workspace on the path (its own scorers module)."""
    module, _, name = spec.partition(":")
    here = str(root)
    added = here not in sys.path
    _forget_team_module(module.partition(".")[0])
    if added:
        sys.path.insert(0, here)
    try:
        try:
            fn = getattr(importlib.import_module(module), name)
        except ModuleNotFoundError as exc:
            raise SpecError(f"scoring method {spec!r}: no module {exc.name!r} (looked in {root} and the environment)") from None
        except AttributeError:
            raise SpecError(f"scoring method {spec!r}: module {module!r} has no {name!r}") from None
        except Exception as exc:  # the team's own module failed to import: say which, in one line
            raise SpecError(f"scoring method {spec!r}: importing {module!r} failed: {_one_line(exc)}") from None
    finally:
        if added:
            sys.path.remove(here)
    if not callable(fn):
        raise SpecError(f"scoring method {spec!r}: {name!r} is not callable")
    return fn  # type: ignore[no-any-return]


def _forget_team_module(top: str) -> None:
    """Drop a team's module imported by an earlier call (from this workspace or another), so this
    call runs the code as it is now, as a new process would: a module counts as the team's when
    the directory it was imported from is not on ``sys.path`` (an installed or standard module
    is, and stays imported)."""
    loaded = sys.modules.get(top)
    if loaded is None:
        return
    origin = getattr(loaded, "__file__", None)
    if origin is None:
        return
    source = Path(origin).resolve().parent
    if Path(origin).name == "__init__.py":
        source = source.parent
    on_path = set()
    for entry in sys.path:
        with contextlib.suppress(OSError):
            on_path.add(Path(entry or ".").resolve())
    if source in on_path:
        return
    for key in [k for k in sys.modules if k == top or k.startswith(top + ".")]:
        del sys.modules[key]
    importlib.invalidate_caches()


def _one_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` of an exception raised by the team's code, on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:limit]}{'...' if len(text) > limit else ''}"


def _score_rows(con: duckdb.DuckDBPyConnection, table: str, rows: str, scorer: Scorer, fn: Callable[..., Any]) -> None:
    """Score ``rows`` in Python, one ``fn(output, expected, example)`` call per row: a bool is
    the verdict, a number a score that passes at ``pass_score``."""
    import numbers

    import pyarrow as pa

    cur = con.execute(f"SELECT id, output, expected, polarity, scenarios, edge_cases, tier FROM {table} WHERE {rows}")
    cols = [d[0] for d in cur.description or ()]
    ids: list[str] = []
    verdicts: list[bool] = []
    scores: list[float | None] = []
    for row in cur.fetchall():
        example = dict(zip(cols, row, strict=True))
        output, expected = example["output"], example["expected"]
        if output is None or (expected is None and scorer.method == "json"):
            match, num = False, None
        else:
            try:
                value = fn(output, expected, example)
            except Exception as exc:
                raise BadInput(f"scorer {scorer.method} failed on example {example['id']!r}: {_one_line(exc)}") from None
            if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", None) == "b":  # numpy's bool_
                match, num = bool(value), None
            elif isinstance(value, numbers.Real):
                if scorer.pass_score is None:
                    raise SpecError(f"scorer {scorer.method} returns a number; set its pass_score in goldset.yaml")
                num = float(value)
                if not math.isfinite(num):
                    raise BadInput(f"scorer {scorer.method} returned {num} for example {example['id']!r}; "
                                   "a score must be a finite number")
                match = num >= scorer.pass_score
            else:
                raise BadInput(f"scorer {scorer.method} returned {type(value).__name__} for example {example['id']!r}; "
                               "it must return a bool (passed) or a number (a score)")
        # No output fails in either mode; a forbidden negative passes when it does not match.
        forbidden = scorer.negatives == "forbidden" and example["polarity"] == "negative" and output is not None
        ids.append(example["id"])
        verdicts.append(not match if forbidden else match)
        scores.append(num)
    if ids:
        called = pa.table({"id": pa.array(ids, pa.string()), "passed": pa.array(verdicts, pa.bool_()),
                           "score": pa.array(scores, pa.float64())})
        con.register("_called", called)
        try:
            con.execute(f"""UPDATE {table} SET passed = c.passed, score = coalesce({table}.score, c.score),
                            scored_by = {db.sql_str(scorer.method)} FROM _called c WHERE {table}.id = c.id""")
        finally:
            con.unregister("_called")

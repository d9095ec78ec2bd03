"""Property test: random sequences of add / update / import / remove against the store equal a
plain dict model, and the live parts never hold an id twice. The model: an update changes only
the fields the input gives (expected None leaves it), and removed ids stay removed."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldset.errors import DuplicateIds
from goldset.ingest import add, import_file
from goldset.store import db
from goldset.workspace import Workspace

from helpers.store import rewrite
from helpers.workspace import SPEC, write_jsonl

IDS = st.sampled_from([f"e{i}" for i in range(12)])
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(lambda s: s.strip())
SCEN = st.lists(st.sampled_from(["refund_request", "cancel_order", "greeting"]), max_size=3)
RECORD = st.fixed_dictionaries({"id": IDS, "input": TEXT, "expected": st.none() | TEXT, "scenarios": SCEN})
OP = st.one_of(
    st.tuples(st.just("add"), st.lists(RECORD, min_size=1, max_size=5), st.sampled_from(["error", "skip", "update"])),
    st.tuples(st.just("import"), st.lists(RECORD, min_size=1, max_size=5), st.sampled_from(["error", "skip", "update"])),
    st.tuples(st.just("update"), st.lists(IDS, min_size=1, max_size=4), TEXT),
    st.tuples(st.just("remove"), st.lists(IDS, min_size=1, max_size=3), st.none()),
)


def _content(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["input"], r["expected"], tuple(sorted(set(r["scenarios"]))))


def _differs(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """A stored row differs from an incoming one in a field the input gives (expected None: not given)."""
    return old[0] != new[0] or (new[1] is not None and old[1] != new[1]) or old[2] != new[2]


def _merged(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    """An update changes only the fields the input gives."""
    return (new[0], old[1] if new[1] is None else new[1], new[2])


def _apply_model(model: dict[str, tuple[Any, ...]], removed: set[str], op: str, arg: Any, extra: Any) -> None:
    if op in ("add", "import"):
        first: dict[str, tuple[Any, ...]] = {}
        conflict = False
        for r in arg:
            c = _content(r)
            if r["id"] in first and first[r["id"]] != c:
                conflict = True
                if extra == "update":
                    first[r["id"]] = c
            else:
                first.setdefault(r["id"], c)
        against = any(i in model and _differs(model[i], c) for i, c in first.items())
        revived = any(i not in model and i in removed for i in first)  # removed ids stay removed
        if (conflict or against or revived) and extra == "error":
            raise DuplicateIds("model")
        for i, c in first.items():
            if i not in model and i not in removed:
                model[i] = c
            elif i in model and extra == "update":
                model[i] = _merged(model[i], c)
    elif op == "update":
        for i in arg:
            if i in model:
                model[i] = (model[i][0], extra, model[i][2])
    else:
        for i in arg:
            if model.pop(i, None) is not None:
                removed.add(i)


def _apply_store(ws: Workspace, tmp: Path, op: str, arg: Any, extra: Any) -> None:
    ds = ws.dataset()
    if op == "add":
        add(ds, arg, on_duplicate=extra)
    elif op == "import":
        import_file(ds, write_jsonl(tmp / "batch.jsonl", arg), on_duplicate=extra)
    else:
        con = db.connect()
        con.execute("CREATE TEMP TABLE _ids AS SELECT unnest(?::VARCHAR[]) AS id", [list(arg)])
        assignments = None if op == "remove" else {"expected": db.sql_str(extra)}
        rewrite(ds, con, "id IN (SELECT id FROM _ids)", assignments, op=op)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OP, min_size=1, max_size=6))
def test_store_equals_dict_model(ops: list[tuple[str, Any, Any]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "goldset.yaml").write_text(SPEC, encoding="utf-8")
        ws = Workspace.open(root, user="prop@example.com")
        model: dict[str, tuple[Any, ...]] = {}
        removed: set[str] = set()
        for op, arg, extra in ops:
            expect_error = False
            trial, trial_removed = dict(model), set(removed)
            try:
                _apply_model(trial, trial_removed, op, arg, extra)
            except DuplicateIds:
                expect_error = True
            try:
                _apply_store(ws, root, op, arg, extra)
                assert not expect_error, f"{op} should have been refused"
                model, removed = trial, trial_removed
            except DuplicateIds:
                assert expect_error, f"{op} refused unexpectedly"
            rows = ws.dataset().query("SELECT id, input, expected, scenarios FROM examples").to_pylist()
            ids = [r["id"] for r in rows]
            assert len(ids) == len(set(ids)), "an id lives in two parts"
            assert {r["id"]: _content(r) for r in rows} == model
            assert ws.dataset().manifest().rows == len(model)

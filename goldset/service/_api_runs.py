"""Model runs over the golden set (``goldset run``, ``goldset launch``): list, show, report,
compare, launch, and add (a streamed upload) or remove.

Thin over :mod:`goldset.runs` and :func:`goldset.validation.launch`: the library checks the run
name, the role (``runs``: eng, research), takes the runs' lock and writes the audit line; its
errors become HTTP statuses in ``_app`` (a stale run's ``StaleRun`` is 409).
"""

from __future__ import annotations

import shutil
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from goldset.errors import UsageError
from goldset.runs import (
    Comparison,
    RunInfo,
    RunReport,
    add_run,
    compare_runs,
    find_run,
    list_runs,
    remove_run,
    run_report,
)
from goldset.service._api_common import WRITE, Ds
from goldset.service._api_upload import FILE_FIELD, receive_form
from goldset.validation import LaunchReport, launch
from goldset.workspace import admit

RunName = Annotated[str, PathParam(max_length=200, description="a run's name (letters, digits, '.', '-', '_')")]
#: The text fields a run upload may carry beside the file.
RUN_FIELDS = ("name", "model", "params", "map", "format", "skip_unknown", "partial")
#: Parts a run upload may have: the file, the CSRF token, the fields, repeated params and maps.
MAX_RUN_PARTS = 80
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})

RUN_UPLOAD_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [FILE_FIELD, "name"],
            "properties": {
                FILE_FIELD: {"type": "string", "format": "binary",
                             "description": "the system's outputs: .jsonl, .json, .csv or .parquet (the suffix gives the format)"},
                "name": {"type": "string", "description": "the run's name"},
                "model": {"type": "string", "description": "the model or system evaluated"},
                "params": {"type": "array", "items": {"type": "string"}, "description": "repeated KEY=VALUE: the run's parameters"},
                "map": {"type": "array", "items": {"type": "string"},
                        "description": "repeated FIELD=COLUMN: the file's column for a run field (id, input, output, passed, score, ...)"},
                "format": {"type": "string", "enum": ["jsonl", "json", "csv", "parquet"], "description": "default: from the file name"},
                "skip_unknown": {"type": "boolean", "description": "drop rows that name no example of the dataset"},
                "partial": {"type": "boolean", "description": "counted examples without an output are left out, not failures"},
            },
        }}},
    },
    "responses": {"413": {"description": "the file is larger than the server accepts (goldset serve --max-upload-mb); nothing written"}},
}


def _one(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name, [])
    if len(values) > 1:
        raise UsageError(f"field {name!r} given {len(values)} times: give it once")
    return values[0] if values else None


def _flag(fields: dict[str, list[str]], name: str) -> bool:
    value = (_one(fields, name) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise UsageError(f"field {name!r}: {value[:40]!r} is not true or false")


def _pairs(fields: dict[str, list[str]], name: str, shape: str) -> dict[str, str]:
    """Repeated ``KEY=VALUE`` fields as a mapping; a malformed or repeated key is a 400."""
    out: dict[str, str] = {}
    for item in fields.get(name, []):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"field {name!r}: {item[:60]!r} is not {shape}")
        if key in out:
            raise UsageError(f"field {name!r}: {key[:60]!r} given twice")
        out[key] = value
    return out


def add_routes(r: APIRouter) -> None:
    @r.get("/datasets/{dataset}/runs")
    def runs(ds: Ds) -> list[RunInfo]:
        """Every run of the dataset, oldest first (``goldset run list``)."""
        return list_runs(ds)

    # Before /runs/{name}: "compare" here is the comparison, never a run's name.
    @r.get("/datasets/{dataset}/runs/compare")
    def compare(
        ds: Ds,
        a: Annotated[str, Query(max_length=200, description="the baseline run")],
        b: Annotated[str, Query(max_length=200, description="the run compared with it")],
    ) -> Comparison:
        """Run ``b`` against run ``a`` on the examples both evaluated, per scenario, with
        McNemar's exact test and Holm's correction (``goldset run compare``)."""
        return compare_runs(ds, a, b)

    @r.get("/datasets/{dataset}/runs/{name}")
    def run(ds: Ds, name: RunName) -> RunInfo:
        """One run's record: model, parameters, the data it was evaluated on, its totals."""
        return find_run(ds, name)[0]

    @r.get("/datasets/{dataset}/runs/{name}/report")
    def report(ds: Ds, name: RunName) -> RunReport:
        """The run per scenario, tier, edge case and polarity with 95% intervals, judged
        against the launch bar, and whether the golden set changed since (``goldset run report``)."""
        return run_report(ds, name)

    @r.get("/datasets/{dataset}/runs/{name}/launch")
    def launch_verdict(
        ds: Ds,
        name: RunName,
        allow_stale: Annotated[bool, Query(description="accept a run evaluated on other data than the store holds now")] = False,
        sample: Annotated[int, Query(ge=0, le=1000, description="offending values listed per failed expectation")] = 20,
    ) -> LaunchReport:
        """May this model ship: validation, the coverage gate and the run's launch bar, on the
        data as it is now (``goldset launch``). A stale run is 409 unless ``allow_stale``; a
        refusal is in the report (``passed``, ``failures``), not an error status."""
        return launch(ds, name, allow_stale=allow_stale, sample=sample)

    @r.post("/datasets/{dataset}/runs", dependencies=WRITE, status_code=201, openapi_extra=RUN_UPLOAD_OPENAPI)
    async def add(request: Request, ds: Ds) -> RunInfo:
        """Add a run: the system's outputs as multipart field ``file``, with the fields ``name``
        and optionally ``model``, ``params`` (repeated KEY=VALUE), ``map`` (repeated
        FIELD=COLUMN), ``format``, ``skip_unknown``, ``partial`` (``goldset run add``). The
        upload is streamed to a temporary file (413 past ``--max-upload-mb``, nothing written)."""
        await run_in_threadpool(admit, ds, "runs")  # refuse (and audit) before taking in the file
        received = await receive_form(request, request.app.state.config.max_upload_bytes, RUN_FIELDS, MAX_RUN_PARTS)
        try:
            fields = received.fields
            name = _one(fields, "name")
            if not name:
                raise UsageError("field 'name': the run needs a name")
            fmt = _one(fields, "format") or None
            model = _one(fields, "model") or None
            params = _pairs(fields, "params", "KEY=VALUE")
            mapping = _pairs(fields, "map", "FIELD=COLUMN")
            skip_unknown, partial = _flag(fields, "skip_unknown"), _flag(fields, "partial")
            return await run_in_threadpool(
                lambda: add_run(ds, received.path, name, model=model, params=params, mapping=mapping, fmt=fmt,
                                skip_unknown=skip_unknown, partial=partial))
        finally:
            shutil.rmtree(received.path.parent, ignore_errors=True)

    @r.delete("/datasets/{dataset}/runs/{name}", dependencies=WRITE)
    def remove(ds: Ds, name: RunName) -> RunInfo:
        """Delete a run (``goldset run remove``); returns its record."""
        return remove_run(ds, name)

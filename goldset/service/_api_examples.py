"""Examples: list (keyset pages), show (with history), add, import (a streamed upload), edit,
tag and review."""

from __future__ import annotations

import json
import shutil
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from goldset.curation import TagChange, TagResult, edit, review, tag
from goldset.ingest import ImportPlan, ImportResult, add, import_file
from goldset.query import ExamplePage, Filters, HistoryEntry, example_history, page_examples, show
from goldset.service._api_common import WRITE, Ds, RequestModel
from goldset.service._api_upload import UPLOAD_OPENAPI, receive_upload
from goldset.vocab import OnDuplicate, Polarity, Status
from goldset.workspace import WriteResult, admit

#: Largest page (the library's limit).
MAX_PAGE = 500
ExampleId = Annotated[str, PathParam(description="the example's id (may contain '/')")]


class NewExample(BaseModel):
    """One example to add: the fields of an import row. Fields not listed here go into the
    example's metadata, as in an imported file."""

    model_config = ConfigDict(extra="allow")

    input: str
    id: str | int | None = Field(default=None, description="default: derived from the normalized input")
    expected: str | None = None
    scenarios: list[str] = Field(default_factory=list)
    edge_cases: list[str] = Field(default_factory=list)
    tier: str | None = Field(default=None, description="default: the spec's default_tier")
    polarity: Polarity | None = Field(default=None, description="default: positive")
    status: Status | None = Field(default=None, description="default: draft; approved needs the review right")
    source: str | None = Field(default=None, description="where it came from (production, expert, ...); default: unknown")
    metadata: dict[str, Any] | str | None = Field(default=None, description="a JSON object (or its text)")


class AddRequest(RequestModel):
    examples: list[NewExample] = Field(min_length=1, max_length=10_000)
    on_duplicate: OnDuplicate = Field(default="error", description="an id already stored with other content: error, skip or update")
    keep_approval: bool = Field(default=False, description="updated approved examples stay approved (review right)")
    restore_removed: bool = Field(default=False, description="add back ids that were removed")


class EditRequest(RequestModel):
    """Fields of one example's content to change; the others stay as they are."""

    input: str | None = None
    expected: str | None = None
    source: str | None = None
    metadata: dict[str, Any] | str | None = Field(default=None, description="replaces the old metadata: a JSON object (or its text)")
    note: str | None = Field(default=None, max_length=2000, description="why (kept in the audit log)")
    keep_approval: bool = Field(default=False, description="an approved example stays approved (review right)")


class _Targets(RequestModel):
    ids: list[str] = Field(default_factory=list, max_length=100_000, description="example ids (every one must exist)")
    where: str | None = Field(default=None, description="a sandboxed DuckDB predicate; with ids: ids that also match")
    note: str | None = Field(default=None, max_length=2000, description="why (kept in the audit log)")
    dry_run: bool = Field(default=False, description="count (and sample) what would change; write nothing")


class TagRequest(_Targets, TagChange):
    """The rows (``ids`` and/or ``where``) and the change (the fields of ``TagChange``)."""

    model_config = ConfigDict(extra="forbid")

    keep_approval: bool = Field(default=False, description="with polarity: approved examples stay approved (review right)")


class ReviewRequest(_Targets):
    action: Literal["approve", "reject", "retire"]


class ExampleDetail(BaseModel):
    example: dict[str, Any]
    #: The audit log's entries about it, oldest first.
    history: list[HistoryEntry]


def _metadata_text(value: dict[str, Any] | str | None) -> str | None:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value


def add_routes(r: APIRouter) -> None:
    @r.get("/datasets/{dataset}/examples")
    def list_examples(
        ds: Ds,
        scenario: Annotated[list[str] | None, Query(description="any of these scenarios (repeatable)")] = None,
        edge_case: Annotated[list[str] | None, Query(description="any of these edge cases (repeatable)")] = None,
        tier: Annotated[list[str] | None, Query(description="any of these tiers (repeatable)")] = None,
        status: Annotated[list[Status] | None, Query(description="any of these statuses (repeatable)")] = None,
        polarity: Polarity | None = None,
        q: Annotated[str | None, Query(max_length=500, description="words, each in the input or the expected (case-insensitive)")] = None,
        where: Annotated[str | None, Query(description="a sandboxed DuckDB predicate over the example columns")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        after: Annotated[str | None, Query(max_length=2000, description="the `next` cursor of the previous page")] = None,
    ) -> ExamplePage:
        """One page of the examples that pass the filters, oldest first; ``total`` counts every
        page, ``next`` is the cursor of the next page (null on the last)."""
        filters = Filters(scenarios=scenario or [], edge_cases=edge_case or [], tiers=tier or [],
                          statuses=list(status or []), polarity=polarity, search=q, where=where)
        return page_examples(ds, filters, limit=limit, after=after)

    @r.get("/datasets/{dataset}/examples/{example_id:path}")
    def show_example(ds: Ds, example_id: ExampleId) -> ExampleDetail:
        """One example and its history from the audit log (404 for an unknown id)."""
        return ExampleDetail(example=show(ds, example_id), history=example_history(ds, example_id))

    @r.post("/datasets/{dataset}/examples", dependencies=WRITE)
    def add_examples(ds: Ds, body: AddRequest) -> ImportResult:
        """Add examples, all or nothing, with the rules of an import (``goldset add``)."""
        records = [e.model_dump(exclude_unset=True) for e in body.examples]  # with the extra fields
        return add(ds, records, on_duplicate=body.on_duplicate, keep_approval=body.keep_approval,
                   restore_removed=body.restore_removed)

    @r.post("/datasets/{dataset}/import", dependencies=WRITE, openapi_extra=UPLOAD_OPENAPI)
    async def import_upload(
        request: Request,
        ds: Ds,
        on_duplicate: Annotated[OnDuplicate, Query(description="an id already stored with other content: error, skip or update")] = "error",
        dry_run: Annotated[bool, Query(description="stage and compare, write nothing: returns the plan")] = False,
        fmt: Annotated[Literal["jsonl", "csv", "parquet"] | None, Query(alias="format", description="default: from the file name's suffix")] = None,
        skip_invalid: Annotated[bool, Query(description="import the valid rows, leave out the invalid ones")] = False,
        keep_approval: Annotated[bool, Query(description="updated approved examples stay approved (review right)")] = False,
        restore_removed: Annotated[bool, Query(description="add back ids that were removed")] = False,
    ) -> ImportResult | ImportPlan:
        """Import a JSONL, CSV or Parquet file sent as multipart field ``file`` (``goldset
        import``). The upload is streamed to a temporary file (413 past the server's
        ``--max-upload-mb``, nothing written); options go in the query string."""
        if not dry_run:  # refuse (and audit) before taking in a file the user may not import
            await run_in_threadpool(admit, ds, "import")
        path = await receive_upload(request, request.app.state.config.max_upload_bytes)
        try:
            return await run_in_threadpool(
                lambda: import_file(ds, path, fmt=fmt, on_duplicate=on_duplicate, dry_run=dry_run,
                                    skip_invalid=skip_invalid, keep_approval=keep_approval,
                                    restore_removed=restore_removed))
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)

    @r.patch("/datasets/{dataset}/examples/{example_id:path}", dependencies=WRITE)
    def edit_example(ds: Ds, example_id: ExampleId, body: EditRequest) -> WriteResult:
        """Change one example's content (``goldset edit``): a changed input or expected sends
        an approved example back to draft unless ``keep_approval``."""
        return edit(ds, example_id, input=body.input, expected=body.expected, source=body.source,
                    metadata=_metadata_text(body.metadata), note=body.note, keep_approval=body.keep_approval)

    @r.post("/datasets/{dataset}/tag", dependencies=WRITE)
    def tag_examples(ds: Ds, body: TagRequest) -> TagResult:
        """Scenarios, edge cases, tier and polarity for the rows given by ``ids`` and/or
        ``where`` (``goldset tag``); ``dry_run`` counts and samples what would change."""
        change = TagChange(**body.model_dump(include=set(TagChange.model_fields)))
        return tag(ds, change, ids=body.ids, where=body.where, dry_run=body.dry_run, note=body.note,
                   keep_approval=body.keep_approval)

    @r.post("/datasets/{dataset}/review", dependencies=WRITE)
    def review_examples(ds: Ds, body: ReviewRequest) -> WriteResult:
        """Approve, reject (back to draft) or retire the rows given by ``ids`` and/or ``where``
        (``goldset review``); records the caller as reviewer."""
        return review(ds, body.action, ids=body.ids, where=body.where, note=body.note, dry_run=body.dry_run)

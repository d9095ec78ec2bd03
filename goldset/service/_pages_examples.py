"""The example browser (filters, full-text search, keyset pages), one example with its
history, and bulk tagging of what the browser shows (a fragment: preview, then apply; the
verdicts and the rows are re-rendered in place)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from goldset.errors import BadInput, GoldsetError, UsageError
from goldset.service._deps import Ws, protected_router, writable
from goldset.service._pages_common import MAX_SEARCH, PAGE_ROWS, Ctx, dataset_ctx, page, render
from goldset.service._pages_coverage import coverage_of, verdict_chips
from goldset.vocab import POLARITIES, STATUSES

if TYPE_CHECKING:
    from goldset.curation import TagChange
    from goldset.query import ExamplePage, Filters

#: Columns the browser shows (the id and created_at come with every page).
BROWSER_COLUMNS = ["input", "expected", "polarity", "scenarios", "edge_cases", "tier", "status", "source", "created_by"]


class Browse(BaseModel):
    """The browser's filters, as the query string (and the bulk-tag form) carry them."""

    scenario: str = ""
    edge_case: str = ""
    tier: str = ""
    status: str = ""
    polarity: str = ""
    q: str = ""

    def filters(self) -> Filters:
        from goldset.query import Filters

        if len(self.q) > MAX_SEARCH:
            raise BadInput(f"search: at most {MAX_SEARCH} characters")
        if self.status and self.status not in STATUSES:
            raise BadInput(f"status: {self.status[:40]!r} is not one of {', '.join(STATUSES)}")
        if self.polarity and self.polarity not in POLARITIES:
            raise BadInput(f"polarity: {self.polarity[:40]!r} is not one of {', '.join(POLARITIES)}")
        # Unknown scenarios, edge cases and tiers: the library's one message (BadInput).
        return Filters(scenarios=[self.scenario] if self.scenario else [],
                       edge_cases=[self.edge_case] if self.edge_case else [],
                       tiers=[self.tier] if self.tier else [], statuses=[self.status] if self.status else [],
                       polarity=self.polarity or None, search=self.q.strip() or None)

    def _values(self) -> dict[str, str]:
        """The filter fields only (a TagForm is a Browse with more fields)."""
        return {k: getattr(self, k) for k in Browse.model_fields}

    def query(self) -> dict[str, str]:
        return {k: v for k, v in self._values().items() if v}

    def describe(self) -> str:
        parts = [f"{k} {v}" for k, v in self._values().items() if v and k != "q"]
        if self.q.strip():
            parts.insert(0, f"search {self.q.strip()!r}")
        return ", ".join(parts) or "every example"


def browse_page(ctx: Ctx, browse: Browse, after: str | None) -> ExamplePage:
    from goldset.query import page_examples

    return page_examples(ctx.ds, browse.filters(), limit=PAGE_ROWS, after=after or None, columns=BROWSER_COLUMNS)


def results_context(ctx: Ctx, browse: Browse, after: str) -> dict[str, Any]:
    return {"rows": browse_page(ctx, browse, after), "browse": browse, "after": after}


class TagForm(Browse):
    """The bulk-tag form: which rows (checked ids, or every row the filter, the Browse fields,
    matches) and the change."""

    target: Literal["selected", "filter"] = "selected"
    ids: list[str] = Field(default_factory=list, max_length=10_000)
    after: str = ""
    add_scenario: str = ""
    remove_scenario: str = ""
    add_edge_case: str = ""
    remove_edge_case: str = ""
    set_tier: str = ""
    set_polarity: Literal["", "positive", "negative"] = ""
    note: str = Field(default="", max_length=2000)
    mode: Literal["preview", "apply"] = "preview"

    def browse(self) -> Browse:
        return Browse(**self._values())

    def change(self) -> TagChange:
        from goldset.curation import TagChange

        def one(v: str) -> list[str]:
            return [v] if v else []

        return TagChange(add_scenarios=one(self.add_scenario), remove_scenarios=one(self.remove_scenario),
                         add_edge_cases=one(self.add_edge_case), remove_edge_cases=one(self.remove_edge_case),
                         tier=self.set_tier or None, polarity=self.set_polarity or None)


def _tag(ctx: Ctx, form: TagForm) -> dict[str, Any]:
    """Preview or apply the change; what the result fragment shows."""
    from goldset.curation import tag
    from goldset.query import list_examples

    browse = form.browse()
    change = form.change()
    if change.empty():
        raise UsageError("choose a change first: a scenario or edge case to add or remove, a tier or a polarity")
    if form.target == "filter":
        ids = [str(i) for i in list_examples(ctx.ds, browse.filters(), columns=["id"]).column("id").to_pylist()]
        chosen = f"selected by filter: {browse.describe()}"
    else:
        ids = list(dict.fromkeys(form.ids))
        chosen = "selected by hand"
    if not ids:
        raise UsageError("no example selected: tick some rows, or choose 'every example the filter matches'"
                         if form.target == "selected" else "the filter matches no example")
    note = "; ".join(filter(None, [form.note.strip(), f"web: {chosen}"]))
    result = tag(ctx.ds, change, ids=ids, dry_run=form.mode == "preview", note=note)
    return {"result": result, "change": change.summary(), "chosen": len(ids), "mode": form.mode,
            "target": form.target}


def router() -> APIRouter:
    r = protected_router()

    @r.get("/d/{dataset}/examples", response_class=HTMLResponse, include_in_schema=False)
    def browser(request: Request, ws: Ws, dataset: str, scenario: str = "", edge_case: str = "", tier: str = "",
                status: str = "", polarity: str = "", q: str = "", after: str = "",
                tag_scenario: str = "") -> HTMLResponse:
        ctx = dataset_ctx(request, ws, dataset)
        browse = Browse(scenario=scenario, edge_case=edge_case, tier=tier, status=status, polarity=polarity, q=q)
        report = coverage_of(ctx)
        spec = ctx.ds.spec
        return page(request, ctx, "examples.html", {
            **results_context(ctx, browse, after), "chips": verdict_chips(report),
            "spec": spec, "statuses": STATUSES, "polarities": POLARITIES,
            "tag_scenario": tag_scenario if tag_scenario in spec.scenarios else "",
        })

    @r.get("/d/{dataset}/examples/{example_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def example(request: Request, ws: Ws, dataset: str, example_id: str) -> HTMLResponse:
        from goldset.query import example_history

        ctx = dataset_ctx(request, ws, dataset)
        row = ctx.ds.get(example_id)
        history = example_history(ctx.ds, example_id)  # UnknownId (404) when never seen
        return page(request, ctx, "example.html", {
            "row": row, "example_id": example_id, "history": list(reversed(history)),
            "own": row is not None and row.get("created_by") == ctx.user,
            "distinct": ctx.ds.spec.review.require_distinct_reviewer,
        })

    @r.post("/d/{dataset}/fragments/tag", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[Depends(writable)])
    def tag_fragment(request: Request, ws: Ws, dataset: str, form: Annotated[TagForm, Form()]) -> HTMLResponse:
        """Bulk tagging: ``mode=preview`` counts what would change, ``mode=apply`` writes and
        sends back the tag result, the verdict strip and the rows, each replacing its element."""
        ctx = dataset_ctx(request, ws, dataset)
        try:
            outcome = _tag(ctx, form)
        except GoldsetError as exc:
            return render(request, "_tag_response.html", {"ctx": ctx, "error": str(exc), "problems": exc.problems},
                          status=exc.http_status)
        context: dict[str, Any] = {"ctx": ctx, **outcome}
        if form.mode == "apply":
            context["chips"] = verdict_chips(coverage_of(ctx))
            context.update(results_context(ctx, form.browse(), form.after))
        return render(request, "_tag_response.html", context)

    return r


"""Curation pages: the review queue (and the review fragment it and the example page post
to) and the taxonomy editor (scenarios and edge cases, written into goldset.yaml by the
library, comments kept)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from goldset.errors import GoldsetError, UsageError
from goldset.service._deps import Ws, protected_router, writable
from goldset.service._pages_common import (
    PAGE_ROWS,
    Ctx,
    dataset_ctx,
    link,
    opt_int,
    opt_share,
    page,
    render,
    slot_id,
)
from goldset.vocab import PRIORITIES

if TYPE_CHECKING:
    from goldset.curation import ScenarioFields
    from goldset.query import ExamplePage

ReviewAction = Literal["approve", "reject", "retire"]
#: Drafts nobody has reviewed since they last changed (a rejected draft waits for an edit).
WAITING = "reviewed_at IS NULL OR updated_at > reviewed_at"
#: What each taxonomy change says when it worked (the query string names only the op and id).
DONE = {"scenario-add": "Added scenario", "scenario-edit": "Saved scenario", "scenario-remove": "Removed scenario",
        "edge-case-add": "Added edge case", "edge-case-remove": "Removed edge case"}


def queue(ctx: Ctx, every_draft: bool, after: str | None = None, limit: int = PAGE_ROWS) -> ExamplePage:
    from goldset.query import Filters, page_examples

    return page_examples(ctx.ds, Filters(statuses=["draft"], where=None if every_draft else WAITING),
                         limit=limit, after=after or None)


def distinct_rule(ctx: Ctx) -> str:
    """The distinct-reviewer rule as ``goldset.curation.review`` applies it, in words."""
    if ctx.ds.spec.review.require_distinct_reviewer:
        return ("This dataset requires a distinct reviewer (review.require_distinct_reviewer: true): nobody may "
                "approve an example they created. Yours are marked and their Approve button is off; an approval "
                "that includes one is refused as a whole, and the attempt is logged.")
    return ("This dataset does not require a distinct reviewer (review.require_distinct_reviewer is off): "
            "you may approve examples you created yourself.")


# -- taxonomy forms -----------------------------------------------------------------------

def _fields(ctx: Ctx, form: dict[str, Any], current: str | None) -> ScenarioFields:
    """The scenario fields the form sets. Editing (``current``), a field equal to the
    scenario's present value, or left blank, is not sent: the YAML only changes where the
    user changed something."""
    from goldset.curation import ScenarioFields
    from goldset.vocab import require_known

    spec = ctx.ds.spec
    #: The boxes were on the form (an edit form always shows them): what is ticked is the list.
    shown = bool(form.get("required_edge_cases_shown"))
    req_ec = [str(e) for e in form.get("required_edge_cases", [])]
    require_known("edge case", req_ec, spec.edge_cases, "required edge cases")
    priority = str(form.get("priority", "")).strip()
    if priority and priority not in PRIORITIES:
        raise UsageError(f"priority: pick one of {', '.join(PRIORITIES)}")
    values: dict[str, Any] = {
        "description": str(form.get("description", "")).strip() or None,
        "priority": priority or None,
        "group": str(form.get("group", "")).strip() or None,
        "owner": str(form.get("owner", "")).strip() or None,
        "min_examples": opt_int(str(form.get("min_examples", "")), "min examples"),
        "min_negatives": opt_int(str(form.get("min_negatives", "")), "min negatives"),
        "min_edge_case_examples": opt_int(str(form.get("min_edge_case_examples", "")), "min edge-case examples"),
        "min_fresh_share": opt_share(str(form.get("min_fresh_share", "")), "min fresh share"),
        "required_edge_cases": req_ec or None,
    }
    if current is not None:
        sc = spec.scenarios[current]
        eff = spec.requirements_for(current)
        now: dict[str, Any] = {"description": sc.description, "priority": sc.priority, "group": sc.group,
                               "owner": sc.owner, "min_examples": eff.min_examples, "min_negatives": eff.min_negatives,
                               "min_edge_case_examples": eff.min_edge_case_examples,
                               "min_fresh_share": eff.min_fresh_share}
        values = {k: (None if v == now.get(k) else v) for k, v in values.items() if k != "required_edge_cases"}
        # Every box is shown: what is ticked is the whole list (none ticked: none required).
        same = sorted(req_ec) == sorted(eff.required_edge_cases)
        values["required_edge_cases"] = req_ec if shown and not same else None
    return ScenarioFields(**values)


def _taxonomy_page(request: Request, ctx: Ctx, error: str | None = None, problems: list[str] | None = None,
                   status: int = 200, done: str = "", done_id: str = "") -> HTMLResponse:
    from goldset.curation import list_edge_cases, list_scenarios

    spec = ctx.ds.spec
    scenarios = list_scenarios(ctx.ds)
    for row in scenarios:
        row["req"] = spec.requirements_for(row["id"])
        row["own_req"] = spec.scenarios[row["id"]].requirements
    return page(request, ctx, "taxonomy.html", {
        "scenarios": scenarios, "edge_cases": list_edge_cases(ctx.ds), "priorities": PRIORITIES,
        "defaults": spec.requirements, "error": error, "problems": problems or [],
        "done": DONE.get(done), "done_id": done_id if done in DONE else "",
    }, status=status)


async def _form(request: Request) -> dict[str, Any]:
    """A taxonomy form's fields (text only), ``required_edge_cases`` as the list ticked."""
    form = await request.form()
    out: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    out["required_edge_cases"] = [v for v in form.getlist("required_edge_cases") if isinstance(v, str)]
    return out


TaxonomyForm = Annotated[dict[str, Any], Depends(_form)]


def _after_taxonomy(request: Request, ctx: Ctx, op: str, sid: str) -> Response:
    return RedirectResponse(link("d", ctx.name, "taxonomy", done=op, id=sid), status_code=303)


def router() -> APIRouter:
    r = protected_router()

    @r.get("/d/{dataset}/review", response_class=HTMLResponse, include_in_schema=False)
    def review_queue(request: Request, ws: Ws, dataset: str, every_draft: bool = Query(False, alias="all"),
                     after: str = "") -> HTMLResponse:
        ctx = dataset_ctx(request, ws, dataset)
        items = queue(ctx, every_draft, after)
        return page(request, ctx, "review.html", {
            "items": items, "every_draft": every_draft, "after": after, "rule": distinct_rule(ctx),
            "distinct": ctx.ds.spec.review.require_distinct_reviewer,
        })

    @r.post("/d/{dataset}/fragments/review", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[Depends(writable)])
    def review_fragment(request: Request, ws: Ws, dataset: str, action: Annotated[ReviewAction, Form()],
                        example_id: str = Form(alias="id"), note: str = Form("", max_length=2000),
                        slot: str = Form("review-status"), view: Literal["queue", "detail"] = Form("detail"),
                        every_draft: bool = Form(False)) -> HTMLResponse:
        """Approve, reject or retire one example; sends back its item (queue) or its status
        block (example page) as it now is, and the queue's count."""
        from goldset.curation import review

        ctx = dataset_ctx(request, ws, dataset)
        slot = slot_id(slot)
        context: dict[str, Any] = {"ctx": ctx, "slot": slot, "view": view, "every_draft": every_draft,
                                   "distinct": ctx.ds.spec.review.require_distinct_reviewer}
        status = 200
        try:
            review(ctx.ds, action, ids=[example_id], note=note.strip() or None)
            context["done"] = action
        except GoldsetError as exc:
            context["error"] = str(exc)
            status = exc.http_status
        context["row"] = ctx.ds.get(example_id)
        context["example_id"] = example_id
        context["waiting"] = queue(ctx, every_draft, limit=1).total
        return render(request, "_review_response.html", context, status=status)

    @r.get("/d/{dataset}/taxonomy", response_class=HTMLResponse, include_in_schema=False)
    def taxonomy(request: Request, ws: Ws, dataset: str, done: str = "",
                 done_id: str = Query("", alias="id")) -> HTMLResponse:
        return _taxonomy_page(request, dataset_ctx(request, ws, dataset), done=done, done_id=done_id)

    # Scenario and edge-case ids travel in the form, never in the path: an id may hold any
    # printable character ("/" included).
    def _run(request: Request, ws: Ws, dataset: str, op: str, taxon: str, call: Any) -> Response:
        ctx = dataset_ctx(request, ws, dataset)
        try:
            if not taxon:
                raise UsageError("give the id of the scenario or edge case")
            call(ctx)
        except GoldsetError as exc:
            return _taxonomy_page(request, ctx, error=str(exc), problems=exc.problems, status=exc.http_status)
        return _after_taxonomy(request, ctx, op, taxon)

    def _note(form: dict[str, Any]) -> str | None:
        return str(form.get("note", "")).strip() or None

    @r.post("/d/{dataset}/taxonomy/scenarios", include_in_schema=False, dependencies=[Depends(writable)])
    def add_scenario(request: Request, ws: Ws, dataset: str, form: TaxonomyForm) -> Response:
        from goldset.curation import add_scenario as add

        sid = str(form.get("id", "")).strip()
        return _run(request, ws, dataset, "scenario-add", sid,
                    lambda ctx: add(ctx.ds, sid, _fields(ctx, form, None), note=_note(form)))

    @r.post("/d/{dataset}/taxonomy/scenarios/edit", include_in_schema=False, dependencies=[Depends(writable)])
    def edit_scenario(request: Request, ws: Ws, dataset: str, form: TaxonomyForm) -> Response:
        from goldset.curation import edit_scenario as edit
        from goldset.vocab import require_known

        sid = str(form.get("id", ""))

        def call(ctx: Ctx) -> None:
            require_known("scenario", [sid], ctx.ds.spec.scenarios)
            edit(ctx.ds, sid, _fields(ctx, form, sid), note=_note(form))

        return _run(request, ws, dataset, "scenario-edit", sid, call)

    @r.post("/d/{dataset}/taxonomy/scenarios/remove", include_in_schema=False, dependencies=[Depends(writable)])
    def remove_scenario(request: Request, ws: Ws, dataset: str, sid: str = Form("", alias="id"),
                        untag: bool = Form(False)) -> Response:
        from goldset.curation import remove_scenario as remove

        return _run(request, ws, dataset, "scenario-remove", sid, lambda ctx: remove(ctx.ds, sid, untag=untag))

    @r.post("/d/{dataset}/taxonomy/edge-cases", include_in_schema=False, dependencies=[Depends(writable)])
    def add_edge_case(request: Request, ws: Ws, dataset: str, eid: str = Form("", alias="id"),
                      description: str = Form("", max_length=2000)) -> Response:
        from goldset.curation import add_edge_case as add

        eid = eid.strip()
        return _run(request, ws, dataset, "edge-case-add", eid, lambda ctx: add(ctx.ds, eid, description.strip()))

    @r.post("/d/{dataset}/taxonomy/edge-cases/remove", include_in_schema=False, dependencies=[Depends(writable)])
    def remove_edge_case(request: Request, ws: Ws, dataset: str, eid: str = Form("", alias="id"),
                         untag: bool = Form(False)) -> Response:
        from goldset.curation import remove_edge_case as remove

        return _run(request, ws, dataset, "edge-case-remove", eid, lambda ctx: remove(ctx.ds, eid, untag=untag))

    return r

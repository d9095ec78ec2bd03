"""The scenario taxonomy and the edge-case catalogue of a dataset (edits of goldset.yaml)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from goldset.coverage import ScenarioCoverage
from goldset.curation import (
    ScenarioFields,
    ScenarioReport,
    TaxonomyResult,
    add_edge_case,
    add_scenario,
    edit_scenario,
    list_edge_cases,
    list_scenarios,
    remove_edge_case,
    remove_scenario,
    show_scenario,
)
from goldset.service import _cache as cache
from goldset.service._api_common import WRITE, Ds, RequestModel
from goldset.vocab import Priority

ScenarioId = Annotated[str, PathParam(description="a scenario id of the dataset's taxonomy")]
EdgeCaseId = Annotated[str, PathParam(description="an edge-case id of the dataset's catalogue")]
Untag = Annotated[bool, Query(description="also remove the tag from the examples that carry it (else refused while any does)")]
Note = Annotated[str | None, Query(max_length=2000, description="why (kept in the audit log)")]


class ScenarioRow(BaseModel):
    id: str
    priority: str
    group: str | None = None
    owner: str | None = None
    examples: int
    negatives: int
    #: Examples whose status counts toward coverage.
    counted: int
    description: str


class ScenarioDetail(BaseModel):
    scenario: ScenarioReport
    #: Its line of the coverage report: counts, verdict and reasons.
    coverage: ScenarioCoverage


class ScenarioChange(RequestModel, ScenarioFields):
    """Fields of a scenario to set (the others stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000, description="why (kept in the audit log)")

    def fields(self) -> ScenarioFields:
        return ScenarioFields(**self.model_dump(include=set(ScenarioFields.model_fields)))


class NewScenario(ScenarioChange):
    id: str = Field(description="the new scenario's id")
    #: Required here: P0 blocks the launch by default.
    priority: Priority


class EdgeCaseRow(BaseModel):
    id: str
    examples: int
    description: str


class NewEdgeCase(RequestModel):
    id: str = Field(description="the new edge case's id")
    description: str = ""
    note: str | None = Field(default=None, max_length=2000, description="why (kept in the audit log)")


def add_routes(r: APIRouter) -> None:
    @r.get("/datasets/{dataset}/scenarios")
    def scenarios(ds: Ds) -> list[ScenarioRow]:
        """Every scenario of the taxonomy with its example counts (``goldset scenario list``)."""
        return [ScenarioRow.model_validate(row) for row in list_scenarios(ds)]

    @r.get("/datasets/{dataset}/scenarios/{sid}")
    def scenario(ds: Ds, sid: ScenarioId) -> ScenarioDetail:
        """One scenario: fields, effective requirements, counts (``goldset scenario show``) and
        its coverage verdict."""
        report = show_scenario(ds, sid)  # an unknown id is refused here
        return ScenarioDetail(scenario=report, coverage=cache.coverage(ds).scenario(sid))

    @r.post("/datasets/{dataset}/scenarios", status_code=201, dependencies=WRITE)
    def create_scenario(ds: Ds, body: NewScenario) -> TaxonomyResult:
        """Add a scenario to the taxonomy (``goldset scenario add``)."""
        return add_scenario(ds, body.id, body.fields(), note=body.note)

    @r.patch("/datasets/{dataset}/scenarios/{sid}", dependencies=WRITE)
    def change_scenario(ds: Ds, sid: ScenarioId, body: ScenarioChange) -> TaxonomyResult:
        """Change fields or requirements of a scenario (``goldset scenario edit``)."""
        return edit_scenario(ds, sid, body.fields(), note=body.note)

    @r.delete("/datasets/{dataset}/scenarios/{sid}", dependencies=WRITE)
    def delete_scenario(ds: Ds, sid: ScenarioId, untag: Untag = False, note: Note = None) -> TaxonomyResult:
        """Remove a scenario (``goldset scenario remove``)."""
        return remove_scenario(ds, sid, untag=untag, note=note)

    @r.get("/datasets/{dataset}/edge-cases")
    def edge_cases(ds: Ds) -> list[EdgeCaseRow]:
        """Every edge case of the catalogue with the examples carrying it (``goldset edge-case list``)."""
        return [EdgeCaseRow.model_validate(row) for row in list_edge_cases(ds)]

    @r.post("/datasets/{dataset}/edge-cases", status_code=201, dependencies=WRITE)
    def create_edge_case(ds: Ds, body: NewEdgeCase) -> TaxonomyResult:
        """Add an edge case to the catalogue (``goldset edge-case add``)."""
        return add_edge_case(ds, body.id, body.description, note=body.note)

    @r.delete("/datasets/{dataset}/edge-cases/{eid}", dependencies=WRITE)
    def delete_edge_case(ds: Ds, eid: EdgeCaseId, untag: Untag = False, note: Note = None) -> TaxonomyResult:
        """Remove an edge case (``goldset edge-case remove``)."""
        return remove_edge_case(ds, eid, untag=untag, note=note)

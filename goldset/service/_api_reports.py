"""Reads of a whole dataset: stats, coverage, validation, versions, diff, the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from goldset.access import audit
from goldset.coverage import CoverageReport
from goldset.history import DiffReport, VersionLog, diff, version_log
from goldset.query import Stats, stats
from goldset.service import _cache as cache
from goldset.service._api_common import Ds
from goldset.validation import ValidationReport, validate
from goldset.vocab import Priority


def add_routes(r: APIRouter) -> None:
    @r.get("/datasets/{dataset}")
    def dataset_stats(ds: Ds) -> Stats:
        """Counts by status, polarity, tier and scenario (``goldset stats``)."""
        return stats(ds)

    @r.get("/datasets/{dataset}/coverage")
    def coverage(
        ds: Ds,
        fail_on: Annotated[list[Priority] | None, Query(description="priorities that block the launch (default: the spec's gate)")] = None,
    ) -> CoverageReport:
        """Per-scenario counts, verdicts and the launch gate (``goldset coverage``)."""
        return cache.coverage(ds, fail_on=list(fail_on) if fail_on else None)

    @r.get("/datasets/{dataset}/validation")
    def validation(
        ds: Ds, sample: Annotated[int, Query(ge=0, le=1000, description="offending values listed per failed expectation")] = 20,
    ) -> ValidationReport:
        """Run the Great Expectations suite (``goldset validate``). Failed expectations are in
        the report (``success``, ``errors_failed``), not an error status. The first run in a
        server process imports Great Expectations (seconds)."""
        return validate(ds, sample=sample)

    @r.get("/datasets/{dataset}/versions")
    def versions(
        ds: Ds,
        limit: Annotated[int | None, Query(ge=1, le=10_000, description="only the newest N versions")] = None,
        rows: Annotated[bool, Query(description="false: read nothing through DVC (rows and gates only from what commits record)")] = True,
    ) -> VersionLog:
        """The dataset's versions, newest first, with rows and coverage gate (``goldset log``)."""
        return version_log(ds.workspace, ds.name, limit=limit, rows=rows)

    @r.get("/datasets/{dataset}/diff")
    def dataset_diff(
        ds: Ds,
        a: Annotated[str, Query(max_length=256, description="the old side: a commit, tag or branch")] = "HEAD",
        b: Annotated[str | None, Query(max_length=256, description="the new side; omitted: the working store")] = None,
        sample: Annotated[int, Query(ge=0, le=100, description="changed rows shown before/after")] = 5,
        coverage: Annotated[bool, Query(description="also compare coverage per scenario")] = True,
    ) -> DiffReport:
        """Rows added, removed and changed from ``a`` to ``b``, with the coverage delta
        (``goldset diff``)."""
        return diff(ds.workspace, ds.name, a, b, sample=sample, coverage=coverage)

    @r.get("/datasets/{dataset}/audit")
    def audit_log(
        ds: Ds,
        since: Annotated[str | None, Query(max_length=64, description="a date, a date-time (UTC) or 7d / 12h ago")] = None,
        user: Annotated[str | None, Query(max_length=320, description="only this user")] = None,
        op: Annotated[str | None, Query(max_length=64, description="only this operation (a prefix before '-' matches too)")] = None,
        denied: Annotated[bool, Query(description="only refused attempts")] = False,
        limit: Annotated[int | None, Query(ge=1, description="only the newest N entries")] = None,
    ) -> audit.AuditLog:
        """Who changed what, oldest first (``goldset audit``); ``problems`` names lines of the
        log that could not be read."""
        when = audit.parse_since(since) if since else None
        entries = audit.filtered(ds.audit_path, since=when, user=user, op=op, denied_only=denied, limit=limit)
        return audit.AuditLog(entries=entries, problems=audit.read_log(ds.audit_path).problems)

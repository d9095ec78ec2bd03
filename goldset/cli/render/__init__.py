"""The CLI's one renderer family: every result a verb gets from the library becomes text here.

:func:`render` is the entry point: ``render(result, fmt, color=...) -> str``. It dispatches on
the result's type (the library's pydantic models, matched by class name along the MRO so that
nothing here imports the library; lists of rows; pyarrow tables; a single record) or on an
explicit ``kind`` for row lists that need their own columns (``examples``, ``scenarios``,
``edge_cases``, ``audit``). One module per result kind:

=============  ===============================================================================
rows           row lists, pyarrow tables (query), examples (list; streamed by batch), one record (show)
write          WriteResult / TagResult (import, add, remove, edit, review, tag, compact)
imports        ImportResult (import, add), ImportPlan (import --dry-run)
stats          Stats
coverage       CoverageReport (table, Markdown, self-contained HTML)
validation     ValidationReport; GenerateResult (expectations generate)
check          CheckReport
diff           DiffReport
versions       VersionLog (log), SnapshotResult (snapshot), ReportsResult (reports), InitResult (init)
taxonomy       TaxonomyResult, ScenarioReport, scenario and edge-case lists
audit          audit entries
doctor         DoctorReport
checkout       PullResult (pull)
merge          MergeResult (merge)
hygiene        DupesReport (dupes), LeakageReport (leakage)
runs           RunInfo (run list/show/add/remove), RunReport (run report; HTML: the library's page),
               Comparison (run compare), LaunchReport (launch), EffectiveBar and BarResult (bar)
=============  ===============================================================================

``_rows`` holds the shared pieces: cells, JSON, Markdown tables, and the one place rich tables
are built (user text there is always literal, never rich markup).

The format tuples below are the only ones: verbs take their ``-f`` choices from here. This
module imports nothing heavy, so a verb's ``--help`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

#: Row results: every row format.
ROW_FORMATS = ("table", "json", "jsonl", "csv", "markdown")
#: Reports: a human layout, JSON, Markdown (PR comments).
REPORT_FORMATS = ("table", "json", "markdown")
#: The coverage report also renders as one self-contained HTML page.
COVERAGE_FORMATS = (*REPORT_FORMATS, "html")
#: A run report also renders as one self-contained HTML page with plots.
RUN_REPORT_FORMATS = (*REPORT_FORMATS, "html")
#: Results of an action (writes, snapshot, init, taxonomy edits): a summary, or JSON for scripts.
RESULT_FORMATS = ("table", "json")


class Kind(NamedTuple):
    """How one kind of result renders."""

    render: Callable[..., str]
    #: One line for "wrote PATH: <summary>" when the text goes to a file.
    summary: Callable[[Any], str]
    #: Warnings about the result for stderr, whatever the format (None: never any).
    notes: Callable[..., list[str]] | None = None
    #: The table form is a status message: it goes to stderr unless -o asks for a file.
    message: bool = False


#: Result class name or kind -> the module under goldset.cli.render that renders it.
_MODULES: dict[str, str] = {
    "WriteResult": "write",  # and TagResult, its subclass
    "ImportResult": "imports",  # a WriteResult too: found first along the MRO
    "ImportPlan": "imports",
    "Stats": "stats",
    "CoverageReport": "coverage",
    "ValidationReport": "validation",
    "GenerateResult": "validation",
    "CheckReport": "check",
    "DiffReport": "diff",
    "VersionLog": "versions",
    "SnapshotResult": "versions",
    "ReportsResult": "versions",
    "InitResult": "versions",
    "TaxonomyResult": "taxonomy",
    "ScenarioReport": "taxonomy",
    "AuditEntry": "audit",
    "VerifyReport": "audit",
    "DoctorReport": "doctor",
    "PullResult": "checkout",
    "MergeResult": "merge",
    "DupesReport": "hygiene",
    "LeakageReport": "hygiene",
    "RunInfo": "runs",
    "RunAdded": "runs",
    "RunReport": "runs",
    "Comparison": "runs",
    "LaunchReport": "runs",
    "EffectiveBar": "runs",
    "BarResult": "runs",
    "rows": "rows",
    "record": "rows",
    "examples": "rows",
    "scenarios": "taxonomy",
    "edge_cases": "taxonomy",
    "audit": "audit",
}


def kind_of(result: Any) -> str:
    """The kind a result renders as, from its type."""
    if isinstance(result, Mapping):
        return "record"
    if isinstance(result, list | tuple):
        first = type(result[0]).__name__ if result else ""
        return first if first[:1].isupper() and first in _MODULES else "rows"
    for cls in type(result).__mro__:
        if cls.__name__[:1].isupper() and cls.__name__ in _MODULES:
            return cls.__name__
    if hasattr(result, "to_pylist") and hasattr(result, "schema"):  # a pyarrow table
        return "rows"
    raise TypeError(f"goldset.cli.render: no renderer for {type(result).__name__}")


def lookup(result: Any, kind: str | None = None) -> Kind:
    """The :class:`Kind` that renders ``result`` (as ``kind`` when given)."""
    import importlib

    key = kind or kind_of(result)
    module = importlib.import_module(f"goldset.cli.render.{_MODULES[key]}")
    found: Kind = module.KINDS[key]
    return found


def render(result: Any, fmt: str, *, color: bool = False, kind: str | None = None, **opts: Any) -> str:
    """``result`` as text in format ``fmt`` (ends with a newline). ``opts`` go to the kind's
    renderer (e.g. ``columns``, ``all_columns``)."""
    return lookup(result, kind).render(result, fmt, color=color, **opts)


def summary(result: Any, *, kind: str | None = None) -> str:
    return lookup(result, kind).summary(result)


def notes(result: Any, *, kind: str | None = None, **opts: Any) -> list[str]:
    k = lookup(result, kind)
    return k.notes(result, **opts) if k.notes is not None else []

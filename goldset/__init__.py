"""goldset: golden dataset management for ML and LLM product teams.

The library is the product; the ``goldset`` command and the web service adapt it. Verbs are
free functions that take a :class:`Dataset` (or a :class:`Workspace`)::

    import goldset
    ds = goldset.Workspace.open(".").dataset()
    goldset.add(ds, [{"input": "I want my money back", "scenarios": ["refund_request"]}])
    goldset.tag(ds, goldset.TagChange(add_edge_cases=["typo"]), where="input ILIKE '%refnud%'")
    report = goldset.compute_coverage(ds)

Every name below is resolved on first use, so ``goldset --help`` does not pay for pydantic,
DuckDB, pyarrow, Great Expectations or DVC.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goldset.coverage import CoverageReport, check_gate, compute_coverage
    from goldset.curation import (
        ScenarioFields,
        TagChange,
        add_edge_case,
        add_scenario,
        edit,
        edit_scenario,
        remove,
        remove_edge_case,
        remove_scenario,
        review,
        set_launch_bar,
        show_launch_bar,
        tag,
        update,
    )
    from goldset.errors import (
        BadInput,
        CheckFailed,
        CoverageGateFailed,
        DuplicateIds,
        GoldsetError,
        LaunchBlocked,
        MergeConflict,
        NotCheckedOut,
        PermissionDenied,
        ReadOnly,
        RegressionFound,
        SpecError,
        StaleRun,
        StoreError,
        UnknownId,
        UsageError,
        ValidationFailed,
        VcsError,
        WorkspaceError,
    )
    from goldset.history import (
        diff,
        init_workspace,
        open_revision,
        pull,
        restore,
        snapshot,
        version_log,
    )
    from goldset.hygiene import (
        DupesReport,
        LeakageReport,
        find_leakage,
        find_near_duplicates,
        leakage_gate,
    )
    from goldset.ingest import ImportDefaults, add, import_file
    from goldset.merging import merge
    from goldset.query import Filters, list_examples, run_query, show, stats
    from goldset.runs import (
        Comparison,
        RunInfo,
        RunReport,
        add_run,
        compare_runs,
        list_runs,
        remove_run,
        run_report,
    )
    from goldset.validation import (
        LaunchReport,
        generate_suite,
        launch,
        redact_pii,
        run_check,
        validate,
    )
    from goldset.workspace import Dataset, Workspace, WriteResult, compact, doctor

#: public name -> the package that defines it.
_LAZY = {
    **dict.fromkeys(("Dataset", "Workspace", "WriteResult", "compact", "doctor"), "goldset.workspace"),
    **dict.fromkeys(("ImportDefaults", "add", "import_file"), "goldset.ingest"),
    **dict.fromkeys(
        ("DupesReport", "LeakageReport", "find_leakage", "find_near_duplicates", "leakage_gate"), "goldset.hygiene"
    ),
    **dict.fromkeys(
        ("ScenarioFields", "TagChange", "add_edge_case", "add_scenario", "edit", "edit_scenario",
         "remove", "remove_edge_case", "remove_scenario", "review", "set_launch_bar", "show_launch_bar", "tag",
         "update"),
        "goldset.curation",
    ),
    **dict.fromkeys(("Filters", "list_examples", "run_query", "show", "stats"), "goldset.query"),
    **dict.fromkeys(("CoverageReport", "check_gate", "compute_coverage"), "goldset.coverage"),
    **dict.fromkeys(
        ("Comparison", "RunInfo", "RunReport", "add_run", "compare_runs", "list_runs", "remove_run", "run_report"),
        "goldset.runs",
    ),
    **dict.fromkeys(("LaunchReport", "generate_suite", "launch", "redact_pii", "run_check", "validate"), "goldset.validation"),
    "merge": "goldset.merging",
    **dict.fromkeys(
        ("diff", "init_workspace", "open_revision", "pull", "restore", "snapshot", "version_log"), "goldset.history"
    ),
    **dict.fromkeys(
        ("BadInput", "CheckFailed", "CoverageGateFailed", "DuplicateIds", "GoldsetError", "LaunchBlocked",
         "MergeConflict", "NotCheckedOut", "PermissionDenied", "ReadOnly", "RegressionFound", "SpecError", "StaleRun",
         "StoreError", "UnknownId", "UsageError",
         "ValidationFailed", "VcsError", "WorkspaceError"),
        "goldset.errors",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'goldset' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = "0.1.0"

__all__ = [
    "BadInput",
    "CheckFailed",
    "Comparison",
    "CoverageGateFailed",
    "CoverageReport",
    "Dataset",
    "DupesReport",
    "DuplicateIds",
    "Filters",
    "GoldsetError",
    "ImportDefaults",
    "LaunchBlocked",
    "LaunchReport",
    "LeakageReport",
    "MergeConflict",
    "NotCheckedOut",
    "PermissionDenied",
    "ReadOnly",
    "RegressionFound",
    "RunInfo",
    "RunReport",
    "ScenarioFields",
    "SpecError",
    "StaleRun",
    "StoreError",
    "TagChange",
    "UnknownId",
    "UsageError",
    "ValidationFailed",
    "VcsError",
    "Workspace",
    "WorkspaceError",
    "WriteResult",
    "__version__",
    "add",
    "add_edge_case",
    "add_run",
    "add_scenario",
    "check_gate",
    "compact",
    "compare_runs",
    "compute_coverage",
    "diff",
    "doctor",
    "edit",
    "edit_scenario",
    "find_leakage",
    "find_near_duplicates",
    "generate_suite",
    "import_file",
    "init_workspace",
    "launch",
    "leakage_gate",
    "list_examples",
    "list_runs",
    "merge",
    "open_revision",
    "pull",
    "redact_pii",
    "remove",
    "remove_edge_case",
    "remove_run",
    "remove_scenario",
    "restore",
    "review",
    "run_check",
    "run_query",
    "run_report",
    "set_launch_bar",
    "show",
    "show_launch_bar",
    "snapshot",
    "stats",
    "tag",
    "update",
    "validate",
    "version_log",
]

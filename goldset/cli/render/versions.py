"""The history verbs: ``log`` (VersionLog), ``snapshot`` (SnapshotResult), ``reports``
(ReportsResult), ``init`` (InitResult)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import as_json, lines, markdown_table, render_model, rich_table

if TYPE_CHECKING:
    from goldset.history import InitResult, ReportsResult, SnapshotResult, Version, VersionLog

_LOG_COLUMNS = ["commit", "tags", "date", "author", "rows", "gate", "message"]


def _cells(v: Version) -> list[Any]:
    return [v.short, ", ".join(v.tags), v.date.strftime("%Y-%m-%d %H:%M"), v.author, v.rows, v.gate, v.message]


def render_log(log: VersionLog, fmt: str, *, color: bool = False, **_: Any) -> str:
    return render_model(
        log, fmt,
        table=lambda m: [rich_table(_LOG_COLUMNS, [_cells(v) for v in m.versions], title=f"versions of {m.dataset}", max_width=50)],
        markdown=lambda m: markdown_table(_LOG_COLUMNS, [_cells(v) for v in m.versions]),
        color=color,
    )


def _log_summary(log: VersionLog) -> str:
    return f"{len(log.versions)} version(s) of {log.dataset}"


def _log_notes(log: VersionLog, **_: Any) -> list[str]:
    return [f"warning: {problem}" for problem in log.problems]


def _snapshot_lines(r: SnapshotResult) -> list[str]:
    short = (r.commit or "")[:12]
    if r.committed:
        out = [f"snapshot {short} of {r.dataset}: {r.rows:,} rows in {r.parts} part(s); committed {', '.join(r.files)}"]
    else:
        out = [f"nothing changed since the last snapshot ({short}); no new commit"]
    if r.leftovers_removed:
        out.append(f"removed {len(r.leftovers_removed)} leftover file(s) of interrupted writes")
    if r.reports is not None and r.committed:
        out.append(f"reports/ of this version: {_verdicts(r.reports)}")
    if r.tag:
        out.append(f"tagged {short} as {r.tag}")
    if r.pushed:
        out.append(f"pushed the data to DVC remote {r.remote!r}")
    elif r.remote is None:
        out.append("no DVC remote configured: the data stays in this machine's DVC cache ('dvc remote add -d storage URL')")
    return out


def render_snapshot(r: SnapshotResult, fmt: str, **_: Any) -> str:
    return as_json(r) if fmt == "json" else lines(*_snapshot_lines(r))


def _verdicts(r: ReportsResult) -> str:
    gate = "PASSED" if r.gate_passed else f"FAILED ({', '.join(r.gate_failing)})"
    validation = "passed" if r.validation_passed else "FAILED"
    return (f"coverage gate {gate}; validation {validation} ({r.validation_errors} error(s), "
            f"{r.validation_warnings} warning(s))")


def _reports_lines(r: ReportsResult) -> list[str]:
    data = (r.data or "none")[:12]
    return [f"wrote {', '.join(r.files)} for {r.dataset} (data {data}, as of {r.as_of:%Y-%m-%d %H:%M} UTC): "
            f"{_verdicts(r)}"]


def render_reports(r: ReportsResult, fmt: str, **_: Any) -> str:
    return as_json(r) if fmt == "json" else lines(*_reports_lines(r))


def _init_lines(r: InitResult) -> list[str]:
    out = [f"created {f}" for f in r.created] + [f"kept    {f} (exists)" for f in r.kept]
    if r.git_initialized:
        out.append("git repository initialized")
    if r.git_top:
        out.append(f"using the git repository at {r.git_top} (the workspace is a subdirectory of it)")
    if r.dvc_initialized:
        out.append("DVC initialized")
    if r.remote:
        out.append(f"DVC remote 'storage' -> {r.remote}")
    out.append(f"workspace ready at {r.root} (dataset {r.dataset!r}); next: goldset import FILE")
    return out


def render_init(r: InitResult, fmt: str, **_: Any) -> str:
    return as_json(r) if fmt == "json" else lines(*_init_lines(r))


KINDS = {
    "VersionLog": Kind(render_log, _log_summary, _log_notes),
    "SnapshotResult": Kind(render_snapshot, lambda r: _snapshot_lines(r)[0], message=True),
    "ReportsResult": Kind(render_reports, lambda r: _reports_lines(r)[0], message=True),
    "InitResult": Kind(render_init, lambda r: _init_lines(r)[-1], message=True),
}

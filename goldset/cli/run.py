"""``goldset run add|list|show|remove|report|compare``: model runs over the golden set."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import (
    GoldsetContext,
    command,
    common_options,
    output_options,
    parse_priorities,
    present,
)
from goldset.cli.render import REPORT_FORMATS, RESULT_FORMATS, ROW_FORMATS, RUN_REPORT_FORMATS


@click.group("run", context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def run_cmd() -> None:
    """Model runs: one system's outputs over the golden set, scored against the launch bar.

    \b
    goldset run add outputs.jsonl --name gpt-x-0611 --model gpt-x --param temperature=0
    goldset run report gpt-x-0611                 # per scenario x tier, with 95% intervals
    goldset run compare gpt-x-0527 gpt-x-0611     # paired: fixed, broken, McNemar, Holm
    goldset launch gpt-x-0611                     # validation + coverage gate + launch bar

    Runs live in runs/<dataset>/ (Parquet, tracked by DVC); 'goldset snapshot' commits them.
    """


def _pairs(values: tuple[str, ...], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{v!r} is not KEY=VALUE", param_hint=flag)
        out[key.strip()] = val
    return out


@command("add")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", required=True, help="The run's name (letters, digits, '.', '-', '_'): how reports and compare refer to it.")
@click.option("--model", help="The model or system evaluated (e.g. gpt-x-2026-06).")
@click.option("--param", "params", multiple=True, metavar="K=V", help="A setting of the run (temperature=0, prompt=v3). Repeatable.")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=COLUMN",
              help="Read FIELD (id, input, output, passed, score, grader, latency_ms, cost_usd, error) from COLUMN. Repeatable.")
@click.option("--input-format", "file_format", type=click.Choice(["jsonl", "json", "csv", "parquet"]), help="FILE's format (default: from its extension).")
@click.option("--skip-unknown", is_flag=True, help="Drop rows whose id is not in the dataset (default: refuse the file, listing them).")
@click.option("--replace", is_flag=True, help="Replace the run of that name (when the new one is complete).")
@click.option("--partial", is_flag=True, help="The run covers part of the set: counted examples without an output are left out, not failures.")
@output_options(RESULT_FORMATS)
def _add(g: GoldsetContext, file: Path, name: str, model: str | None, params: tuple[str, ...], mapping: tuple[str, ...],
         file_format: str | None, skip_unknown: bool, replace: bool, partial: bool, fmt: str, output: Path | None) -> None:
    """Add FILE's outputs as a run of the dataset as it is now.

    FILE (JSONL, JSON, CSV, Parquet) has one row per example: its 'id' (or its 'input',
    matched by the input hash) and the 'output'; optionally 'passed' and/or 'score' (graded
    elsewhere, with 'grader'), 'latency_ms', 'cost_usd', 'error'. Rows without 'passed' are
    scored by the spec's 'scoring:' (default: exact match). A counted example without an output
    is a failure ("no output") unless --partial. Unknown or duplicate ids refuse the file.

    \b
    goldset run add preds.csv --name base-v1 --map output=prediction --map id=example_id
    """
    from goldset.runs import add_run

    info = add_run(g.dataset(), file, name, model=model, params=_pairs(params, "--param"),
                   mapping=_pairs(mapping, "--map"), fmt=file_format, skip_unknown=skip_unknown, partial=partial,
                   replace=replace)
    present(info, fmt, output, kind="RunAdded")


@command("list")
@output_options(ROW_FORMATS)
def _list(g: GoldsetContext, fmt: str, output: Path | None) -> None:
    """Every run of the dataset, oldest first: model, who added it, pass rate, data version."""
    from goldset.runs import list_runs

    present(list_runs(g.dataset()), "json" if fmt in ("jsonl", "csv") else fmt, output, kind="RunInfo")


@command("show")
@click.argument("name")
@output_options(RESULT_FORMATS)
def _show(g: GoldsetContext, name: str, fmt: str, output: Path | None) -> None:
    """One run's record: model, params, the data it was evaluated on, its totals."""
    from goldset.runs import find_run

    present(find_run(g.dataset(), name)[0], fmt, output)


@command("remove")
@click.argument("name")
@output_options(RESULT_FORMATS)
def _remove(g: GoldsetContext, name: str, fmt: str, output: Path | None) -> None:
    """Delete run NAME (audited; a snapshot records the removal, git keeps the past)."""
    from goldset.runs import remove_run

    present(remove_run(g.dataset(), name), fmt, output)


@command("report")
@click.argument("name")
@output_options(RUN_REPORT_FORMATS)
@click.option("--fail", "fail_on_verdict", is_flag=True, help="Exit 1 unless the launch bar passes (for CI; 'goldset launch' adds validation and the gate).")
def _report(g: GoldsetContext, name: str, fmt: str, output: Path | None, fail_on_verdict: bool) -> None:
    """Run NAME against the launch bar: per scenario x tier, edge case and polarity.

    Pass rates with 95% Wilson intervals, failures (output vs expected), latency p50/p95,
    cost per 1k examples, and a verdict per scenario (pass, fail, not enough evidence) with
    its reason. -f html writes one self-contained page with plots.

    \b
    goldset run report base-v1
    goldset run report base-v1 -f html -o base-v1.html
    """
    from goldset.runs import run_report

    report = run_report(g.dataset(), name)
    present(report, fmt, output)
    if fail_on_verdict and report.verdict != "pass":
        from goldset.errors import LaunchBlocked

        raise LaunchBlocked(f"run {name}: launch bar {report.verdict}", report.reasons)


@command("compare")
@click.argument("a")
@click.argument("b")
@output_options(REPORT_FORMATS)
@click.option("--fail-on-regression", "fail_on", callback=parse_priorities, metavar="P0[,P1]",
              help="Exit 1 when a scenario of these priorities got significantly worse in B.")
def _compare(g: GoldsetContext, a: str, b: str, fmt: str, output: Path | None, fail_on: list[str] | None) -> None:
    """Compare run B with run A on the examples both evaluated.

    Per scenario: pass rates, the delta with its 95% interval, examples fixed and broken,
    McNemar's exact p-value, and the p-value adjusted with Holm's method across scenarios: a
    regression is a significant drop after that correction.

    \b
    goldset run compare base-v1 cand-v2 --fail-on-regression P0
    """
    from goldset.runs import compare_runs, regression_gate

    comparison = compare_runs(g.dataset(), a, b)
    present(comparison, fmt, output)
    if fail_on:
        regression_gate(comparison, fail_on)  # type: ignore[arg-type]  # parse_priorities checked them


for _cmd in (_add, _list, _show, _remove, _report, _compare):
    run_cmd.add_command(_cmd)

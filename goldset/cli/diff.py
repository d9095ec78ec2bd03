"""``goldset diff``: row-level changes between two versions, and the coverage delta."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, parse_priorities, present
from goldset.cli.render import REPORT_FORMATS


@command("diff")
@click.argument("rev_a", required=False, metavar="[REV_A]")
@click.argument("rev_b", required=False, metavar="[REV_B]")
@click.option("--sample", type=click.IntRange(min=0), default=5, show_default=True, help="Changed rows shown before/after.")
@click.option("--no-coverage", is_flag=True, help="Rows only; skip the coverage delta.")
@click.option("--fail-on", callback=parse_priorities, metavar="P0,P1", help="Blocking priorities for the gate (default: each side's spec).")
@click.option("--gate", is_flag=True, help="Exit 1 when the change flips the coverage gate from pass to fail.")
@output_options(REPORT_FORMATS)
def diff_cmd(
    g: GoldsetContext, rev_a: str | None, rev_b: str | None, sample: int, no_coverage: bool,
    fail_on: list[str] | None, gate: bool, fmt: str, output: Path | None,
) -> None:
    """Examples added, removed and changed between two versions, per-field change counts, a
    sample before/after, then the coverage delta per scenario and whether the gate flips.

    With no revision: HEAD against the working store. With one: REV_A against the working
    store. Revisions are commits, tags or branches (see `goldset log`).

    \b
    goldset diff                      # what the next snapshot would record
    goldset diff v6 v7 --format markdown > pr-comment.md
    goldset diff main --gate          # in CI: fail if this branch breaks the launch bar
    """
    from goldset.errors import CheckFailed
    from goldset.history import diff

    report = diff(g.workspace(), g.dataset_name, rev_a or "HEAD", rev_b, sample=sample,
                  coverage=not no_coverage, fail_on=fail_on)
    present(report, fmt, output)
    if gate and report.gate_flip == "pass_to_fail":
        raise CheckFailed(f"diff: the coverage gate flips from pass to fail ({', '.join(report.gate.failing_after) if report.gate else ''})")

"""``goldset doctor``: check a dataset's store; rebuild a damaged manifest."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import REPORT_FORMATS


@command("doctor")
@click.option("--repair", is_flag=True, help="Rebuild a damaged manifest from the parts that are provably live (audited; deletes nothing).")
@output_options(REPORT_FORMATS)
def doctor_cmd(g: GoldsetContext, repair: bool, fmt: str, output: Path | None) -> None:
    """Check the store of a dataset: the manifest, its parts, stray files, leftovers of an
    interrupted write. Exit 0 when healthy (or repaired), 6 when damaged.

    \b
    goldset doctor                 # what is wrong, and what a repair would write
    goldset doctor --repair        # rebuild the manifest; nothing is deleted
    """
    from goldset.errors import StoreError
    from goldset.workspace import doctor

    report = doctor(g.dataset(), repair=repair)
    present(report, fmt, output)
    if report.status == "damaged" and not report.repaired:
        raise StoreError(f"{report.store} is damaged: {report.problem}; see above")

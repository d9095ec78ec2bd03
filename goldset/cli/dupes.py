"""``goldset dupes``: near-duplicate inputs, probable label conflicts; tag or retire them."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import REPORT_FORMATS


@command("dupes")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=0.8, show_default=True,
              help="Jaccard similarity of two inputs' shingle sets at which they are near-duplicates.")
@click.option("--scope", type=click.Choice(["within", "across-scenarios"]), default="across-scenarios", show_default=True,
              help="within: only pairs that share a scenario; across-scenarios: every pair.")
@click.option("--shingles", type=click.Choice(["word", "char"]), default="word", show_default=True,
              help="word: the distinct words (word order and slot fills do not count); char: 3-character "
                   "pieces (typos, plurals; languages written without spaces).")
@click.option("--tag-edge-case", metavar="E", help="Tag every member of every cluster with edge case E (must be in the catalogue).")
@click.option("--retire", is_flag=True, help="Retire all members but one per cluster (see --keep).")
@click.option("--keep", type=click.Choice(["oldest", "approved"]), default=None,
              help="With --retire: the member kept is the oldest, or the oldest approved one [default: oldest].")
@click.option("--dry-run", is_flag=True, help="With --tag-edge-case/--retire: say what would change; write nothing.")
@click.option("--note", help="Why (kept in the audit log of a tag or retire).")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Clusters shown in a table or Markdown (0: all); JSON has every cluster.")
@output_options(REPORT_FORMATS)
def dupes_cmd(
    g: GoldsetContext, threshold: float, scope: str, shingles: str, tag_edge_case: str | None, retire: bool,
    keep: str | None, dry_run: bool, note: str | None, limit: int, fmt: str, output: Path | None,
) -> None:
    """Find near-duplicate inputs (MinHash LSH, every pair verified exactly), clustered;
    clusters whose positives expect different outputs are probable label conflicts.

    \b
    goldset dupes                                   # clusters at Jaccard >= 0.8
    goldset dupes --scope within --threshold 0.9 -f json
    goldset dupes --tag-edge-case near_duplicate    # the edge case must exist (goldset edge-case add)
    goldset dupes --retire --keep approved --dry-run
    """
    from goldset.errors import UsageError
    from goldset.hygiene import find_near_duplicates

    if keep is not None and not retire:
        raise UsageError("--keep goes with --retire")
    if dry_run and not (retire or tag_edge_case):
        raise UsageError("--dry-run goes with --tag-edge-case or --retire (finding duplicates writes nothing)")
    report = find_near_duplicates(
        g.dataset(), threshold=threshold, scope=scope, shingles=shingles,  # type: ignore[arg-type]
        tag_edge_case=tag_edge_case, retire=retire, keep=keep or "oldest",  # type: ignore[arg-type]
        dry_run=dry_run, note=note,
    )
    present(report, fmt, output, limit=limit)

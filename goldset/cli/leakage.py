"""``goldset leakage``: golden inputs found in training data, exactly or nearly."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import REPORT_FORMATS


@command("leakage")
@click.argument("train", nargs=-1, type=click.Path(path_type=Path))
@click.option("--column", metavar="NAME", help="The training text's column or key [default: leakage.column in goldset.yaml, else text].")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True),
              help="Jaccard similarity at which a training text is a near match [default: leakage.threshold in goldset.yaml, else 0.8].")
@click.option("--shingles", type=click.Choice(["word", "char"]),
              help="word or char shingles, as for dupes [default: leakage.shingles in goldset.yaml, else word].")
@click.option("--fail-on-tier", "fail_on_tiers", multiple=True, metavar="T",
              help="Exit 1 if an example of tier T is in the training data. Repeatable [default: leakage.fail_on_tiers].")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Leaked examples shown in a table or Markdown (0: all); JSON has every one.")
@output_options(REPORT_FORMATS)
def leakage_cmd(
    g: GoldsetContext, train: tuple[Path, ...], column: str | None, threshold: float | None, shingles: str | None,
    fail_on_tiers: tuple[str, ...], limit: int, fmt: str, output: Path | None,
) -> None:
    """Check the golden inputs against training data TRAIN (JSONL, CSV or Parquet files, or
    directories of them; default: leakage.train in goldset.yaml): exact matches (the
    normalized input) and near ones (Jaccard of shingle sets). Exit 1 when an example of a
    fail-on tier is found.

    \b
    goldset leakage data/train.jsonl --column prompt
    goldset leakage                      # the spec's leakage: train, column, threshold, fail_on_tiers
    goldset leakage train/ --fail-on-tier blocking -f json
    """
    from goldset.hygiene import find_leakage, leakage_gate

    report = find_leakage(
        g.dataset(), list(train) or None, column=column, threshold=threshold, shingles=shingles,  # type: ignore[arg-type]
        fail_on_tiers=list(fail_on_tiers) or None,
    )
    present(report, fmt, output, limit=limit)
    leakage_gate(report)

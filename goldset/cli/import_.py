"""``goldset import``: examples from a JSONL, CSV or Parquet file, all or none."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present, say
from goldset.cli.render import RESULT_FORMATS
from goldset.vocab import ON_DUPLICATE, STATUSES

#: = goldset.ingest's reader formats (not imported here: --help stays cheap).
INPUT_FORMATS = ("jsonl", "csv", "parquet")


@command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--input-format", "file_format", type=click.Choice(INPUT_FORMATS),
              help="Format of FILE (default: from the extension: .jsonl/.json, .csv, .parquet).")
@click.option("--map", "maps", multiple=True, metavar="SRC=FIELD",
              help="Read column SRC as FIELD (input, expected, scenarios, ...). Repeatable.")
@click.option("--scenario", "scenarios", multiple=True, metavar="S", help="Tag every row with scenario S. Repeatable.")
@click.option("--edge-case", "edge_cases", multiple=True, metavar="E", help="Tag every row with edge case E. Repeatable.")
@click.option("--tier", metavar="T", help="Tier for new rows that give none (default: the spec's default_tier).")
@click.option("--negative", is_flag=True, help="New rows that give no polarity are negatives (must-not / must-decline).")
@click.option("--status", type=click.Choice(STATUSES),
              help="Status for new rows that give none (default: draft). approved is an approval: it needs "
                   "the review right, records you as reviewer, and is refused under review.require_distinct_reviewer.")
@click.option("--source", default="unknown", show_default=True, help="Where the rows come from (production, expert, synthetic, ...).")
@click.option("--on-duplicate", type=click.Choice(ON_DUPLICATE), default="error", show_default=True,
              help="An id already stored (or repeated in the file) with different content: fail, keep the stored "
                   "row (first in the file), or change the fields the file gives (last in the file wins).")
@click.option("--keep-approval", is_flag=True,
              help="With update: approved examples whose input, expected or polarity change stay approved, "
                   "you as reviewer (needs the review right); without it they go back to draft.")
@click.option("--restore-removed", is_flag=True, help="Add back ids that were removed with `goldset remove` (else they stay removed).")
@click.option("--dry-run", is_flag=True, help="Print what the import would do (added, updated per field, unchanged, refused); write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Write the good rows even when some are bad.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), help="Write bad rows with their reasons here (JSON lines).")
@output_options(RESULT_FORMATS)
@click.option("--output-format", "legacy_fmt", type=click.Choice(RESULT_FORMATS), hidden=True,
              help="Deprecated: use --format/-f.")
def import_cmd(
    g: GoldsetContext, file: Path, file_format: str | None, maps: tuple[str, ...], scenarios: tuple[str, ...],
    edge_cases: tuple[str, ...], tier: str | None, negative: bool, status: str, source: str,
    on_duplicate: str, keep_approval: bool, restore_removed: bool, dry_run: bool, skip_invalid: bool,
    rejects: Path | None, fmt: str, output: Path | None, legacy_fmt: str | None,
) -> None:
    """Import examples from FILE: all rows or none (unless --skip-invalid).

    Fields a row may carry: id, input (required), expected, polarity, scenarios,
    edge_cases, tier, status, source, metadata. Other fields are kept in metadata. Without
    an id, the id is derived from the normalized input, so the same input is the same
    example. Every bad row is reported with its line (JSONL) or row (CSV, Parquet).

    An id already stored: --on-duplicate update changes only the fields the file gives (a
    column absent, or null, keeps the stored value), each with the right that owns it; an
    approved example whose content changes goes back to draft unless --keep-approval. Ids
    removed with `goldset remove` stay removed unless --restore-removed.

    \b
    goldset import refunds.jsonl --scenario refund_request --status approved
    goldset import export.csv --map question=input --map label=expected
    goldset import fixes.jsonl --on-duplicate update --dry-run
    goldset import dump.txt --input-format jsonl -f json
    goldset import oos.jsonl --negative --scenario out_of_scope --rejects bad.jsonl
    """
    if legacy_fmt is not None:
        say("warning: --output-format is deprecated; use --format/-f (the input format is --input-format)")
        fmt = legacy_fmt
    from goldset.ingest import ImportDefaults, import_file, parse_mapping

    ds = g.dataset()
    defaults = ImportDefaults(
        scenarios=list(scenarios), edge_cases=list(edge_cases), tier=tier,
        polarity="negative" if negative else None, status=status, source=source,
    )
    with _progress(file) as progress:
        result = import_file(  # type: ignore[call-overload]  # on_duplicate: click's Choice is a str
            ds, file, fmt=file_format, mapping=parse_mapping(list(maps)), defaults=defaults,
            on_duplicate=on_duplicate,
            skip_invalid=skip_invalid, rejects=rejects, progress=progress,
            keep_approval=keep_approval, restore_removed=restore_removed, dry_run=dry_run,
        )
    present(result, fmt, output, rejects=rejects)


class _progress:
    """A progress bar on a TTY for big files; nothing otherwise."""

    def __init__(self, file: Path) -> None:
        import sys

        self.total = file.stat().st_size if file.is_file() else 0
        self.active = sys.stderr.isatty() and self.total > 8 << 20
        self._p: object = None

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.active:
            return None
        from rich.progress import Progress

        p = Progress(transient=True)
        p.start()
        task = p.add_task("importing", total=self.total)
        self._p = p
        return lambda n: p.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()  # type: ignore[attr-defined]

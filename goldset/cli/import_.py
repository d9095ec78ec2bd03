from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, emit, say
from goldset.cli.results import render_write


@command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["jsonl", "csv", "parquet"]),
              help="Input format (default: from the extension: .jsonl/.json, .csv, .parquet).")
@click.option("--map", "maps", multiple=True, metavar="SRC=FIELD",
              help="Read column SRC as FIELD (input, expected, scenarios, ...). Repeatable.")
@click.option("--scenario", "scenarios", multiple=True, metavar="S", help="Tag every row with scenario S. Repeatable.")
@click.option("--edge-case", "edge_cases", multiple=True, metavar="E", help="Tag every row with edge case E. Repeatable.")
@click.option("--tier", metavar="T", help="Tier for rows that give none (default: the spec's default_tier).")
@click.option("--negative", is_flag=True, help="Rows that give no polarity are negatives (must-not / must-decline).")
@click.option("--status", type=click.Choice(["draft", "approved", "retired"]), default="draft", show_default=True,
              help="Status for rows that give none; approved also records you as reviewer.")
@click.option("--source", default="unknown", show_default=True, help="Where the rows come from (production, expert, synthetic, ...).")
@click.option("--on-duplicate", type=click.Choice(["error", "skip", "update"]), default="error", show_default=True,
              help="An id already stored (or repeated in the file) with different content: fail, keep the first, or replace.")
@click.option("--skip-invalid", is_flag=True, help="Write the good rows even when some are bad.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), help="Write bad rows with their reasons here (JSON lines).")
@click.option("--output-format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="How to print the result (json for scripts).")
def import_cmd(
    g: GoldsetContext, file: Path, file_format: str | None, maps: tuple[str, ...], scenarios: tuple[str, ...],
    edge_cases: tuple[str, ...], tier: str | None, negative: bool, status: str, source: str,
    on_duplicate: str, skip_invalid: bool, rejects: Path | None, fmt: str,
) -> None:
    """Import examples from FILE: all rows or none (unless --skip-invalid).

    Fields a row may carry: id, input (required), expected, polarity, scenarios,
    edge_cases, tier, status, source, metadata. Other fields are kept in metadata. Without
    an id, the id is derived from the normalized input, so the same input is the same
    example. Every bad row is reported with its line (JSONL) or row (CSV, Parquet).

    \b
    goldset import refunds.jsonl --scenario refund_request --status approved
    goldset import export.csv --map question=input --map label=expected
    goldset import oos.jsonl --negative --scenario out_of_scope --rejects bad.jsonl
    """
    from goldset.importer import import_file, parse_mapping
    from goldset.ingest import ImportDefaults

    ds = g.dataset()
    defaults = ImportDefaults(
        scenarios=list(scenarios), edge_cases=list(edge_cases), tier=tier,
        polarity="negative" if negative else None, status=status, source=source,
    )
    with _progress(file) as progress:
        result = import_file(
            ds, file, fmt=file_format, mapping=parse_mapping(list(maps)), defaults=defaults,
            on_duplicate=on_duplicate,  # type: ignore[arg-type]
            skip_invalid=skip_invalid, rejects=rejects, progress=progress,
        )
    if result.rejected:
        say(f"skipped {result.rejected} bad row(s)" + (f"; reasons in {rejects}" if rejects else "; pass --rejects FILE to keep them"))
        for line in result.problems[:10]:
            say(f"  {line}")
    emit(render_write(result, fmt))


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

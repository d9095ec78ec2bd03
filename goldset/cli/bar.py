"""``goldset bar show|set``: the launch bar a model run must meet (PM)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from goldset.cli.context import GoldsetContext, command, common_options, output_options, present
from goldset.cli.render import RESULT_FORMATS, ROW_FORMATS
from goldset.vocab import PRIORITIES

F = TypeVar("F", bound=Callable[..., Any])


@click.group("bar", context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def bar_cmd() -> None:
    """The launch bar (PM): what a model run must achieve per scenario and tier.

    Levels: the defaults < a priority < a scenario (a tier's bar applies to all its
    examples; the strictest tier allows no failure unless told otherwise).

    \b
    goldset bar show
    goldset bar set --priority P0 --min-pass-rate 0.95 --min-negative-pass-rate 0.99
    goldset bar set --tier blocking --max-failures 0
    goldset bar set --scenario refund_request --max-p95-latency-ms 2000
    goldset bar set --default --min-examples-for-verdict 30
    """


@command("show")
@output_options(ROW_FORMATS)
def _show(g: GoldsetContext, fmt: str, output: Path | None) -> None:
    """The bar that applies to each scenario and tier, levels merged."""
    from goldset.curation import show_launch_bar

    present(show_launch_bar(g.dataset()), "json" if fmt in ("jsonl", "csv") else fmt, output, kind="EffectiveBar")


_INTS = ("max_failures", "min_examples_for_verdict")


def _limit(name: str, text: str) -> Callable[[F], F]:
    return click.option(f"--{name.replace('_', '-')}", name, metavar="N|none", help=text + " ('none' removes it).")


def _value(name: str, text: str) -> float | int | None:
    from goldset.errors import UsageError

    if text.strip().lower() == "none":
        return None
    try:
        return int(text) if name in _INTS else float(text)
    except ValueError:
        kind = "a whole number" if name in _INTS else "a number"
        raise UsageError(f"--{name.replace('_', '-')}: {text!r} is not {kind} (or 'none')") from None


@command("set")
@click.option("--default", "at_default", is_flag=True, help="Set the defaults every scenario starts from.")
@click.option("--priority", type=click.Choice(PRIORITIES), help="Set the bar of every scenario of this priority.")
@click.option("--tier", help="Set the bar of a tier (over all its examples).")
@click.option("--scenario", help="Set one scenario's own bar (it overrides its priority's).")
@_limit("min_pass_rate", "Lowest pass rate accepted (0-1)")
@_limit("max_failures", "Most failures accepted")
@_limit("min_negative_pass_rate", "Lowest pass rate on negatives (0-1)")
@_limit("max_p95_latency_ms", "Slowest p95 latency accepted, in ms")
@_limit("max_cost_per_1k_usd", "Highest cost per 1,000 examples, in USD")
@_limit("min_examples_for_verdict", "Fewer examples give 'not enough evidence'")
@click.option("--note", help="Why (kept in the audit log).")
@output_options(RESULT_FORMATS)
def _set(g: GoldsetContext, at_default: bool, priority: str | None, tier: str | None, scenario: str | None,
         note: str | None, fmt: str, output: Path | None, **limits: Any) -> None:
    """Set limits of the launch bar at one level (audited; role pm)."""
    from goldset.curation import set_launch_bar
    from goldset.errors import UsageError

    levels: list[tuple[str, str | None]] = [
        (lv, k) for lv, k in (("priority", priority), ("tier", tier), ("scenario", scenario)) if k is not None]
    if at_default:
        levels.append(("default", None))
    if len(levels) != 1:
        raise UsageError("bar set: name exactly one of --default, --priority, --tier, --scenario")
    level, key = levels[0]
    values = {k: _value(k, v) for k, v in limits.items() if v is not None}
    present(set_launch_bar(g.dataset(), level, key, values, note=note), fmt, output)  # type: ignore[arg-type]


for _cmd in (_show, _set):
    bar_cmd.add_command(_cmd)

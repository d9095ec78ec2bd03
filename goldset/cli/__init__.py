"""The ``goldset`` command: a thin adapter over the library.

Each verb lives in its own module (``goldset/cli/<verb>.py``), loaded only when that verb runs,
and imports the library inside its function body, so ``goldset --help`` pays for click alone.
Errors become exit codes in one place: :func:`main`.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from goldset.cli.context import common_options

#: verb -> (module, short help). The help is repeated here so ``goldset --help`` need not
#: import every command module.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("goldset.cli.init", "Make a directory a goldset workspace (git + DVC + spec)."),
    "import": ("goldset.cli.import_", "Import examples from a JSONL, CSV or Parquet file."),
    "add": ("goldset.cli.add", "Add one example from the command line."),
    "list": ("goldset.cli.list_", "List examples, filtered."),
    "show": ("goldset.cli.show", "Show one example."),
    "stats": ("goldset.cli.stats", "Counts by status, polarity, tier and scenario."),
    "query": ("goldset.cli.query", "Run SQL over the examples (table `examples`)."),
    "remove": ("goldset.cli.remove", "Remove examples by id."),
    "snapshot": ("goldset.cli.snapshot", "Record the dataset as a version: dvc add, git commit, tag, dvc push."),
    "pull": ("goldset.cli.pull", "Check out the store each dataset's commit names (dvc pull/checkout)."),
    "log": ("goldset.cli.log", "The dataset's versions: commit, tag, date, author, rows, gate."),
    "reports": ("goldset.cli.reports", "Write reports/ for the current data: what a snapshot commits (the dvc.yaml stage)."),
    "diff": ("goldset.cli.diff", "Row-level diff between two versions, with the coverage delta."),
    "merge": ("goldset.cli.merge", "Finish a git merge of a dataset: row by row, field by field; resolve conflicts."),
    "merge-driver": ("goldset.cli.merge", "git's merge driver for datasets/*.dvc and audit logs (installed by init)."),
    "restore": ("goldset.cli.restore", "Bring the dataset back to a past version, as a new audited change."),
    "scenario": ("goldset.cli.scenario", "The scenario taxonomy: add, list, show, edit, remove."),
    "edge-case": ("goldset.cli.edge_case", "The edge-case catalogue: add, list, remove."),
    "tag": ("goldset.cli.tag", "Tag examples by id or --where: scenarios, edge cases, tier, polarity."),
    "edit": ("goldset.cli.edit", "Edit one example's input, expected, source or metadata."),
    "review": ("goldset.cli.review", "Approve, reject or retire examples."),
    "audit": ("goldset.cli.audit", "Who changed what: the audit log."),
    "compact": ("goldset.cli.compact", "Merge small store parts."),
    "doctor": ("goldset.cli.doctor", "Check a dataset's store for damage; --repair rebuilds its manifest."),
    "coverage": ("goldset.cli.coverage", "Are the priority scenarios covered well enough to launch? (--gate for CI)"),
    "validate": ("goldset.cli.validate", "Validate the dataset with its Great Expectations suite."),
    "expectations": ("goldset.cli.expectations", "The Great Expectations suite: generate the default, keep yours."),
    "pii": ("goldset.cli.pii", "Personal data: redact validated PII with typed placeholders (audited)."),
    "serve": ("goldset.cli.serve", "Serve the HTTP API and the web app (tokens from 'goldset user')."),
    "user": ("goldset.cli.user", "Users of the server: tokens and roles (add, list, revoke)."),
    "check": ("goldset.cli.check", "CI gate: validate + coverage gate, one JSON document, one exit code."),
    "dupes": ("goldset.cli.dupes", "Near-duplicate inputs (MinHash LSH), probable label conflicts; tag or retire them."),
    "run": ("goldset.cli.run", "Model runs: add outputs, report against the launch bar, compare two runs."),
    "launch": ("goldset.cli.launch", "May this run's model ship? Validation + coverage gate + launch bar, one exit code."),
    "bar": ("goldset.cli.bar", "The launch bar a model run must meet: show, set (PM)."),
    "leakage": ("goldset.cli.leakage", "Golden inputs found in training data (JSONL, CSV, Parquet), exactly or nearly."),
}

#: Verbs run by tools, not people: left out of ``goldset --help``.
HIDDEN = frozenset({"merge-driver"})


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        import importlib

        module = importlib.import_module(entry[0])
        cmd = getattr(module, cmd_name.replace("-", "_") + "_cmd")
        assert isinstance(cmd, click.Command)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx) if name not in HIDDEN]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.version_option(package_name="goldset", prog_name="goldset")
def cli(**_: Any) -> None:
    """goldset: the golden dataset of an ML/LLM product, curated by PMs, researchers and
    engineers, kept in git + DVC, validated with Great Expectations, gated on coverage.

    \b
    Start:   goldset init --dataset support-bot
    Import:  goldset import examples.jsonl --scenario refund_request
    Look:    goldset stats; goldset list --scenario refund_request
    Query:   goldset query "SELECT tier, count(*) FROM examples GROUP BY tier"

    Exit codes: 0 ok, 1 check failed, 2 usage, 3 bad input, 4 permission denied,
    5 workspace or spec problem, 6 store locked or damaged, 7 git or DVC failed.
    """


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn every expected error into one line on stderr and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    from goldset.errors import BadInput, GoldsetError

    bad = _undecodable(args)
    if bad is not None:
        _fail(BadInput(bad), BadInput.exit_code)
    try:
        cli.main(args=args, prog_name="goldset", standalone_mode=False)
    except GoldsetError as exc:
        if debug:
            raise
        _fail(exc, exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        # One line, like every other error: what is wrong, and where the help is.
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        click.echo(f"error: {_one_line(exc.format_message())}{hint}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted; the store is unchanged unless the write had committed.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(0)


def _undecodable(args: list[str]) -> str | None:
    """The error for the first argument that is not valid UTF-8 (Python keeps its bytes as
    lone surrogates), naming the option or argument it is the value of; None if all are."""
    import re

    for i, arg in enumerate(args):
        m = re.search("[\ud800-\udfff]+", arg)
        if m is None:
            continue
        raw = m.group().encode("utf-8", "surrogateescape") if all("\udc80" <= c <= "\udcff" for c in m.group()) else None
        shown = f"bytes {raw.hex(' ')}" if raw is not None else f"lone surrogate \\u{ord(m.group()[0]):04x}"
        return f"{_param_name(args, i)}: not valid UTF-8 ({shown}); pass text in UTF-8"
    return None


def _param_name(args: list[str], index: int) -> str:
    """What ``args[index]`` is the value of: an option (``--expected``) or a positional
    argument (``INPUT``), found by walking the command's parameters the way click parses."""
    if args[index].startswith("--") and "=" in args[index]:
        return args[index].split("=", 1)[0]
    cmd: click.Command = cli
    ctx = click.Context(cli)
    positional = 0
    option: str | None = None  # the option whose value the next token is
    for i, token in enumerate(args[:index + 1]):
        if option is not None:
            if i == index:
                return option
            option = None
            continue
        if token.startswith("-") and token != "-":
            name = token.split("=", 1)[0]
            match = next((p for p in cmd.params if isinstance(p, click.Option) and name in p.opts + p.secondary_opts), None)
            if match is not None and not match.is_flag and not match.count and "=" not in token:
                option = name
            continue
        if isinstance(cmd, click.Group):
            sub = cmd.get_command(ctx, token)
            if sub is not None:
                cmd, ctx, positional = sub, click.Context(sub, parent=ctx), 0
                continue
        if i == index:
            arguments = [p for p in cmd.params if isinstance(p, click.Argument)]
            if arguments:
                return arguments[min(positional, len(arguments) - 1)].human_readable_name
            break
        positional += 1
    return f"argument {index + 1}"


def _one_line(text: str) -> str:
    """``text`` as one terminal line: whitespace runs (click's choice lists) folded, and every
    other control character escaped, so a user name or a value with a newline or an escape
    sequence can neither forge a second line nor drive the terminal."""
    import re

    folded = re.sub(r":?\n\t", lambda m: ": " if m.group().startswith(":") else " ", text)  # click's choice lists
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", lambda m: repr(m.group())[1:-1], folded)


def _fail(exc: Exception, code: int) -> None:
    click.echo(f"error: {_one_line(str(exc))}", err=True)
    for line in getattr(exc, "problems", [])[:50]:
        click.echo(f"  {_one_line(str(line))}", err=True)
    sys.exit(code)

"""Options every command shares, and the object they fill: where the workspace is, which
dataset, debug. Commands get the library objects from it, never build them themselves."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from goldset.workspace import Dataset, Workspace

F = TypeVar("F", bound=Callable[..., Any])


class GoldsetContext:
    def __init__(self) -> None:
        self.workspace_path: str = "."
        self.dataset_name: str | None = None
        self.debug = False
        self.rev: str | None = None
        self._ws: Workspace | None = None

    def workspace(self) -> Workspace:
        """The workspace; as of ``--rev`` (read-only) when a read command was given one."""
        if self._ws is None:
            from goldset.workspace import Workspace

            ws = Workspace.open(self.workspace_path)
            if self.rev is not None:  # only then pay for importing the history package
                from goldset.history import open_revision

                ws = open_revision(ws, self.rev)
            self._ws = ws
        return self._ws

    def dataset(self) -> Dataset:
        return self.workspace().dataset(self.dataset_name)


def _obj(ctx: click.Context) -> GoldsetContext:
    root = ctx.find_root()
    if not isinstance(root.obj, GoldsetContext):
        root.obj = GoldsetContext()
    return root.obj


def _set(attr: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _: click.Parameter, value: Any) -> Any:
        if value is not None and value is not False:
            setattr(_obj(ctx), attr, value)
        return value

    return callback


def common_options(f: F) -> F:
    """-C/--workspace, --dataset and --debug, accepted before or after the verb."""
    f = click.option("--debug", is_flag=True, expose_value=False, callback=_set("debug"), is_eager=True,
                     help="Show tracebacks for errors.")(f)
    f = click.option("--dataset", "-d", metavar="NAME", expose_value=False, callback=_set("dataset_name"),
                     help="Dataset to work on (default: the spec's default_dataset, or the only one).")(f)
    f = click.option("-C", "--workspace", metavar="PATH", expose_value=False, callback=_set("workspace_path"),
                     help="Run as if started in PATH (default: the current directory).")(f)
    return f


def rev_option(f: F) -> F:
    """--rev REV on a read command: read the dataset as of a git revision or tag."""
    return click.option(
        "--rev", metavar="REV", expose_value=False, callback=_set("rev"),
        help="Read the dataset as of git revision REV (commit, tag, branch) without checking it out.",
    )(f)


def pass_goldset(f: F) -> F:
    """Give the command the shared :class:`GoldsetContext` as first argument."""

    @functools.wraps(f)  # also carries click's __click_params__ over
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return f(_obj(click.get_current_context()), *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def command(name: str, **kwargs: Any) -> Callable[[F], click.Command]:
    """A goldset command: click command + common options + the shared context."""

    def decorate(f: F) -> click.Command:
        make = click.command(name, context_settings={"help_option_names": ["-h", "--help"]}, **kwargs)
        cmd: click.Command = make(common_options(pass_goldset(f)))  # type: ignore[no-untyped-call]  # click's overloads lose the type through **kwargs
        return cmd

    return decorate


def output_options(formats: tuple[str, ...], default: str = "table") -> Callable[[F], F]:
    """-f/--format (one of ``formats``, from :mod:`goldset.cli.render`) and -o/--output PATH
    (``-``: stdout), for every verb that returns a result; hand both to :func:`present`."""

    def decorate(f: F) -> F:
        f = click.option(
            "--output", "-o", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), metavar="PATH",
            help="Write to PATH instead of stdout, atomically, with a summary line on stderr ('-': stdout).",
        )(f)
        return click.option(
            "--format", "-f", "fmt", type=click.Choice(formats), default=default, show_default=True,
            help="Output format (json/jsonl parse with any JSON reader; data goes to stdout).",
        )(f)

    return decorate


def limit_options(f: F) -> F:
    """--timeout S and --memory-limit SIZE for a verb that runs SQL or a --where predicate;
    unset, the dataset's ``query:`` limits in goldset.yaml apply (default 30 s, 1GB)."""
    f = click.option(
        "--memory-limit", metavar="SIZE",
        help="Stop the query when it needs more memory than SIZE, e.g. 512MB, 2GB (default: query.memory_limit in goldset.yaml, else 1GB).",
    )(f)
    return click.option(
        "--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True), metavar="S",
        help="Stop the query after S seconds (default: query.timeout_s in goldset.yaml, else 30).",
    )(f)


def present(result: Any, fmt: str, output: Path | None, *, kind: str | None = None, **opts: Any) -> None:
    """Render ``result`` (:func:`goldset.cli.render.render`) and deliver it: warnings about it
    to stderr, then the text to stdout or to ``output``. A status message (snapshot, init,
    taxonomy edits...) in the table format goes to stderr, so stdout stays for data."""
    from goldset.cli import render

    to_stdout = output is None or str(output) == "-"
    text = render.render(result, fmt, color=color() and to_stdout, kind=kind, **opts)
    for line in render.notes(result, kind=kind, **opts):
        say(line)
    if output is None and fmt == "table" and render.lookup(result, kind).message:
        say(text.rstrip("\n"))
        return
    deliver(text, None if to_stdout else output, render.summary(result, kind=kind))


def parse_priorities(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    """A --fail-on value: a comma list of priorities, any case."""
    if value is None:
        return None
    from goldset.vocab import PRIORITIES

    given = [p.strip() for p in value.split(",") if p.strip()]
    bad = [p for p in given if p.upper() not in PRIORITIES]
    if bad or not given:
        raise click.BadParameter(f"{bad[0] if bad else value!r} is not a priority; give a comma list of {', '.join(PRIORITIES)}")
    return [p.upper() for p in given]


def emit(text: str) -> None:
    """Data to stdout."""
    click.echo(text, nl=not text.endswith("\n"))


def say(text: str) -> None:
    """Messages to stderr, so stdout stays parseable."""
    click.echo(text, err=True)


def color() -> bool:
    import sys

    return sys.stdout.isatty()


def deliver(text: str | Iterable[str], output: Path | None, summary: str | Callable[[], str]) -> None:
    """The text to stdout (``output`` None or ``-``), or atomically to ``output`` with the
    summary on stderr. ``text`` may be a stream of pieces (each ending with a newline),
    written as they come, so a large result never sits in memory whole; ``summary`` may
    then be a function, called once the stream has ended."""
    if output is None or str(output) == "-":
        if isinstance(text, str):
            emit(text)
        else:
            for piece in text:
                click.echo(piece, nl=False)
        return
    import contextlib
    import os

    from goldset.errors import BadInput
    from goldset.workspace import managed_path

    why = managed_path(output)
    if why is not None:
        raise BadInput(f"--output: refusing to write {output}: {why}; write it elsewhere (reports/ is for reports)")
    tmp = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            for piece in [text] if isinstance(text, str) else text:
                f.write(piece)
        os.replace(tmp, output)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise BadInput(f"--output: cannot write {output}: {exc.strerror or exc}") from None
    except BaseException:  # a failure mid-stream leaves no partial file behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    say(f"wrote {output}: {summary if isinstance(summary, str) else summary()}")

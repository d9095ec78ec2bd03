"""``goldset user add|list|revoke``: who may use the server (tokens) with which role (the spec's roles)."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import (
    GoldsetContext,
    command,
    common_options,
    deliver,
    emit,
    output_options,
    present,
    say,
)
from goldset.cli.render import RESULT_FORMATS, ROW_FORMATS


@click.group("user", context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def user_cmd() -> None:
    """Users of `goldset serve`: a token each (only its hash is kept, in .goldset/users.json,
    mode 0600, never committed) and a role in goldset.yaml (pm, research, eng, admin).

    \b
    goldset user add pm@acme.com --role pm     # prints the token once: hand it over privately
    goldset user list
    goldset user revoke pm@acme.com            # its tokens and sessions stop working at once

    Managing users needs the admin role once roles are set (before that, anyone may add the
    first admin). The CLI itself trusts GOLDSET_USER (an honour system for one machine); the
    server is where identity is enforced.
    """


@command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["pm", "research", "eng", "admin"]),
              help="The role, in every dataset of the spec (or --dataset's).")
@output_options(RESULT_FORMATS)
def _add(g: GoldsetContext, email: str, role: str, fmt: str, output: Path | None) -> None:
    """Give EMAIL a role and a new token; print the token once (stdout), the rest on stderr.

    \b
    goldset user add pm@acme.com --role pm
    TOKEN=$(goldset user add ci@acme.com --role eng)   # for a CI job's secret
    """
    from goldset.workspace import add_user

    result = add_user(g.workspace(), email, role, g.dataset_name)
    if fmt == "json":
        deliver(result.model_dump_json(indent=1) + "\n", output, f"user {result.email} added")
        return
    say(f"{result.email}: role {result.role} in {', '.join(result.datasets)}; the token below is shown once, "
        "only its hash is kept")
    emit(str(result.token))


@command("list")
@output_options(ROW_FORMATS)
def _list(g: GoldsetContext, fmt: str, output: Path | None) -> None:
    """Everyone with a role or a token: roles per dataset, active tokens."""
    from goldset.workspace import list_users

    rows = [{"email": u.email, "roles": ", ".join(f"{d}: {r}" for d, r in u.roles.items()),
             "active_tokens": u.active_tokens, "created_at": u.created_at} for u in list_users(g.workspace())]
    present(rows, fmt, output, kind="rows")


@command("revoke")
@click.argument("email")
@output_options(RESULT_FORMATS)
def _revoke(g: GoldsetContext, email: str, fmt: str, output: Path | None) -> None:
    """Revoke every token of EMAIL (its browser sessions end too) and remove its role."""
    from goldset.workspace import revoke_user

    result = revoke_user(g.workspace(), email, g.dataset_name)
    if fmt == "json":
        deliver(result.model_dump_json(indent=1) + "\n", output, f"user {result.email} revoked")
        return
    say(f"{result.email}: {result.revoked} token(s) revoked; role removed from {', '.join(result.datasets) or 'no dataset'}")


for _cmd in (_add, _list, _revoke):
    user_cmd.add_command(_cmd)

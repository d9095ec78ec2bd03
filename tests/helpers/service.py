"""A real goldset server for tests: `goldset serve` in a child process (uvicorn on a free
loopback port) over a real workspace (git + DVC) holding the demo golden set, with one user
per role and their tokens."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from helpers.vcs import BIN, env
from helpers.versions import free_port

REPO = Path(__file__).resolve().parent.parent.parent
#: The users of the served workspace: e-mail per role.
USERS = {"admin": "admin@example.com", "pm": "pm@example.com", "research": "research@example.com",
         "eng": "eng@example.com"}
TOKENS_FILE = "tokens.json"  # beside the workspace (never inside it)


def build_served_workspace(root: Path) -> None:
    """`goldset init` with the demo spec, the demo golden set imported and snapshotted as v1,
    then one user per role (tokens written to ``root.parent / tokens.json``)."""
    from goldset.history import init_workspace, snapshot
    from goldset.ingest import import_file
    from goldset.workspace import Workspace, add_user

    root.mkdir(parents=True)
    (root / "goldset.yaml").write_text((REPO / "goldset.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    init_workspace(root, "support-bot")
    ws = Workspace.open(root)
    import_file(ws.dataset(), REPO / "demo" / "support-bot.jsonl")
    tokens = {}
    for role, email in USERS.items():  # the first one (admin) bootstraps the roles
        tokens[role] = add_user(Workspace(root, user=USERS["admin"]), email, role).token
    snapshot(ws, None, "demo golden set, users", tag="v1")
    (root.parent / TOKENS_FILE).write_text(json.dumps(tokens), encoding="utf-8")


@dataclass
class Server:
    url: str
    root: Path
    tokens: dict[str, str]
    proc: subprocess.Popen[bytes]
    log: Path
    extra: list[str] = field(default_factory=list)

    def client(self, role: str | None = None, **kwargs: object) -> httpx.Client:
        """An HTTP client for the API, with ``role``'s bearer token (None: anonymous)."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


@contextmanager
def serve(root: Path, *args: str, tmpdir: Path | None = None) -> Iterator[Server]:
    """`goldset -C ROOT serve --port P ARGS` until the block ends; waits until it answers.
    ``tmpdir``: the server's TMPDIR (where it stages uploads), for tests that look there."""
    port = free_port()
    log = root.parent / f"serve-{port}.log"
    child_env = env() if tmpdir is None else {**env(), "TMPDIR": str(tmpdir)}
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(BIN / "goldset"), "-C", str(root), "serve", "--port", str(port), *args],
                                stdout=out, stderr=subprocess.STDOUT, env=child_env)
    url = f"http://127.0.0.1:{port}"
    tokens = json.loads((root.parent / TOKENS_FILE).read_text(encoding="utf-8"))
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"goldset serve exited {proc.returncode}: {log.read_text()}")
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"goldset serve did not answer in 30 s: {log.read_text()}")
            time.sleep(0.1)
        yield Server(url=url, root=root, tokens=tokens, proc=proc, log=log, extra=list(args))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def build_large_served_workspace(root: Path, n: int) -> dict[str, str]:
    """An n-row store of replicated CLINC150 (the benchmarks' cached builder, bench.data) in a
    workspace at ``root`` (no git: nothing here needs versions), with one user per role;
    returns the tokens (also written beside the workspace, like build_served_workspace)."""
    import shutil

    from bench.data import workspace
    from goldset.workspace import Workspace, add_user

    shutil.copytree(workspace(n), root, ignore=shutil.ignore_patterns("*.audit.jsonl", ".goldset*"))
    tokens = {}
    for role, email in USERS.items():
        tokens[role] = str(add_user(Workspace(root, user=USERS["admin"]), email, role).token)
    (root.parent / TOKENS_FILE).write_text(json.dumps(tokens), encoding="utf-8")
    return tokens

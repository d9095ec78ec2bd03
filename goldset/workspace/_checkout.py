"""Is the working store the version the checked-out commit names?

A snapshot *seals* the store's manifest with a new version id, then records in the ``meta``
of ``datasets/<name>.dvc`` (DVC keeps ``meta`` across ``dvc add``) that id, the manifest's
digest, its rows and generation. Later writes make unsealed manifests whose ``base`` is the
version they descend from. Before a command reads or writes a dataset it compares, at the
cost of one small YAML file and a string compare (no re-hash of the data):

* the manifest's digest is the recorded one: the store is that version, checked out;
* the manifest is unsealed and its ``base`` is the recorded version: local work on it (work in
  progress, which like git's uncommitted changes is not bound to a branch);
* anything else: the store is missing (a clone without ``dvc pull``), or another commit's
  version, or work on another version (``git checkout`` without ``dvc checkout``):
  :class:`NotCheckedOut`, saying what to run.

A ``.dvc`` file without goldset's ``meta`` (written by ``dvc add`` by hand, or before goldset
recorded it) proves only that the store should exist: a missing store is refused, anything
else passes. A past revision (a read-only workspace) is read from the cache by content hash,
so it is always the version its commit names and is not checked here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from goldset.errors import NotCheckedOut, WorkspaceError
from goldset.store import Manifest, write_atomic

if TYPE_CHECKING:
    from goldset.workspace._dataset import Dataset

#: The key of goldset's entry in a ``.dvc`` file's ``meta``.
META_KEY = "goldset"


class Recorded(BaseModel):
    """What the checked-out ``.dvc`` file of a dataset says about its store."""

    path: str
    #: Digest of the manifest of the snapshot (None: a .dvc without goldset's meta).
    manifest: str | None = None
    #: The version id of that manifest.
    version: str | None = None
    rows: int | None = None
    generation: int | None = None
    #: Files in the store according to DVC (0 or None: DVC recorded an empty directory).
    nfiles: int | None = None


def dvc_file(root: Path, name: str) -> Path:
    return root / "datasets" / f"{name}.dvc"


def read_recorded(root: Path, name: str) -> Recorded | None:
    """The checked-out ``.dvc`` file's record of the store, or None when there is none (a
    dataset never snapshotted). A file that is not a DVC file is one clear error."""
    path = dvc_file(root, name)
    rel = f"datasets/{name}.dvc"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"{rel}: cannot be read ({exc}); restore it with 'git checkout -- {rel}'") from None
    return parse_recorded(text, rel)


def parse_recorded(text: str, rel: str) -> Recorded:
    """The record of a ``.dvc`` file's text (``rel`` names it in messages): the checked-out
    one, or one at a past commit (``goldset log``). Not a DVC file: one WorkspaceError line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(text)
    except YAMLError as exc:
        problem = str(exc).strip().splitlines()[0]
        raise WorkspaceError(
            f"{rel}: not a DVC file goldset can read ({problem}); restore it with 'git checkout -- {rel}'"
        ) from None
    outs = data.get("outs") if isinstance(data, dict) else None
    if not (isinstance(outs, list) and outs and isinstance(outs[0], dict)):
        raise WorkspaceError(
            f"{rel}: not a DVC file goldset can read (no 'outs' entry); restore it with 'git checkout -- {rel}'"
        )
    meta = data.get("meta")
    mine: Any = meta.get(META_KEY) if isinstance(meta, dict) else None
    recorded = Recorded(path=rel, nfiles=_int(outs[0].get("nfiles")))
    if isinstance(mine, dict) and isinstance(mine.get("manifest"), str):
        recorded.manifest = mine["manifest"]
        recorded.version = mine.get("version") if isinstance(mine.get("version"), str) else None
        recorded.rows = _int(mine.get("rows"))
        recorded.generation = _int(mine.get("generation"))
    return recorded


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check(ds: Dataset, manifest: Manifest, recorded: Recorded | None) -> str | None:
    """Raise :class:`NotCheckedOut` unless ``manifest`` is the store the checked-out commit
    names, or local work on it. Returns the version a write on ``manifest`` descends from
    when the manifest cannot say it itself (a store not written yet, standing for the
    recorded empty version), else None."""
    if recorded is None:
        return None
    if recorded.manifest is None:  # a .dvc without goldset's record: only "it must exist"
        if manifest.digest is None and recorded.nfiles:
            raise _not_here(ds, recorded)
        return None
    if manifest.digest == recorded.manifest:
        return None
    if is_local_work(manifest, recorded):
        return None
    if manifest.digest is None:
        if recorded.rows == 0:  # an empty version: nothing to fetch; writes descend from it
            return recorded.version
        raise _not_here(ds, recorded)
    raise _other_commit(ds, manifest, recorded)


def is_local_work(manifest: Manifest, recorded: Recorded) -> bool:
    """``manifest`` holds writes made since the recorded version was checked out."""
    return manifest.version is None and manifest.base is not None and manifest.base == recorded.version


def head_commit(root: Path, short: bool = False) -> str | None:
    """The checked-out commit's id (None outside git or before the first commit)."""
    try:
        proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", *(["--short=12"] if short else []), "HEAD"],
                              cwd=root, capture_output=True, text=True, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except OSError:
        return None
    return proc.stdout.strip() or None


def _commit(root: Path) -> str:
    """The short id of the checked-out commit, for messages (the error path only)."""
    return head_commit(root, short=True) or "HEAD"


def _expects(recorded: Recorded) -> str:
    if recorded.manifest is None:
        return f"{recorded.nfiles} file(s)"
    rows = "" if recorded.rows is None else f"{recorded.rows:,} rows, "
    return f"{rows}version {(recorded.version or recorded.manifest)[:12]}"


def _not_here(ds: Dataset, recorded: Recorded) -> NotCheckedOut:
    root = ds.workspace.root
    return NotCheckedOut(
        f"the store of {ds.name} at commit {_commit(root)} is not on this machine (the commit "
        f"has {_expects(recorded)}); run 'goldset pull' to fetch it"
    )


def _other_commit(ds: Dataset, manifest: Manifest, recorded: Recorded) -> NotCheckedOut:
    root = ds.workspace.root
    if manifest.version is not None:
        have = f"the working store is version {manifest.version[:12]} ({manifest.rows:,} rows)"
    elif manifest.base is not None:
        have = f"the working store holds changes made on version {manifest.base[:12]} ({manifest.rows:,} rows)"
    else:
        have = f"the working store ({manifest.rows:,} rows) was never snapshotted"
    return NotCheckedOut(
        f"the store of {ds.name} is not the one commit {_commit(root)} names: the commit has "
        f"{_expects(recorded)}, {have}; was 'git checkout' run without 'dvc checkout'? "
        "Run 'goldset pull' to check out the commit's store"
    )


def record_version(root: Path, name: str, manifest: Manifest, merge: dict[str, Any] | None = None) -> None:
    """Write the sealed ``manifest``'s version into ``meta`` of the store's ``.dvc`` file (after
    ``dvc add``), keeping the rest of the file as DVC wrote it; atomically. ``merge``: what a
    merge made this version of (the versions it joined, its counts), recorded beside it."""
    from io import StringIO

    from ruamel.yaml import YAML

    path = dvc_file(root, name)
    yaml = YAML()  # round trip: DVC's own formatting stays
    yaml.preserve_quotes = True
    data = yaml.load(path.read_text(encoding="utf-8"))
    meta = data.get("meta")
    if not isinstance(meta, dict):
        meta = data["meta"] = {}
    meta[META_KEY] = {"manifest": manifest.digest, "version": manifest.version, "rows": manifest.rows,
                      "generation": manifest.generation, **({"merge": merge} if merge else {})}
    out = StringIO()
    yaml.dump(data, out)
    write_atomic(path, out.getvalue())

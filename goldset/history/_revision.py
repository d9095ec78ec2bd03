"""A workspace as of a git revision: read-only, materialized without checking anything out.

``at(ws, rev)`` returns a :class:`RevisionWorkspace` whose spec is the revision's
``goldset.yaml`` and whose datasets are the revision's DVC-tracked stores, so every reader
(list, show, stats, query, coverage, validate, diff) works on it unchanged. Writes raise.

Caches under ``<root>/.goldset/cache/`` (ignored by git through its own ``.gitignore``):

* ``rev/<commit>/``: the revision's git-tracked files goldset reads (``goldset.yaml``,
  ``expectations/``, ``reports/``, ``datasets/*.audit.jsonl``), read with ``git cat-file``;
* ``stores/<md5>/``: one dataset store (live parts and tombstones), keyed by the ``.dir`` hash
  of its ``.dvc`` file (so commits that share data share a copy), fetched through ``dvc.api.DVCFileSystem`` at that
  revision: from the local DVC cache when it is there, else from the DVC remote;
* ``spec/<blob>.json``: a revision's parsed spec, keyed by the git blob id of its
  ``goldset.yaml`` (YAML parsing of a 150-scenario spec costs ~0.3 s; this costs ~1 ms).

Each is built in a temp file or directory and renamed into place, so a reader never sees half a
copy, and each is immutable once there (a commit's tree and a content hash never change).

The data is fetched as whole files and then read by DuckDB from local disk: reading Parquet
with pyarrow's threads *through* the DVC filesystem aborted the process at exit in 7 of 8 runs
(see docs/architecture.md), and DuckDB over local files is faster anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from goldset.errors import BadInput, GoldsetError, ReadOnly, StoreError, VcsError, WorkspaceError
from goldset.history import _vcs as vcs
from goldset.spec import (
    SPEC_FILE,
    Spec,
    check_dataset_name,
    parse_spec,
)
from goldset.store import MANIFEST, REMOVED_DIR, Manifest, Store, write_atomic
from goldset.workspace import Dataset, Workspace

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Git-tracked paths a revision's readers need (the data itself comes from DVC).
_TREE_PATHS = (SPEC_FILE, "expectations", "reports", "datasets")


def cache_root(root: Path) -> Path:
    """``<root>/.goldset/cache``, inside the workspace's self-ignoring state directory."""
    cache = Workspace(root).state_dir() / "cache"
    cache.mkdir(exist_ok=True)
    return cache


def resolve_commit(root: Path, rev: str) -> str:
    """The full commit id of ``rev`` (a commit, tag, branch, ``HEAD~2``...)."""
    if not rev or rev.startswith("-"):
        raise BadInput(f"--rev: {rev!r} is not a revision")
    proc = vcs.git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
    if proc.returncode != 0:
        if not vcs.is_git_repo(root):
            raise WorkspaceError(f"{root}: not a git repository, so it has no revisions; run 'goldset init' and 'goldset snapshot'")
        raise BadInput(f"unknown revision {rev!r}: not a commit, tag or branch here; 'goldset log' lists the versions")
    return proc.stdout.strip()


def read_git_objects(root: Path, specs: list[str]) -> dict[str, bytes]:
    """Contents of ``commit:path`` objects, read in one ``git cat-file --batch`` (missing: absent).

    Paths are relative to the workspace (asked as ``commit:./path``), so a workspace in a
    subdirectory of a larger repository reads its own files."""
    if not specs:
        return {}
    request = "".join(f"{_relative(s)}\n" for s in specs).encode()
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=root, input=request, capture_output=True, check=False)
    if proc.returncode != 0:
        raise VcsError(f"git cat-file failed: {proc.stderr.decode(errors='replace').strip()}")
    out, pos, found = proc.stdout, 0, {}
    for spec in specs:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3 or not header[2].isdigit():
            continue  # "<spec> missing" / "ambiguous": no content follows
        size = int(header[2])
        if header[1] == b"blob":
            found[spec] = out[pos : pos + size]
        pos += size + 1  # the content is followed by a newline
    return found


def _relative(spec: str) -> str:
    commit, _, path = spec.partition(":")
    return spec if not path or path.startswith("./") else f"{commit}:./{path}"


def read_git_files(root: Path, commit: str, paths: list[str]) -> dict[str, bytes]:
    """Contents of the given files at ``commit`` (absent ones left out)."""
    found = read_git_objects(root, [f"{commit}:{p}" for p in paths])
    return {p: found[f"{commit}:{p}"] for p in paths if f"{commit}:{p}" in found}


def tracked_files(root: Path, commit: str) -> list[str]:
    proc = vcs.git(root, "ls-tree", "-r", "-z", "--name-only", commit, "--", *_TREE_PATHS)
    return [p for p in proc.stdout.split("\0") if p]


#: The one line of a ``.dvc`` file goldset needs: the directory's content hash.
_DIR_MD5 = re.compile(r"^\s*-?\s*md5:\s*([0-9a-f]{32})\.dir\s*$", re.MULTILINE)


def dvc_dir_hash(root: Path, commit: str, dataset: str) -> str | None:
    """The md5 of the dataset directory recorded in ``datasets/<name>.dvc`` at ``commit``."""
    raw = read_git_files(root, commit, [f"datasets/{dataset}.dvc"]).get(f"datasets/{dataset}.dvc")
    if raw is None:
        return None
    return dir_hash_of(raw, f"datasets/{dataset}.dvc at {commit[:12]}")


def dir_hash_of(raw: bytes, where: str) -> str:
    """The directory hash a ``.dvc`` file's text names (``where`` names it in the error)."""
    found = _DIR_MD5.findall(raw.decode("utf-8", errors="replace"))
    if len(found) != 1:
        raise WorkspaceError(f"{where} names no single directory hash (a merge conflict?)")
    return str(found[0])


def load_spec_cached(root: Path, text: bytes, source: str) -> Spec:
    """Parse a past revision's spec once: the parsed model is kept by the file's git blob id."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    blob = hashlib.sha1(b"blob %d\0" % len(text) + text, usedforsecurity=False).hexdigest()
    cached = cache_root(root) / "spec" / f"{blob}.json"
    if cached.is_file():
        try:
            return Spec.model_validate_json(cached.read_bytes())
        except ValueError:
            pass  # written by another goldset version: parse again
    try:
        data = YAML(typ="safe", pure=True).load(text.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError):
        raise WorkspaceError(f"{source}: invalid YAML (a merge conflict?)") from None
    spec = parse_spec(data, source)
    write_atomic(cached, spec.model_dump_json())
    return spec


def _atomic_dir(final: Path, build: Any) -> Path:
    """Build a directory in a temp sibling, then rename it into place (first one wins)."""
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(".*.tmp"):  # a reader killed mid-copy an hour ago
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True)
    tmp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
    tmp.mkdir(parents=True)
    try:
        build(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def materialize_tree(root: Path, commit: str) -> Path:
    """The revision's git-tracked goldset files under ``.goldset/cache/rev/<commit>/``."""
    final = cache_root(root) / "rev" / commit

    def build(tmp: Path) -> None:
        wanted = [
            p for p in tracked_files(root, commit)
            if not p.startswith("datasets/") or p.endswith(".audit.jsonl")
        ]
        for rel, content in read_git_files(root, commit, wanted).items():
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(content)

    return _atomic_dir(final, build)


def dvc_filesystem(root: Path, commit: str) -> tuple[Any, str]:
    """DVC's filesystem of the repository at ``commit``, and the prefix of the workspace's
    paths in it: DVC addresses paths from the git top, and a workspace in a subdirectory of a
    larger repository is a DVC sub-project there (``subrepos``)."""
    from dvc.api import DVCFileSystem

    prefix = vcs.git_prefix(root)
    return DVCFileSystem(str(root), rev=commit, subrepos=bool(prefix)), prefix


@contextlib.contextmanager
def dvc_errors(where: str) -> Iterator[None]:
    """Turn what DVC raises while fetching a version's files into one StoreError line."""

    def missing(what: str) -> StoreError:
        return StoreError(
            f"{where}: {what} is neither in the local DVC cache nor on the DVC remote; push it from a machine "
            "that has it ('dvc push') or configure the remote ('dvc remote add -d storage URL')"
        )

    try:
        yield
    except FileNotFoundError as exc:
        raise missing(Path(str(exc.filename or exc)).name) from None
    except GoldsetError:
        raise
    except Exception as exc:  # DVC and its remotes raise many types; all mean "could not fetch"
        if isinstance(exc.__cause__, FileNotFoundError):  # a directory's listing (its .dir object) not found
            raise missing("the directory's listing") from None
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise StoreError(
            f"{where}: could not fetch the data through DVC ({first}); "
            "check the DVC remote ('dvc remote list') and try 'dvc pull'"
        ) from None


def fetch_store(root: Path, commit: str, dataset: str, dest: Path) -> Manifest:
    """Copy the dataset's live parts, tombstones and manifest at ``commit`` into ``dest``
    through DVC."""
    fs, top = dvc_filesystem(root, commit)
    prefix = f"{top}datasets/{dataset}"
    try:
        with dvc_errors(f"dataset {dataset!r} at {commit[:12]}"):
            raw = fs.cat_file(f"{prefix}/{MANIFEST}")
            manifest = Manifest.model_validate_json(raw)
            names = [p.name for p in manifest.parts] + [f"{REMOVED_DIR}/{p.name}" for p in manifest.removed]
            if manifest.removed:
                (dest / REMOVED_DIR).mkdir()
            if names:
                # Lists make DVC copy file by file in this thread: no pool, nothing left at exit.
                fs.get([f"{prefix}/{n}" for n in names], [str(dest / n) for n in names])
    finally:
        fs.close()
    for part, rel in [*((p, p.name) for p in manifest.parts), *((p, f"{REMOVED_DIR}/{p.name}") for p in manifest.removed)]:
        path = dest / rel
        if not path.is_file() or path.stat().st_size != part.bytes:
            raise StoreError(f"dataset {dataset!r} at {commit[:12]}: {rel} came back damaged; run 'dvc pull' and retry")
        path.chmod(0o444)  # past versions are immutable; a stray write fails loudly
    (dest / MANIFEST).write_bytes(raw)
    (dest / MANIFEST).chmod(0o444)
    return manifest


def store_cache(root: Path, md5: str) -> Path:
    """Where the store of DVC directory hash ``md5`` is kept once fetched (``stores/``: the
    earlier ``data/`` copies held no tombstones)."""
    return cache_root(root) / "stores" / md5


def materialize_dataset(root: Path, commit: str, dataset: str, rev: str | None = None) -> Path:
    """The dataset store as of ``commit`` under ``.goldset/cache/stores/<md5>/``."""
    check_dataset_name(dataset)
    md5 = dvc_dir_hash(root, commit, dataset)
    if md5 is None:
        raise WorkspaceError(
            f"dataset {dataset!r} has no snapshot at {rev or commit[:12]} (no datasets/{dataset}.dvc in that "
            "commit); 'goldset log' lists its versions"
        )
    final = store_cache(root, md5)
    if (final / MANIFEST).exists():
        return final
    return _atomic_dir(final, lambda tmp: fetch_store(root, commit, dataset, tmp))


class ReadOnlyStore(Store):
    """A store of a past revision: readable, never writable."""

    def __init__(self, root: Path, label: str) -> None:
        super().__init__(root)
        self.label = label

    def create(self) -> None:
        _read_only(self.label)

    def transaction(self, timeout: float = 60.0) -> Iterator[Any]:  # type: ignore[override]
        _read_only(self.label)


def _read_only(label: str) -> NoReturn:
    # The write path refuses before any store call (Workspace.read_only); this is the second
    # fence, for code that reaches a store directly.
    raise ReadOnly(f"{label} is read-only; drop --rev to change the working copy")


class RevisionWorkspace(Workspace):
    """The workspace as of one git revision. Readers use it like any workspace."""

    read_only = True

    def __init__(self, base: Workspace, rev: str, commit: str) -> None:
        super().__init__(materialize_tree(base.root, commit), user=base._user)
        self.base = base
        self.rev = rev
        self.commit = commit

    @property
    def label(self) -> str:
        return f"{self.rev} ({self.commit[:12]})" if self.rev != self.commit else self.commit[:12]

    @property
    def spec(self) -> Spec:
        if self._spec is None:
            try:
                text = self.spec_path.read_bytes()
            except FileNotFoundError:
                raise WorkspaceError(f"{self.rev}: that commit has no {SPEC_FILE}; pick a later revision") from None
            self._spec = load_spec_cached(self.base.root, text, f"{SPEC_FILE} at {self.rev}")
        return self._spec

    def dataset_dir(self, name: str) -> Path:
        return materialize_dataset(self.base.root, self.commit, name, self.rev)

    def dataset(self, name: str | None = None) -> RevisionDataset:
        return RevisionDataset(self, self.spec.dataset_name(name))

    def __repr__(self) -> str:
        return f"RevisionWorkspace({str(self.base.root)!r}, rev={self.rev!r})"


class RevisionDataset(Dataset):
    """A dataset as of a revision: its store refuses every transaction."""

    def __init__(self, workspace: RevisionWorkspace, name: str) -> None:
        super().__init__(workspace, name)
        self.label = f"dataset {name!r} at {workspace.label}"
        self.store = ReadOnlyStore(self.store.root, self.label)


def open_revision(ws: Workspace, rev: str) -> RevisionWorkspace:
    """The workspace as of git revision ``rev`` (commit, tag, branch): read-only."""
    return RevisionWorkspace(ws, rev, resolve_commit(ws.root, rev))


def at(ws: Workspace, rev: str | None) -> Workspace:
    """``ws`` as of ``rev``, or ``ws`` itself for None (the checked-out working copy)."""
    if rev is None:
        return ws
    base = ws.base if isinstance(ws, RevisionWorkspace) else ws
    return open_revision(base, rev)

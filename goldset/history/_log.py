"""``goldset log``: the versions of a dataset, one per commit that changed its ``.dvc`` file.

Rows come from each version's manifest, read through DVC (local cache, else the remote) and
kept under ``.goldset/cache/manifests/<md5>.json``: a content hash never changes, so the second
``log`` costs only git. The gate verdict comes from ``reports/coverage.json`` when that commit
has one (``dvc repro`` or ``goldset coverage --output reports/coverage.json`` writes it).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from goldset.errors import GoldsetError, WorkspaceError
from goldset.history import _vcs as vcs
from goldset.history._revision import cache_root, dvc_dir_hash, read_git_objects
from goldset.store import MANIFEST, Manifest
from goldset.workspace import Workspace

_SEP, _END = "\x1f", "\x1e"


class Version(BaseModel):
    commit: str
    short: str
    tags: list[str] = Field(default_factory=list)
    date: datetime
    author: str
    message: str
    rows: int | None = None
    gate: str | None = Field(
        default=None,
        description="pass / fail from reports/coverage.json at that commit; '(stale)' when its row count is not this version's",
    )


class VersionLog(BaseModel):
    dataset: str
    versions: list[Version] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="versions whose rows could not be read")


def tags_by_commit(root: Path) -> dict[str, list[str]]:
    """commit -> tag names (annotated tags peeled to their commit)."""
    out = vcs.git(root, "for-each-ref", "refs/tags", "--format=%(objectname) %(*objectname) %(refname:short)").stdout
    tags: dict[str, list[str]] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            obj, peeled, name = parts
        elif len(parts) == 2:
            obj, name, peeled = parts[0], parts[1], ""
        else:
            continue
        tags.setdefault(peeled or obj, []).append(name)
    return tags


def manifest_at(root: Path, commit: str, dataset: str) -> Manifest | None:
    """The dataset's manifest at ``commit`` (None when that commit has no snapshot of it)."""
    md5 = dvc_dir_hash(root, commit, dataset)
    if md5 is None:
        return None
    cache = cache_root(root)
    for known in (cache / "data" / md5 / MANIFEST, cache / "manifests" / f"{md5}.json"):
        if known.is_file():
            return Manifest.model_validate_json(known.read_bytes())
    from dvc.api import DVCFileSystem

    fs = DVCFileSystem(str(root), rev=commit)
    try:
        raw = fs.cat_file(f"datasets/{dataset}/{MANIFEST}")
    finally:
        fs.close()
    manifest = Manifest.model_validate_json(raw)
    dest = cache / "manifests" / f"{md5}.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(raw)
    tmp.replace(dest)
    return manifest


def gate_verdicts(root: Path, commits: list[str], dataset: str) -> dict[str, tuple[str, Any]]:
    """commit -> ("pass"/"fail", rows the report counted), from reports/coverage.json."""
    blobs = read_git_objects(root, [f"{c}:reports/coverage.json" for c in commits])
    verdicts: dict[str, tuple[str, Any]] = {}
    for commit in commits:
        raw = blobs.get(f"{commit}:reports/coverage.json")
        if not raw:
            continue
        try:
            report = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(report, dict) or report.get("dataset", dataset) != dataset:
            continue
        gate = report.get("gate")
        passed = gate.get("passed") if isinstance(gate, dict) else report.get("passed")
        if isinstance(passed, bool):
            verdicts[commit] = ("pass" if passed else "fail", report.get("rows"))
    return verdicts


def version_log(ws: Workspace, dataset: str | None = None, limit: int | None = None, rows: bool = True) -> VersionLog:
    """Versions of the dataset, newest first."""
    root = ws.root
    name = ws.spec.dataset_name(dataset)
    if not vcs.is_git_repo(root) or not vcs.has_commits(root):
        raise WorkspaceError(f"{root}: no git history yet; run 'goldset snapshot -m MESSAGE' first")
    args = ["log", f"--format=%H{_SEP}%an <%ae>{_SEP}%aI{_SEP}%s{_END}"]
    if limit:
        args.append(f"--max-count={int(limit)}")
    out = vcs.git(root, *args, "--", f"datasets/{name}.dvc").stdout
    tags = tags_by_commit(root)
    result = VersionLog(dataset=name)
    for record in out.split(_END):
        fields = record.strip("\n").split(_SEP)
        if len(fields) != 4:
            continue
        commit, author, date, message = fields
        result.versions.append(
            Version(commit=commit, short=commit[:12], tags=sorted(tags.get(commit, [])),
                    date=datetime.fromisoformat(date), author=author, message=message)
        )
    verdicts = gate_verdicts(root, [v.commit for v in result.versions], name)
    for v in result.versions:
        if rows:
            try:
                m = manifest_at(root, v.commit, name)
                v.rows = m.rows if m is not None else None
            except GoldsetError as exc:
                result.problems.append(f"{v.short}: {exc}")
            except Exception as exc:  # DVC: data in neither the cache nor a reachable remote
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                result.problems.append(f"{v.short}: rows unknown ({first}); 'dvc pull' or 'dvc remote list'")
        if v.commit in verdicts:
            verdict, counted = verdicts[v.commit]
            # A report committed without being regenerated describes other data: say so.
            stale = v.rows is not None and isinstance(counted, int) and counted != v.rows
            v.gate = f"{verdict} (stale)" if stale else verdict
    return result

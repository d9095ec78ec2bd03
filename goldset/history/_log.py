"""``goldset log``: the versions of a dataset, one per commit that changed its ``.dvc`` file.

A version is named by its data (the digest of its manifest) and its spec (the hash of
``goldset.yaml``). Rows and the data digest come from the ``meta`` a snapshot records in the
``.dvc`` file; for an older ``.dvc`` without it, from the version's manifest, read through DVC
(local cache, else the remote) and kept under ``.goldset/cache/manifests/<md5>.json``.

The gate of every version: from the ``reports/coverage.json`` committed with it when that
report describes this data and spec (a snapshot writes it so); otherwise computed on the
revision (:func:`goldset.history.open_revision` + :func:`goldset.coverage.compute_coverage`, as
of the data's last write, like a snapshot's report) and kept under
``.goldset/cache/gates/<data>-<spec>.json``. Data and spec never change under their hashes, so
the second ``log`` costs only git.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from goldset.errors import GoldsetError, WorkspaceError
from goldset.history import _vcs as vcs
from goldset.history._revision import (
    cache_root,
    dvc_dir_hash,
    dvc_filesystem,
    open_revision,
    read_git_objects,
)
from goldset.spec import SPEC_FILE
from goldset.store import MANIFEST, Manifest, parse_manifest, write_atomic
from goldset.workspace import Workspace, parse_recorded

_SEP, _END = "\x1f", "\x1e"
_REPORT = "reports/coverage.json"
#: The format of a cached gate; another goldset's files are computed again.
_GATE_CACHE_FORMAT = 1


class Version(BaseModel):
    commit: str
    short: str
    tags: list[str] = Field(default_factory=list)
    date: datetime
    author: str
    message: str
    rows: int | None = None
    data: str | None = Field(default=None, description="digest of the version's manifest")
    gate: str | None = Field(default=None, description="pass / fail: the coverage gate of this version's data and spec")
    gate_source: Literal["report", "computed"] | None = Field(
        default=None,
        description="report: the reports/coverage.json committed with the version (describing its data and spec); "
                    "computed: on the revision (cached under .goldset/cache/gates/)",
    )


class VersionLog(BaseModel):
    dataset: str
    versions: list[Version] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="versions whose rows or gate could not be read")


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
    """The dataset's manifest at ``commit`` (None when that commit has no snapshot of it), with
    its digest."""
    md5 = dvc_dir_hash(root, commit, dataset)
    if md5 is None:
        return None
    where = f"datasets/{dataset} at {commit[:12]}"
    cache = cache_root(root)
    for known in (cache / "stores" / md5 / MANIFEST, cache / "manifests" / f"{md5}.json"):
        if known.is_file():
            return parse_manifest(known.read_bytes(), where)
    fs, top = dvc_filesystem(root, commit)
    try:
        raw = fs.cat_file(f"{top}datasets/{dataset}/{MANIFEST}")
    finally:
        fs.close()
    manifest = parse_manifest(raw, where)
    write_atomic(cache / "manifests" / f"{md5}.json", raw)
    return manifest


def _recorded(raw: bytes | None, rel: str) -> tuple[str | None, int | None]:
    """(manifest digest, rows) from the goldset ``meta`` of a ``.dvc`` file's bytes; Nones
    when it has none (an older snapshot, or a ``dvc add`` by hand) or is not a DVC file."""
    if not raw:
        return None, None
    try:
        recorded = parse_recorded(raw.decode("utf-8"), rel)
    except (WorkspaceError, UnicodeDecodeError):
        return None, None
    return recorded.manifest, recorded.rows


def _committed_gate(raw: bytes | None, dataset: str, data: str | None, spec: str | None) -> str | None:
    """pass / fail from a committed coverage report, if it describes exactly this data and spec."""
    if not raw or data is None:
        return None
    try:
        report = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(report, dict) or (report.get("dataset"), report.get("data"), report.get("spec")) != (dataset, data, spec):
        return None
    gate = report.get("gate")
    passed = gate.get("passed") if isinstance(gate, dict) else None
    return ("pass" if passed else "fail") if isinstance(passed, bool) else None


def _gate_file(root: Path, data: str, spec: str | None) -> Path:
    return cache_root(root) / "gates" / f"{data}-{spec or 'none'}.json"


def _cached_gate(root: Path, dataset: str, data: str, spec: str | None) -> str | None:
    try:
        cached = json.loads(_gate_file(root, data, spec).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(cached, dict) or cached.get("format") != _GATE_CACHE_FORMAT or cached.get("dataset") != dataset:
        return None
    passed = cached.get("passed")
    return ("pass" if passed else "fail") if isinstance(passed, bool) else None


def _compute_gate(ws: Workspace, commit: str, dataset: str) -> tuple[str, str | None]:
    """The gate of the version at ``commit``, computed on the revision as of its data's last
    write (what a snapshot's report records), and cached; (verdict, data digest)."""
    from goldset.coverage import compute_coverage, data_time

    ds = open_revision(ws, commit).dataset(dataset)
    report = compute_coverage(ds, now=data_time(ds.manifest()))
    if report.data is not None:
        doc = {"format": _GATE_CACHE_FORMAT, "dataset": dataset, "data": report.data, "spec": report.spec,
               "passed": report.gate.passed, "failing": report.gate.failing}
        write_atomic(_gate_file(ws.root, report.data, report.spec), json.dumps(doc, indent=1).encode())
    return ("pass" if report.gate.passed else "fail"), report.data


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def version_log(ws: Workspace, dataset: str | None = None, limit: int | None = None, rows: bool = True) -> VersionLog:
    """Versions of the dataset, newest first, each with its rows and coverage gate.

    ``rows=False`` reads nothing through DVC: rows and gates only from what the commits
    record (the ``.dvc`` meta, committed reports) and the local cache of computed gates."""
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
    dvc_file = f"datasets/{name}.dvc"
    blobs = read_git_objects(root, [f"{v.commit}:{p}" for v in result.versions for p in (dvc_file, SPEC_FILE, _REPORT)])
    for v in result.versions:
        spec_blob = blobs.get(f"{v.commit}:{SPEC_FILE}")
        spec = hashlib.sha256(spec_blob).hexdigest() if spec_blob is not None else None
        v.data, v.rows = _recorded(blobs.get(f"{v.commit}:{dvc_file}"), dvc_file)
        reachable = rows  # its data may be read through DVC (until that fails once)
        if rows and (v.data is None or v.rows is None):
            try:
                m = manifest_at(root, v.commit, name)
                if m is not None:
                    v.data, v.rows = m.digest, m.rows
            except GoldsetError as exc:
                result.problems.append(f"{v.short}: {exc}")
                reachable = False
            except Exception as exc:  # DVC: data in neither the cache nor a reachable remote
                result.problems.append(f"{v.short}: rows unknown ({_first_line(exc)}); 'dvc pull' or 'dvc remote list'")
                reachable = False
        v.gate = _committed_gate(blobs.get(f"{v.commit}:{_REPORT}"), name, v.data, spec)
        if v.gate is not None:
            v.gate_source = "report"
            continue
        if v.data is not None:
            v.gate = _cached_gate(root, name, v.data, spec)
        if v.gate is None and reachable:
            try:
                v.gate, data = _compute_gate(ws, v.commit, name)
                v.data = v.data or data
            except GoldsetError as exc:
                result.problems.append(f"{v.short}: gate unknown ({_first_line(exc)})")
            except Exception as exc:  # DVC and its remotes raise many types
                result.problems.append(f"{v.short}: gate unknown ({_first_line(exc)}); 'dvc pull' or 'dvc remote list'")
        if v.gate is not None:
            v.gate_source = "computed"
    return result

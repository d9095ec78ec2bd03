"""Where runs live: one immutable Parquet file per run, ``runs/<dataset>/<name>.parquet``,
its record (:class:`RunInfo`) in the file's key-value metadata, so a listing reads footers
only. The directory is tracked by DVC (``runs/<dataset>.dvc``, made by ``snapshot``), like the
store.

A run file is written whole and renamed into place (a temp file under ``.goldset/``, fsynced,
``os.replace``, the directory fsynced): a kill at any moment leaves the run absent or complete,
and no temp file inside the tracked directory.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, ValidationError

from goldset.errors import NotCheckedOut, StoreError, UnknownId, UsageError
from goldset.spec import round_trip_yaml
from goldset.store import db, fsync_path, write_atomic

if TYPE_CHECKING:
    from goldset.workspace import Dataset, Workspace

#: Format of a run file; a newer one is refused.
RUN_FORMAT = 1
#: The Parquet key-value metadata key that holds the run's record.
META_KEY = b"goldset.run"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class RunInfo(BaseModel):
    """The record of one run: what was evaluated, on which data, by whom, and its totals."""

    format: int = RUN_FORMAT
    name: str
    dataset: str
    model: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    #: The file the outputs came from (its name only).
    source: str
    added_by: str
    added_at: datetime
    #: The golden set the run was evaluated on: the store's manifest digest (its exact data),
    #: its version (a snapshot's id; None for local work since the last snapshot, then
    #: ``base`` names the version it descends from) and the checked-out git commit.
    data: str | None = None
    version: str | None = None
    base: str | None = None
    commit: str | None = None
    #: Rows stored: every example the file answered plus every counted example it did not.
    rows: int = 0
    counted: int = 0
    answered: int = 0
    passed: int = 0
    skipped_unknown: int = 0
    #: Counted examples without an output are left out (not failures) when the run is partial.
    partial: bool = False
    #: How the rows were scored: 'given', a scorer's name, 'no output', ... -> rows.
    scored_by: dict[str, int] = Field(default_factory=dict)


def check_run_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name):
        raise UsageError(f"invalid run name {name!r}: use letters, digits, '.', '-' and '_' "
                         "(at most 100, starting with a letter or digit)")
    return name


def runs_dir(ws: Workspace, dataset: str) -> Path:
    return ws.root / "runs" / dataset


def run_path(ws: Workspace, dataset: str, name: str) -> Path:
    return runs_dir(ws, dataset) / f"{check_run_name(name)}.parquet"


def check_present(ws: Workspace, dataset: str) -> None:
    """A clone that has the runs' ``.dvc`` file but not their data: say how to get it."""
    if not ws.read_only and (ws.root / "runs" / f"{dataset}.dvc").is_file() and not runs_dir(ws, dataset).is_dir():
        raise NotCheckedOut(f"runs of {dataset!r} are recorded in runs/{dataset}.dvc but not here "
                            "(a clone without 'dvc pull'); run 'goldset pull'")


def read_info(path: Path) -> RunInfo:
    """The record in a run file's footer; StoreError for a file that is not a run goldset wrote."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path).metadata or {}
        info = RunInfo.model_validate(json.loads(meta[META_KEY]))
    except FileNotFoundError:
        raise
    except (OSError, pa.ArrowException, KeyError, ValueError, ValidationError) as exc:
        raise StoreError(f"{path}: not a readable goldset run ({type(exc).__name__}); "
                         "remove it or restore it with 'dvc checkout'") from None
    if info.format > RUN_FORMAT:
        raise StoreError(f"{path}: run format {info.format} is newer than this goldset reads ({RUN_FORMAT}); upgrade goldset")
    return info


def list_runs(ds: Dataset) -> list[RunInfo]:
    """Every run of the dataset, oldest first."""
    check_present(ds.workspace, ds.name)
    root = runs_dir(ds.workspace, ds.name)
    if not root.is_dir():
        return []
    infos = [read_info(p) for p in sorted(root.glob("*.parquet")) if _NAME_RE.fullmatch(p.stem)]
    return sorted(infos, key=lambda i: (i.added_at, i.name))


def find_run(ds: Dataset, name: str) -> tuple[RunInfo, Path]:
    """The run called ``name``: its record and its file."""
    check_present(ds.workspace, ds.name)
    path = run_path(ds.workspace, ds.name, name)
    try:
        return read_info(path), path
    except FileNotFoundError:
        known = [p.stem for p in sorted(runs_dir(ds.workspace, ds.name).glob("*.parquet"))] if path.parent.is_dir() else []
        shown = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        raise UnknownId(f"no run {name!r} in dataset {ds.name!r} (runs: {shown or 'none; add one with goldset run add'})") from None


def tmp_path(ws: Workspace) -> Path:
    """A temp file on the workspace's file system, outside the tracked runs directory."""
    d = ws.state_dir() / "tmp"
    d.mkdir(parents=True, exist_ok=True)
    return d / f"run-{secrets.token_hex(6)}.parquet.tmp"


def publish(tmp: Path, dest: Path) -> None:
    """Make the written ``tmp`` the run file ``dest``: fsync, rename, fsync the directory."""
    fsync_path(tmp)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, dest)
    fsync_path(dest.parent, directory=True)


def counted_rows(info: RunInfo, path: Path) -> str:
    """SQL: the rows of run file ``path`` that its report and comparisons count: the counted
    examples, less the unanswered ones of a partial run."""
    answered = " AND answered" if info.partial else ""
    return f"read_parquet({db.sql_str(str(path))}) WHERE counted{answered}"


def lock_name(dataset: str) -> str:
    """The lock every change of a dataset's runs holds (a file under ``.goldset/``)."""
    return f"runs-{dataset}.lock"


def lock_path(ws: Workspace, dataset: str) -> Path:
    return ws.state_dir() / lock_name(dataset)


def ensure_launch_stage(ws: Workspace, dataset: str) -> str | None:
    """Add a ``launch`` stage for ``dataset`` to the workspace's dvc.yaml (the first time a run
    is added: before, its dependency ``runs/<dataset>`` would not exist and ``dvc repro``
    would fail). Its metrics make ``dvc metrics diff`` show a model's change per scenario.
    Returns the stage's name when one was added; comments and other stages are kept."""
    import io

    from ruamel.yaml.error import YAMLError

    path = ws.root / "dvc.yaml"
    if not path.is_file():
        return None
    yaml = round_trip_yaml()  # the style of the dvc.yaml init writes; a long cmd on one line
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError):
        return None  # the user's dvc.yaml does not parse: leave it to them (dvc says why)
    if not isinstance(doc, dict):
        return None
    stages = doc.setdefault("stages", {})
    if not isinstance(stages, dict):
        return None
    cmd_mark = f"--dataset {dataset} launch"
    if any(isinstance(s, dict) and cmd_mark in str(s.get("cmd", "")) for s in stages.values()):
        return None
    name = "launch" if "launch" not in stages else f"launch-{dataset}"
    metrics = "reports/launch.json" if name == "launch" else f"reports/launch-{dataset}.json"
    stages[name] = {
        "cmd": f"goldset {cmd_mark} --latest --metrics {metrics} --exit-zero",
        "deps": [f"datasets/{dataset}", f"runs/{dataset}", "goldset.yaml", "expectations"],
        "metrics": [{metrics: {"cache": False}}],
    }
    buf = io.StringIO()
    yaml.dump(doc, buf)
    write_atomic(path, buf.getvalue())
    return name

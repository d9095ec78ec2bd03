"""One golden dataset: reading its live rows through DuckDB.

A :class:`Dataset` is a handle: it reads (``query``, ``relation``, ``connect``, ``get``) and
never writes. Every write goes through :mod:`goldset.workspace._write`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from goldset.spec import DatasetSpec
from goldset.store import Manifest, Store, db
from goldset.vocab import OnDuplicate

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from goldset.workspace._workspace import Workspace

__all__ = ["Dataset", "OnDuplicate", "WriteResult"]


class WriteResult(BaseModel):
    """What a write did. Every write returns one; the CLI renders it."""

    op: str
    dataset: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    removed: int = 0
    rejected: int = 0
    parts_written: int = 0
    parts_replaced: int = 0
    bytes_written: int = 0
    generation: int = 0
    dry_run: bool = False
    ids_sample: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed


class Dataset:
    def __init__(self, workspace: Workspace, name: str) -> None:
        self.workspace = workspace
        self.name = name
        self.store = Store(workspace.dataset_dir(name))

    # -- reading -----------------------------------------------------------------------
    @property
    def spec(self) -> DatasetSpec:
        return self.workspace.spec.datasets[self.name]

    @property
    def path(self) -> Path:
        return self.store.root

    @property
    def audit_path(self) -> Path:
        return self.workspace.root / "datasets" / f"{self.name}.audit.jsonl"

    def manifest(self) -> Manifest:
        """The live manifest, once the store is known to be the checked-out version
        (:mod:`goldset.workspace._checkout`): every read starts here or in :meth:`pinned`."""
        return self.checked_out(self.store.read_manifest())

    def checked_out(self, manifest: Manifest) -> Manifest:
        """``manifest``, if the store is the version the checked-out commit names (or local
        work on it); else :class:`~goldset.errors.NotCheckedOut`. A past revision is read by
        content hash, so it always is."""
        self.lineage(manifest)
        return manifest

    def lineage(self, manifest: Manifest) -> str | None:
        """Check ``manifest`` as :meth:`checked_out` does; return the version a write on it
        descends from when the manifest cannot say (no store yet: the recorded empty version)."""
        if self.workspace.read_only:
            return None
        from goldset.workspace._checkout import check, read_recorded

        return check(self, manifest, read_recorded(self.workspace.root, self.name))

    def files(self) -> list[str]:
        """Paths of the live parts now. A long read should use :meth:`pinned` instead: a
        concurrent writer may unlink a part these paths name."""
        return self.store.files(self.manifest())

    @contextlib.contextmanager
    def pinned(self) -> Iterator[list[str]]:
        """Paths to one manifest generation's parts, readable for the whole block whatever
        writers commit meanwhile (see :meth:`goldset.store.Store.pinned`)."""
        with self.store.pinned() as (manifest, files):
            self.checked_out(manifest)
            yield files

    def removed_ids(self) -> set[str]:
        """Ids removed with ``goldset remove`` (tombstones): an import does not bring them
        back unless told to."""
        files = self.store.removed_files(self.manifest())
        if not files:
            return set()
        import pyarrow.parquet as pq

        return {i for f in files for i in pq.read_table(f, columns=["id"]).column("id").to_pylist()}

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with the live rows as view ``examples``."""
        con = db.connect()
        db.create_examples_view(con, self.files())
        return con

    def relation(self, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyRelation:
        """A DuckDB relation over the live rows (a fresh connection unless one is given)."""
        con = con or db.connect()
        return con.sql(db.parts_select(self.files()))

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run SQL with the live rows as ``examples``; result as an Arrow table.

        Reads one pinned manifest generation: readers never wait for the lock, and a
        concurrent writer cannot pull a part from under them.
        """
        with self.pinned() as files:
            con = db.connect()
            try:
                db.create_examples_view(con, files)
                return db.arrow(con, sql, params)
            finally:
                con.close()

    def count(self) -> int:
        return self.manifest().rows

    def get(self, example_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM examples WHERE id = ?", [example_id]).to_pylist()
        return rows[0] if rows else None

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, {str(self.path)!r})"


"""The store of one dataset: immutable Parquet parts under an atomic manifest, and the DuckDB
side of reading them.

Owns: the row schema and input hashing (``_schema``), parts, manifest, lock and transactions
(``_store``), DuckDB connections and the SQL over a set of parts (``_db``), and the sandbox
that ``--where`` predicates and ``goldset query`` run in (``_predicate``). It knows nothing of
users, roles or the spec: the write path in :mod:`goldset.workspace` adds those.
"""

from __future__ import annotations

from goldset.store import _db as db
from goldset.store import _predicate as predicate
from goldset.store._schema import (
    COLUMNS,
    CONTENT_COLUMNS,
    DUCKDB_TYPES,
    LIST_COLUMNS,
    MAX_FIELD_BYTES,
    PROVENANCE_COLUMNS,
    TIMESTAMP_COLUMNS,
    arrow_schema,
    input_hash_sql,
    valid_id,
)
from goldset.store._store import (
    FORMAT_VERSION,
    LOCK_FILE,
    MANIFEST,
    PART_ROWS,
    TMP_SUFFIX,
    Manifest,
    PartInfo,
    Store,
    Transaction,
    file_lock,
)

__all__ = [
    "COLUMNS",
    "CONTENT_COLUMNS",
    "DUCKDB_TYPES",
    "FORMAT_VERSION",
    "LIST_COLUMNS",
    "LOCK_FILE",
    "MANIFEST",
    "MAX_FIELD_BYTES",
    "PART_ROWS",
    "PROVENANCE_COLUMNS",
    "TIMESTAMP_COLUMNS",
    "TMP_SUFFIX",
    "Manifest",
    "PartInfo",
    "Store",
    "Transaction",
    "arrow_schema",
    "db",
    "file_lock",
    "input_hash_sql",
    "predicate",
    "valid_id",
]

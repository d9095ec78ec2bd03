"""The store of one dataset: immutable Parquet parts under an atomic manifest, and the DuckDB
side of reading them.

Owns: the row schema and input hashing (``_schema``); the manifest, its file names and what a
damaged store is (``_manifest``); reading, pinning and locking a store (``_store``); writes
with their journal (``_transaction``); ``doctor``'s examination and repair (``_doctor``);
DuckDB connections and the SQL over a set of parts (``_db``); the sandbox that ``--where``
predicates and ``goldset query`` run in (``_predicate``); and the text rules every write path
shares: blank values, valid Unicode, the JSON accepted in metadata (``_text``); and replacing a
whole file at once (``_files``). It knows
nothing of users, roles or the spec: the write path in :mod:`goldset.workspace` adds those.
"""

from __future__ import annotations

from goldset.store import _db as db
from goldset.store import _predicate as predicate
from goldset.store._doctor import DoctorReport, examine, rebuild
from goldset.store._files import file_md5, write_atomic
from goldset.store._manifest import (
    FORMAT_VERSION,
    JOURNAL,
    LOCK_FILE,
    MANIFEST,
    PART_ROWS,
    REMOVED_DIR,
    TMP_SUFFIX,
    Manifest,
    PartInfo,
    StoreDamaged,
    fsync_path,
    parse_manifest,
)
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
    normalize_sql,
    valid_id,
)
from goldset.store._store import Store, file_lock, store_containing
from goldset.store._text import (
    BLANK_CHARS,
    MAX_JSON_DEPTH,
    JsonProblem,
    blank_sql,
    is_blank,
    lone_surrogate,
    too_deep,
)
from goldset.store._text import dumps as json_dumps
from goldset.store._text import loads as json_loads
from goldset.store._text import raw_decode as json_raw_decode
from goldset.store._transaction import Transaction, same_files

__all__ = [
    "BLANK_CHARS",
    "COLUMNS",
    "CONTENT_COLUMNS",
    "DUCKDB_TYPES",
    "FORMAT_VERSION",
    "JOURNAL",
    "LIST_COLUMNS",
    "LOCK_FILE",
    "MANIFEST",
    "MAX_FIELD_BYTES",
    "MAX_JSON_DEPTH",
    "PART_ROWS",
    "PROVENANCE_COLUMNS",
    "REMOVED_DIR",
    "TIMESTAMP_COLUMNS",
    "TMP_SUFFIX",
    "DoctorReport",
    "JsonProblem",
    "Manifest",
    "PartInfo",
    "Store",
    "StoreDamaged",
    "Transaction",
    "arrow_schema",
    "blank_sql",
    "db",
    "examine",
    "file_lock",
    "file_md5",
    "fsync_path",
    "input_hash_sql",
    "is_blank",
    "json_dumps",
    "json_loads",
    "json_raw_decode",
    "lone_surrogate",
    "normalize_sql",
    "parse_manifest",
    "predicate",
    "rebuild",
    "same_files",
    "store_containing",
    "too_deep",
    "valid_id",
    "write_atomic",
]

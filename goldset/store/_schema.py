"""The example row: its columns, its Arrow schema, and how an input is normalized and hashed.

One row is one golden example (see docs/architecture.md). The same normalization serves ids derived from
inputs, deduplication, label-conflict checks and leakage checks, so it lives here once, as a
DuckDB SQL expression: every path that hashes (import, add, edit) goes through DuckDB, which
keeps derived ids identical whichever path wrote them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import pyarrow as pa

#: Columns a user provides (everything else is provenance goldset owns).
CONTENT_COLUMNS: Final = (
    "id",
    "input",
    "expected",
    "polarity",
    "scenarios",
    "edge_cases",
    "tier",
    "status",
    "source",
    "metadata",
)
PROVENANCE_COLUMNS: Final = (
    "input_hash",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "reviewed_at",
    "reviewed_by",
)
COLUMNS: Final = CONTENT_COLUMNS + PROVENANCE_COLUMNS
LIST_COLUMNS: Final = ("scenarios", "edge_cases")
TIMESTAMP_COLUMNS: Final = ("created_at", "updated_at", "reviewed_at")

#: Largest accepted text field. A golden example is a prompt, not a document dump; a larger
#: field is almost always a mis-mapped column.
MAX_FIELD_BYTES: Final = 1 << 20

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,255}$")

#: Normalized input: Unicode NFC, lower case, runs of whitespace collapsed, trimmed.
#: ``{col}`` is the column or expression holding the raw input.
NORMALIZE_SQL: Final = (
    "trim(CASE WHEN contains({col}, '  ') OR contains({col}, chr(9)) OR contains({col}, chr(10)) "
    "OR contains({col}, chr(12)) OR contains({col}, chr(13)) "
    # The regex is the costly part; most inputs have nothing to collapse, so test first.
    "THEN regexp_replace(lower(nfc_normalize({col})), '\\s+', ' ', 'g') "
    "ELSE lower(nfc_normalize({col})) END)"
)
#: 16 hex digits (64 bits) of SHA-256: collisions are negligible far past 10M rows.
HASH_SQL: Final = "substr(sha256(" + NORMALIZE_SQL + "), 1, 16)"


def input_hash_sql(col: str = "input") -> str:
    return HASH_SQL.format(col=col)


def normalize_sql(col: str = "input") -> str:
    """The normalized input as a DuckDB expression (what :func:`input_hash_sql` hashes): for
    checks that compare inputs by more than equality (near-duplicates, leakage)."""
    return NORMALIZE_SQL.format(col=col)


def valid_id(value: str) -> bool:
    return bool(_ID_RE.match(value))


def arrow_schema() -> pa.Schema:
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("input", pa.string(), nullable=False),
            pa.field("expected", pa.string()),
            pa.field("polarity", pa.string(), nullable=False),
            pa.field("scenarios", pa.list_(pa.string()), nullable=False),
            pa.field("edge_cases", pa.list_(pa.string()), nullable=False),
            pa.field("tier", pa.string(), nullable=False),
            pa.field("status", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("metadata", pa.string(), nullable=False),
            pa.field("input_hash", pa.string(), nullable=False),
            pa.field("created_at", ts, nullable=False),
            pa.field("created_by", pa.string(), nullable=False),
            pa.field("updated_at", ts, nullable=False),
            pa.field("updated_by", pa.string(), nullable=False),
            pa.field("reviewed_at", ts),
            pa.field("reviewed_by", pa.string()),
        ]
    )


#: The same schema as DuckDB column types, for CAST lists and empty tables.
DUCKDB_TYPES: Final = {
    "id": "VARCHAR",
    "input": "VARCHAR",
    "expected": "VARCHAR",
    "polarity": "VARCHAR",
    "scenarios": "VARCHAR[]",
    "edge_cases": "VARCHAR[]",
    "tier": "VARCHAR",
    "status": "VARCHAR",
    "source": "VARCHAR",
    "metadata": "VARCHAR",
    "input_hash": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "created_by": "VARCHAR",
    "updated_at": "TIMESTAMPTZ",
    "updated_by": "VARCHAR",
    "reviewed_at": "TIMESTAMPTZ",
    "reviewed_by": "VARCHAR",
}

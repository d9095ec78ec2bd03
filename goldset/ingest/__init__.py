"""Getting examples in: ``goldset import`` of JSONL, CSV and Parquet files, and ``add``.

Owns: file readers that stream blocks (``_readers`` for JSONL and JSON, ``_read_csv``,
``_read_parquet``), the mapping of any record to the
canonical columns (``_canonical``), staging with validation and in-file duplicate checks in
DuckDB (``_stage``), the plan of a merge field by field with the rights it needs (``_plan``),
and the verbs: ``import`` (``_import``) and ``add`` (``_add``).
"""

from __future__ import annotations

from goldset.ingest._add import add
from goldset.ingest._import import import_file, parse_mapping
from goldset.ingest._plan import ImportPlan, ImportResult
from goldset.ingest._stage import ImportDefaults

__all__ = ["ImportDefaults", "ImportPlan", "ImportResult", "add", "import_file", "parse_mapping"]

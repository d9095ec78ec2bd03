"""Merging branches of a golden set: row by row and field by field, at a git merge.

* :mod:`._rows`: the three-way merge of three versions of a store, in DuckDB;
* :mod:`._flow`: the git merge drivers ``goldset init`` installs (the store's ``.dvc`` file
  and the audit log) and ``goldset merge``, which finishes a merge that stopped on conflicts;
* :mod:`._runs`: the merge driver for a dataset's model runs (``runs/<name>.dvc``), run file
  by run file.
"""

from goldset.merging._flow import MergeResult, merge, merge_audit_driver, merge_driver
from goldset.merging._rows import Conflict, RowMerge, StoreVersion
from goldset.merging._runs import RunConflict, RunsMergeResult, merge_runs_driver

__all__ = [
    "Conflict",
    "MergeResult",
    "RowMerge",
    "RunConflict",
    "RunsMergeResult",
    "StoreVersion",
    "merge",
    "merge_audit_driver",
    "merge_driver",
    "merge_runs_driver",
]

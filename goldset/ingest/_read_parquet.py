"""Parquet files -> raw chunks, batch by batch; extra columns of any Arrow type are kept in
metadata as text (see ``_canonical``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from goldset.errors import BadInput
from goldset.ingest._canonical import (
    Chunk,
    FastChunk,
    fast_select,
    fast_values_ok,
    rows_to_chunk,
)
from goldset.ingest._readers import (
    Progress,
)
from goldset.store import (
    MAX_JSON_DEPTH,
)

if TYPE_CHECKING:
    import pyarrow as pa


def read_parquet(path: Path, mapping: dict[str, str], progress: Progress | None = None, exact: bool = False) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise BadInput(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    names = pf.schema_arrow.names
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BadInput(f"{path}: the file has more than one column named {twice[0]!r}; rename them")
    for field in pf.schema_arrow:
        if _type_depth(field.type) > MAX_JSON_DEPTH:
            raise BadInput(f"{path}: column {field.name!r} is nested deeper than {MAX_JSON_DEPTH} levels")
    n = 0
    for batch in pf.iter_batches(batch_size=100_000):
        block = pa.Table.from_batches([batch])
        numbers = list(range(n + 1, n + 1 + block.num_rows))
        n += block.num_rows
        sql = fast_select(block.schema, mapping, split_lists=False)
        if sql is not None and fast_values_ok(block, mapping):
            yield FastChunk(block.append_column("_row", pa.array(numbers, pa.int64())), sql)
        else:
            yield rows_to_chunk(zip(numbers, block.to_pylist(), strict=True), mapping)
        if progress:
            progress(batch.nbytes)


def _type_depth(typ: pa.DataType) -> int:
    """Levels of lists and structs in a type (a scalar: 1), counted without recursion."""
    deepest, todo = 0, [(typ, 1)]
    while todo:
        t, d = todo.pop()
        deepest = max(deepest, d)
        if d > MAX_JSON_DEPTH:
            break
        todo.extend((t.field(i).type, d + 1) for i in range(t.num_fields))
    return deepest

"""``goldset pii redact``: replace validated PII in examples with typed placeholders, as one
audited edit (``pii-redact``), so ``validate`` passes afterwards and the history keeps who
redacted what (the audit line names the ids, never the PII)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import Field

from goldset.curation import edit_texts
from goldset.errors import UsageError
from goldset.store import db
from goldset.validation._pii import Finder
from goldset.workspace import WriteResult, admit

if TYPE_CHECKING:
    from goldset.workspace import Dataset


class RedactResult(WriteResult):
    op: str = "pii-redact"
    #: Examples holding validated PII among those looked at (redacted unless a dry run).
    found: int = 0
    #: Hits per kind (email, phone, payment_card, ...).
    kinds: dict[str, int] = Field(default_factory=dict)


def redact_pii(ds: Dataset, ids: Sequence[str] = (), *, all_examples: bool = False, dry_run: bool = False,
               keep_approval: bool = False, note: str | None = None) -> RedactResult:
    """Redact the validated PII in ``input`` and ``expected`` of ``ids`` (or of every example
    with ``all_examples``; examples of ``pii.exempt_edge_cases`` too when named by id, never
    with ``all_examples``). A redaction is an edit: an approved example goes back to draft
    unless ``keep_approval`` (the review right)."""
    if bool(ids) == all_examples:
        raise UsageError("give example ids, or --all (every example with PII), not both")
    if not dry_run:  # a past revision or a role that may not edit: refused (audited) before the scan
        admit(ds, *(("edit", "review") if keep_approval else ("edit",)), ids=list(ids))
    finder = Finder(ds.spec)
    if ids:
        rows = ds.query("SELECT id, input, expected FROM examples WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                        [list(ids)]).to_pylist()
        missing = sorted(set(ids) - {r["id"] for r in rows})
        if missing:
            from goldset.errors import UnknownId

            raise UnknownId(f"unknown id(s) in dataset {ds.name!r}: {', '.join(missing[:20])}; nothing written")
    else:
        exempt = (f"WHERE NOT list_has_any(edge_cases, {db.sql_list(finder.exempt)}::VARCHAR[])"
                  if finder.exempt else "")
        rows = ds.query(f"SELECT id, input, expected FROM examples {exempt}").to_pylist()
    kinds: Counter[str] = Counter()
    texts: dict[str, tuple[str, str | None]] = {}
    for r in rows:
        hits = finder.hits(r["input"]) + finder.hits(r["expected"])
        if hits:
            kinds.update(h.kind for h in hits)
            texts[r["id"]] = (str(finder.redact(r["input"])), finder.redact(r["expected"]))
    result = RedactResult(dataset=ds.name, found=len(texts), kinds=dict(kinds), dry_run=dry_run,
                          ids_sample=sorted(texts)[:100])
    if dry_run or not texts:
        result.updated = len(texts) if dry_run else 0
        return result
    written = edit_texts(ds, texts, op="pii-redact", note=note, keep_approval=keep_approval)
    for key in ("updated", "parts_written", "parts_replaced", "bytes_written", "generation"):
        setattr(result, key, getattr(written, key))
    return result

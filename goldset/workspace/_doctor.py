"""``doctor``: what is wrong with a dataset's store, and the audited repair of its manifest."""

from __future__ import annotations

from goldset.access import audit
from goldset.store import DoctorReport, examine, rebuild
from goldset.workspace._checkout import read_recorded
from goldset.workspace._dataset import Dataset
from goldset.workspace._write import guarding


def doctor(ds: Dataset, *, repair: bool = False) -> DoctorReport:
    """Examine the store (read-only); with ``repair``, rebuild a damaged manifest from the
    parts that are provably live, as an audited write. Nothing is ever deleted."""
    report = examine(ds.store)
    if repair and report.status == "damaged":
        note = f"manifest rebuilt from {len(report.candidates)} part(s): {report.problem}"
        with guarding(ds, "configure", op="doctor-repair", note=note):
            # The repaired store is local work on the checked-out version, if it has one.
            recorded = read_recorded(ds.workspace.root, ds.name)
            rebuild(ds.store, report, base=recorded.version if recorded else None)
        report.repaired = True
    return report


def verify_audit(ds: Dataset) -> audit.VerifyReport:
    """Check the chain of the dataset's audit log, and that the store's last commit names a
    line that is in it (a committed change always has its record)."""
    return audit.verify(ds.audit_path, confirmed=ds.manifest().audit)

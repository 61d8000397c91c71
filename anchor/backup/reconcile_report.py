"""What ``anchor reconcile`` found: the differences, named, and a summary per batch id.

Plain values (see :mod:`anchor.backup.reconcile` for how they are found); the CLI renders
them as a table or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BatchSummary", "Difference", "ReconcileReport"]


@dataclass(frozen=True)
class Difference:
    """One thing that differs. ``kind`` is one of: record_altered, record_deleted,
    record_inserted, record_missing (anchored in a batch the database lost: a lost write),
    account_altered, account_deleted, batch_altered, batch_missing_in_db,
    batch_missing_on_chain, bundle_missing, bundle_altered, bundle_mismatching,
    target_unavailable, batch_unverified."""

    kind: str
    batch_id: int | None = None
    record_id: str | None = None
    field: str | None = None
    target: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class BatchSummary:
    """What reconciling one batch id found. ``state`` is the database's (None: not in the
    database); ``copies`` counts the intact bundles whose records rebuild the expected root;
    ``records`` the records compared."""

    batch_id: int
    state: str | None
    on_chain: bool
    records: int
    copies: int
    differences: tuple[Difference, ...] = ()

    @property
    def status(self) -> str:
        """``differs`` (any difference), ``pending`` (sealed, not anchored yet) or ``ok``."""
        if self.differences:
            return "differs"
        return "ok" if self.on_chain else "pending"

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "status": self.status,
            "state": self.state,
            "on_chain": self.on_chain,
            "records": self.records,
            "intact_copies": self.copies,
            "differences": [d.__dict__ for d in self.differences],
        }


@dataclass(frozen=True)
class ReconcileReport:
    differences: tuple[Difference, ...]
    batches: int
    records: int
    pending: tuple[int, ...] = ()
    last_on_chain: int = 0
    targets: tuple[str, ...] = field(default=())
    per_batch: tuple[BatchSummary, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def backups_checked(self) -> bool:
        """False when no backup target was given: only the database and the chain were
        compared."""
        return bool(self.targets)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "batches": self.batches,
            "records": self.records,
            "last_batch_on_chain": self.last_on_chain,
            "pending": list(self.pending),
            "targets": list(self.targets),
            "backups_checked": self.backups_checked,
            "differences": [d.__dict__ for d in self.differences],
            "per_batch": [b.to_json() for b in self.per_batch],
        }

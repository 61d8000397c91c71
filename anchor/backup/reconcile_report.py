"""What ``anchor reconcile`` found: the differences, named, and a summary per batch id.

Plain values (see :mod:`anchor.backup.reconcile` for how they are found); the CLI renders
them as a table or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from anchor.core.json_fields import json_fields

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
        keys = "batch_id status state on_chain records intact_copies differences"
        return json_fields(self, keys, rename={"intact_copies": "copies"})


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
        keys = "ok batches records last_batch_on_chain pending targets backups_checked"
        rename = {"last_batch_on_chain": "last_on_chain"}
        return json_fields(self, f"{keys} differences per_batch", rename=rename)

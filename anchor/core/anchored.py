"""Where a batch was anchored, as the registry's ``Anchored`` event tells it: the one
definition the chain's event reader returns (:class:`AnchorEvent`, with its block's time), the
store's event cache keeps (:class:`anchor.store.anchor_events.EventRow`) and the backup tools
(:class:`anchor.backup.chainview.AnchorFacts`) extend with what each adds."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

__all__ = ["AnchorEvent", "AnchoredBatch", "anchored_fields"]


@dataclass(frozen=True)
class AnchoredBatch:
    """One ``Anchored(batchId, root, leafCount)`` event and where it is."""

    batch_id: int
    root: bytes
    leaf_count: int
    tx_hash: bytes
    block_number: int
    block_hash: bytes


@dataclass(frozen=True)
class AnchorEvent(AnchoredBatch):
    """One ``Anchored(batchId, root, leafCount)`` event, where it is and its block's time."""

    block_time: int  # unix seconds


def anchored_fields(source: Any) -> dict[str, Any]:
    """The :class:`AnchoredBatch` fields of ``source`` (any object that has them, such as a
    decoded log), by name: what a subclass is built from."""
    return {f.name: getattr(source, f.name) for f in fields(AnchoredBatch)}

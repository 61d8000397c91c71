"""Read-only views of the transaction manager's tables (``anchor batches``, the API,
``/metrics``): the jobs of each batch per chain and the counts by state. The writes are in
:mod:`anchor.store.tx_repo` and :mod:`anchor.store.tx_blocks`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, func, select

from anchor.store.models import Batch, BatchState
from anchor.store.tx_models import TX_PENDING, AnchorAttempt, AnchorTx

if TYPE_CHECKING:
    from anchor.store.db import Database

__all__ = [
    "BatchOverview",
    "anchors_of",
    "batch_overview",
    "sealed_count",
    "state_counts",
    "unanchored_count",
]


@dataclass(frozen=True)
class BatchOverview:
    """A batch, its anchor job per chain (chain id → job; no entry before that chain's first
    tick) and how many attempts each has."""

    batch: Batch
    txs: dict[int, AnchorTx]
    attempts: dict[int, int]


def state_counts(db: Database, chain_id: int | None = None) -> dict[str, int]:
    """How many anchor jobs are in each state (on ``chain_id``, or on every chain)."""
    query = select(AnchorTx.state, func.count()).group_by(AnchorTx.state)
    if chain_id is not None:
        query = query.where(AnchorTx.chain_id == chain_id)
    with db.session(write=False) as s:
        rows = s.exec(query).all()
    return {str(state): int(n) for state, n in rows}


def sealed_count(db: Database) -> int:
    """Batches sealed and not yet submitted on any chain."""
    with db.session(write=False) as s:
        return int(s.exec(select(func.count()).where(Batch.state == BatchState.SEALED.value)).one())


def unanchored_count(db: Database, chain_ids: list[int]) -> int:
    """Batches that some chain of ``chain_ids`` has not submitted yet (no job, or a pending
    one)."""
    total = 0
    with db.session(write=False) as s:
        batches = int(s.exec(select(func.count()).select_from(Batch)).one())
        for chain_id in chain_ids:
            started = s.exec(
                select(func.count()).where(
                    AnchorTx.chain_id == chain_id, AnchorTx.state != TX_PENDING
                )
            ).one()
            total = max(total, batches - int(started))
    return total


def batch_overview(db: Database, limit: int) -> list[BatchOverview]:
    """The newest ``limit`` batches with their jobs per chain and attempt counts (``anchor
    batches``)."""
    with db.session(write=False) as s:
        batches = s.exec(select(Batch).order_by(col(Batch.id).desc()).limit(limit)).all()
        ids = [b.id for b in batches]
        txs: dict[int, dict[int, AnchorTx]] = {}
        for t in s.exec(select(AnchorTx).where(col(AnchorTx.batch_id).in_(ids))):
            txs.setdefault(t.batch_id, {})[t.chain_id] = t
        counts: dict[int, dict[int, int]] = {}
        for batch_id, chain_id, n in s.exec(
            select(AnchorAttempt.batch_id, AnchorAttempt.chain_id, func.count())
            .where(col(AnchorAttempt.batch_id).in_(ids))
            .group_by(col(AnchorAttempt.batch_id), col(AnchorAttempt.chain_id))
        ).all():
            counts.setdefault(int(batch_id), {})[int(chain_id)] = int(n)
    return [BatchOverview(b, txs.get(b.id, {}), counts.get(b.id, {})) for b in batches]


def anchors_of(db: Database, batch_ids: list[int]) -> dict[int, list[AnchorTx]]:
    """The jobs of the given batches on every chain (batch id → jobs, by chain id)."""
    out: dict[int, list[AnchorTx]] = {}
    with db.session(write=False) as s:
        rows = s.exec(
            select(AnchorTx)
            .where(col(AnchorTx.batch_id).in_(batch_ids))
            .order_by(col(AnchorTx.batch_id), col(AnchorTx.chain_id))
        ).all()
    for t in rows:
        out.setdefault(t.batch_id, []).append(t)
    return out

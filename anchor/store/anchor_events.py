"""The cache of the registry's ``Anchored`` events (migration 0008): what the explorer, the
export and the report read instead of scanning the chain from the deployment block on every
view. All its SQL lives here; reads return named rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from anchor.core.anchored import AnchorEvent
from anchor.store.db import Database
from anchor.store.rows import typed

__all__ = [
    "EventRow",
    "ScanState",
    "batch_known",
    "batch_of_tx",
    "cached_events",
    "save_scan",
    "scan_state",
]


@dataclass(frozen=True)
class ScanState:
    """Which blocks of a registry's history the cache holds: ``from_block..next_block - 1``."""

    from_block: int
    next_block: int
    latest_block: int
    scanned_at: int  # unix seconds


def scan_state(db: Database, chain_id: int, contract: str) -> ScanState | None:
    r = db.first(
        "SELECT from_block, next_block, latest_block, scanned_at FROM anchor_event_scans"
        " WHERE chain_id = :c AND contract = :a",
        {"c": chain_id, "a": contract.lower()},
    )
    if r is None:
        return None
    return ScanState(int(r.from_block), int(r.next_block), int(r.latest_block), int(r.scanned_at))


def save_scan(
    db: Database,
    chain_id: int,
    contract: str,
    state: ScanState,
    rescanned_from: int,
    events: Sequence[AnchorEvent],
) -> None:
    """Replace the cached events from block ``rescanned_from`` on with ``events`` (a reorg
    changes only what was read again) and record the new scan state, in one transaction. A
    batch id seen twice keeps its first event and counts the others."""
    params = {"c": chain_id, "a": contract.lower()}
    with db.connect() as conn:
        conn.execute(
            sa.text(
                "DELETE FROM anchor_events WHERE chain_id = :c AND contract = :a"
                " AND block_number >= :b"
            ),
            {**params, "b": rescanned_from},
        )
        known = {
            int(r.batch_id)
            for r in conn.execute(
                sa.text("SELECT batch_id FROM anchor_events WHERE chain_id = :c AND contract = :a"),
                params,
            )
        }
        for ev in events:
            if ev.batch_id in known:
                conn.execute(
                    sa.text(
                        "UPDATE anchor_events SET duplicates = duplicates + 1 WHERE chain_id = :c"
                        " AND contract = :a AND batch_id = :id"
                    ),
                    {**params, "id": ev.batch_id},
                )
                continue
            known.add(ev.batch_id)
            conn.execute(
                sa.text(
                    "INSERT INTO anchor_events (chain_id, contract, batch_id, root, leaf_count,"
                    " tx_hash, block_number, block_hash, block_time, duplicates) VALUES (:c, :a,"
                    " :id, :root, :n, :tx, :bn, :bh, :bt, 0)"
                ),
                {
                    **params,
                    "id": ev.batch_id,
                    "root": ev.root,
                    "n": ev.leaf_count,
                    "tx": ev.tx_hash,
                    "bn": ev.block_number,
                    "bh": ev.block_hash,
                    "bt": ev.block_time,
                },
            )
        conn.execute(
            sa.text("DELETE FROM anchor_event_scans WHERE chain_id = :c AND contract = :a"), params
        )
        conn.execute(
            sa.text(
                "INSERT INTO anchor_event_scans (chain_id, contract, from_block, next_block,"
                " latest_block, scanned_at) VALUES (:c, :a, :f, :n, :l, :t)"
            ),
            {
                **params,
                "f": state.from_block,
                "n": state.next_block,
                "l": state.latest_block,
                "t": state.scanned_at,
            },
        )


@dataclass(frozen=True)
class EventRow(AnchorEvent):
    """One cached ``Anchored`` event (``duplicates``: later events for the same batch id)."""

    duplicates: int


def cached_events(
    db: Database, chain_id: int, contract: str, from_block: int = 0
) -> list[EventRow]:
    """The cached events from ``from_block`` on, by batch id."""
    rows = db.rows(
        "SELECT batch_id, root, leaf_count, tx_hash, block_number, block_hash,"
        " block_time, duplicates FROM anchor_events WHERE chain_id = :c AND contract = :a"
        " AND block_number >= :b ORDER BY batch_id",
        {"c": chain_id, "a": contract.lower(), "b": from_block},
    )
    return [typed(EventRow, r) for r in rows]


def batch_of_tx(db: Database, tx_hash: bytes) -> int | None:
    """The batch anchored by transaction ``tx_hash`` (our records, else the event cache)."""
    with db.connect(write=False) as conn:
        found = conn.execute(
            sa.text("SELECT id FROM batches WHERE tx_hash = :t"), {"t": tx_hash}
        ).scalar()
        if found is None:
            found = conn.execute(
                sa.text("SELECT batch_id FROM anchor_events WHERE tx_hash = :t LIMIT 1"),
                {"t": tx_hash},
            ).scalar()
    return None if found is None else int(found)


def batch_known(db: Database, batch_id: int) -> bool:
    """Whether our records or the event cache know ``batch_id``."""
    with db.connect(write=False) as conn:
        ours = conn.execute(
            sa.text("SELECT 1 FROM batches WHERE id = :b"), {"b": batch_id}
        ).scalar()
        chain = conn.execute(
            sa.text("SELECT 1 FROM anchor_events WHERE batch_id = :b LIMIT 1"), {"b": batch_id}
        ).scalar()
    return ours is not None or chain is not None

"""Persistence of the transaction manager, part two (part one: :mod:`anchor.store.tx_repo`):
what the chain's blocks say about a job — a receipt (included, or reverted), finality, and
reorgs that move a transaction to another block or drop it. One function per step, each one
transaction; ``False`` when the job had moved on meanwhile (nothing written)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select

from anchor.store import tx_models as tm
from anchor.store.alarms import raise_alarm
from anchor.store.tx_models import AnchorAttempt, AnchorTx, utcnow
from anchor.store.tx_repo import attempts_of, job_key, save_job

if TYPE_CHECKING:
    from anchor.store.db import Database

__all__ = [
    "BlocksToCheck",
    "blocks_to_check",
    "mark_final",
    "mark_moved",
    "mark_reorged",
    "record_receipt",
]


@dataclass(frozen=True)
class BlocksToCheck:
    """Included jobs (by batch id) and the newest final ones (newest block first)."""

    included: list[AnchorTx]
    recent_final: list[AnchorTx]


# -- receipts and finality -------------------------------------------------------------------------------
def record_receipt(
    db: Database,
    batch_id: int,
    attempt: AnchorAttempt,
    *,
    status: int,
    block_number: int,
    block_hash: str,
    reverted: str,
) -> bool:
    """A receipt of ``attempt``: it is mined (the others replaced); status 1 → the job is
    included; else the job failed and ``tx_reverted`` is raised with the message
    ``reverted``. False when the job was not submitted any more (nothing written)."""
    now = utcnow()
    chain_id = attempt.chain_id
    with db.session() as s:
        tx = s.get(AnchorTx, job_key(chain_id, batch_id), with_for_update=True)
        if tx is None or tx.state != tm.TX_SUBMITTED:
            return False
        for other in attempts_of(s, chain_id, batch_id):
            if other.id == attempt.id:
                other.status = tm.ATTEMPT_MINED
            elif other.status in (tm.ATTEMPT_LIVE, tm.ATTEMPT_MINED):
                other.status = tm.ATTEMPT_REPLACED
            s.add(other)
        tx.tx_hash, tx.block_number, tx.block_hash = attempt.tx_hash, block_number, block_hash
        tx.updated_at = now
        if status != 1:
            tx.state = tm.TX_FAILED
            tx.last_error = reverted
            raise_alarm(s, tm.ALARM_TX_REVERTED, batch_id, reverted, chain_id=chain_id)
        else:
            tx.state = tm.TX_INCLUDED
            tx.included_at = now
        save_job(s, tx)
    return True


def blocks_to_check(db: Database, chain_id: int, *, final_limit: int) -> BlocksToCheck:
    """Included jobs of ``chain_id`` and its ``final_limit`` newest final ones, in one read
    transaction."""
    with db.session(write=False) as s:
        included = list(
            s.exec(
                select(AnchorTx)
                .where(AnchorTx.chain_id == chain_id, AnchorTx.state == tm.TX_INCLUDED)
                .order_by(col(AnchorTx.batch_id))
            ).all()
        )
        recent_final = list(
            s.exec(
                select(AnchorTx)
                .where(
                    AnchorTx.chain_id == chain_id,
                    AnchorTx.state == tm.TX_FINAL,
                    col(AnchorTx.block_number).is_not(None),
                )
                .order_by(col(AnchorTx.block_number).desc(), col(AnchorTx.batch_id).desc())
                .limit(final_limit)
            ).all()
        )
    return BlocksToCheck(included=included, recent_final=recent_final)


def mark_final(db: Database, chain_id: int, batch_id: int) -> bool:
    """An included job becomes final; False when it was not included."""
    with db.session() as s:
        current = s.get(AnchorTx, job_key(chain_id, batch_id), with_for_update=True)
        if current is None or current.state != tm.TX_INCLUDED:
            return False
        current.state = tm.TX_FINAL
        current.final_at = utcnow()
        current.updated_at = current.final_at
        save_job(s, current)
    return True


# -- reorgs --------------------------------------------------------------------------------
def mark_moved(
    db: Database, chain_id: int, batch_id: int, block_number: int, block_hash: str
) -> bool:
    """A reorg mined the same transaction in another block: record it (one more reorg)."""
    with db.session() as s:
        current = s.get(AnchorTx, job_key(chain_id, batch_id), with_for_update=True)
        if current is None:
            return False
        current.block_number, current.block_hash = block_number, block_hash
        current.reorgs += 1
        current.updated_at = utcnow()
        save_job(s, current)
    return True


def mark_reorged(db: Database, chain_id: int, batch_id: int, *, from_state: str) -> bool:
    """The job's block is gone: back to broadcast with its mined attempt live again (the
    stored bytes stay valid while the nonce is unused), or back to pending when there is none
    to revive. False when the job was not in ``from_state`` (nothing written)."""
    with db.session() as s:
        current = s.get(AnchorTx, job_key(chain_id, batch_id), with_for_update=True)
        if current is None or current.state != from_state:
            return False
        revived = False
        for attempt in attempts_of(s, chain_id, batch_id):
            if attempt.status == tm.ATTEMPT_MINED:
                attempt.status = tm.ATTEMPT_LIVE
                attempt.broadcast_count = 0
                attempt.first_broadcast_at = None
                attempt.first_broadcast_block = None
                attempt.last_broadcast_at = None
                revived = True
                s.add(attempt)
        current.state = tm.TX_SUBMITTED if revived else tm.TX_PENDING
        if not revived:
            current.nonce = None
        current.tx_hash = current.block_number = current.block_hash = None
        current.included_at = current.final_at = None
        current.reorgs += 1
        current.updated_at = utcnow()
        save_job(s, current)
    return True

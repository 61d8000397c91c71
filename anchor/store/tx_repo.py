"""Persistence of the transaction manager (:mod:`anchor.service.txmanager`): every read and
write of ``anchor_txs``, ``anchor_attempts``, ``anchor_nonces`` and of the batch columns the
manager fills, one function per step of the state machine, each one transaction. This module:
the jobs, the nonce cursor and the attempts (prepare, broadcast, the operator's retry);
:mod:`anchor.store.tx_blocks`: what the chain's blocks say (receipts, finality, reorgs).

Rows are the tables of :mod:`anchor.store.tx_models`. Hashes and roots are ``0x`` hex text in
``anchor_txs`` / ``anchor_attempts`` and bytes in ``batches``: converted here only.

A function that re-reads a row under ``FOR UPDATE`` and finds it moved on by another process
changes nothing and says so (``False`` / ``None``): the caller then stops there. An alarm that
reports a transition is raised in the same transaction as the transition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from anchor.errors import ConflictError, NotFoundError
from anchor.store.alarms import raise_alarm, resolve_alarms
from anchor.store.models import Batch, BatchState
from anchor.store.tx_models import (
    ALARM_INSUFFICIENT_FUNDS,
    ALARM_NONCE_CONSUMED,
    ALARM_ROOT_MISMATCH,
    ALARM_TX_REVERTED,
    ATTEMPT_ABANDONED,
    ATTEMPT_LIVE,
    ATTEMPT_REPLACED,
    TX_CONFLICT,
    TX_FAILED,
    TX_FINAL,
    TX_INCLUDED,
    TX_PENDING,
    TX_SUBMITTED,
    AnchorAttempt,
    AnchorTx,
    NonceCursor,
    utcnow,
)

if TYPE_CHECKING:
    from anchor.store.db import Database

__all__ = [
    "BatchOverview",
    "BatchToAnchor",
    "NewAttempt",
    "adopt",
    "attempts_of",
    "batch_overview",
    "batches_to_prepare",
    "conflict",
    "ensure_tx",
    "get_tx",
    "live_attempt",
    "note_error",
    "receipt_candidates",
    "record_broadcast",
    "release_nonce",
    "replace_attempt",
    "reset_failed",
    "sealed_count",
    "state_counts",
    "submit",
    "submitted_txs",
    "tx_root",
    "unhex",
]


@dataclass(frozen=True)
class BatchToAnchor:
    """A sealed batch the manager may prepare."""

    batch_id: int
    root: bytes
    leaf_count: int


@dataclass(frozen=True)
class BatchOverview:
    """A batch, its anchor job (None before the first tick) and how many attempts it has."""

    batch: Batch
    tx: AnchorTx | None
    attempts: int


@dataclass(frozen=True)
class NewAttempt:
    """A signed transaction, stored before it is ever sent."""

    tx_hash: str
    raw_tx: bytes
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def unhex(value: str | None) -> bytes | None:
    if value is None:
        return None
    return bytes.fromhex(value.removeprefix("0x"))


def tx_root(tx: AnchorTx) -> bytes:
    """The batch root a job anchors, as bytes."""
    return unhex(tx.root) or b""


def attempts_of(s: Session, batch_id: int) -> list[AnchorAttempt]:
    return list(
        s.exec(
            select(AnchorAttempt)
            .where(AnchorAttempt.batch_id == batch_id)
            .order_by(col(AnchorAttempt.id).desc())
        ).all()
    )


# -- prepare -------------------------------------------------------------------------------
def batches_to_prepare(db: Database, *, limit: int) -> list[BatchToAnchor]:
    """Sealed batches with no job yet or a pending one, lowest id first."""
    with db.session(write=False) as s:
        rows = s.exec(
            select(Batch.id, Batch.root, Batch.leaf_count)
            .join(AnchorTx, col(AnchorTx.batch_id) == col(Batch.id), isouter=True)
            .where(
                Batch.state == BatchState.SEALED.value,
                or_(col(AnchorTx.state).is_(None), col(AnchorTx.state) == TX_PENDING),
            )
            .order_by(col(Batch.id))
            .limit(limit)
        ).all()
    return [BatchToAnchor(int(i), bytes(root), int(n)) for i, root, n in rows]


def ensure_tx(
    db: Database,
    batch_id: int,
    root: bytes,
    leaf_count: int,
    *,
    chain_id: int,
    contract: str,
    sender: str,
) -> None:
    """The pending job of a batch, created when missing."""
    with db.session() as s:
        if s.get(AnchorTx, batch_id) is None:
            s.add(
                AnchorTx(
                    batch_id=batch_id,
                    chain_id=chain_id,
                    contract=contract,
                    sender=sender,
                    root=_hex(root),
                    leaf_count=leaf_count,
                    state=TX_PENDING,
                )
            )


def get_tx(db: Database, batch_id: int) -> AnchorTx | None:
    with db.session(write=False) as s:
        return s.get(AnchorTx, batch_id)


def note_error(db: Database, batch_id: int, message: str) -> None:
    """Remember why a job waits (written only when the reason changes)."""
    with db.session() as s:
        tx = s.get(AnchorTx, batch_id)
        if tx is not None and tx.last_error != message:
            tx.last_error = message
            tx.updated_at = utcnow()
            s.add(tx)


def _lock_cursor(s: Session, chain_id: int, sender: str) -> NonceCursor:
    query = select(NonceCursor).where(
        NonceCursor.chain_id == chain_id, NonceCursor.sender == sender
    )
    cursor = s.exec(query.with_for_update()).first()
    if cursor is None:
        cursor = NonceCursor(chain_id=chain_id, sender=sender, next_nonce=0)
        s.add(cursor)
        s.flush()
    return cursor


def _attempt_row(batch_id: int, nonce: int, signed: NewAttempt) -> AnchorAttempt:
    return AnchorAttempt(
        batch_id=batch_id,
        nonce=nonce,
        tx_hash=signed.tx_hash,
        raw_tx=signed.raw_tx,
        max_fee_per_gas=signed.max_fee_per_gas,
        max_priority_fee_per_gas=signed.max_priority_fee_per_gas,
        status=ATTEMPT_LIVE,
    )


def submit(
    db: Database,
    batch_id: int,
    *,
    chain_id: int,
    contract: str,
    sender: str,
    gas: int,
    chain_nonce: int,
    sign: Callable[[int], NewAttempt],
) -> tuple[int, str] | None:
    """Write-ahead: with the job and the nonce cursor locked, allocate the nonce (the
    cursor, or ``chain_nonce`` when the chain is ahead), call ``sign(nonce)`` and commit the
    signed attempt, the cursor, the job and the batch (submitted) together. Returns (nonce,
    tx hash); None when the job is no longer pending. An exception from ``sign`` (the fence)
    rolls everything back."""
    with db.session() as s:
        tx = s.get(AnchorTx, batch_id, with_for_update=True)
        if tx is None or tx.state != TX_PENDING:
            return None  # someone else prepared it meanwhile
        cursor = _lock_cursor(s, chain_id, sender)
        nonce = max(cursor.next_nonce, chain_nonce)
        signed = sign(nonce)
        s.add(_attempt_row(batch_id, nonce, signed))
        cursor.next_nonce = nonce + 1
        s.add(cursor)
        tx.nonce = nonce
        tx.gas_limit = gas
        tx.state = TX_SUBMITTED
        tx.updated_at = utcnow()
        tx.last_error = None
        s.add(tx)
        batch = s.get(Batch, batch_id)
        assert batch is not None
        batch.state = BatchState.SUBMITTED.value
        batch.chain_id = chain_id
        batch.contract = contract
        s.add(batch)
    return nonce, signed.tx_hash


def adopt(
    db: Database,
    batch_id: int,
    found: tuple[str, int, str] | None,
    *,
    chain_id: int,
    contract: str,
) -> None:
    """The chain already holds our root: the job takes the existing transaction ``found``
    (tx hash, block number, block hash) and is included, or final when the event is out of
    reach (None)."""
    with db.session() as s:
        tx = s.get(AnchorTx, batch_id, with_for_update=True)
        batch = s.get(Batch, batch_id)
        assert tx is not None and batch is not None
        if found is None:
            tx.state = TX_FINAL
            tx.final_at = utcnow()
            batch.state = BatchState.FINAL.value
            batch.final_at = tx.final_at
        else:
            tx_hash, number, block_hash = found
            tx.state = TX_INCLUDED
            tx.tx_hash, tx.block_number, tx.block_hash = tx_hash, number, block_hash
            tx.included_at = utcnow()
            batch.state = BatchState.INCLUDED.value
            batch.tx_hash = unhex(tx_hash)
            batch.block_number = number
            batch.block_hash = unhex(block_hash)
            batch.anchored_at = tx.included_at
        batch.chain_id = chain_id
        batch.contract = contract
        tx.updated_at = utcnow()
        s.add(tx)
        s.add(batch)


def conflict(db: Database, batch_id: int, message: str) -> None:
    """The contract holds another root for this batch id: the job stops for good (its live
    attempts abandoned) and ``root_mismatch`` is raised."""
    with db.session() as s:
        tx = s.get(AnchorTx, batch_id, with_for_update=True)
        assert tx is not None
        tx.state = TX_CONFLICT
        tx.last_error = message
        tx.updated_at = utcnow()
        s.add(tx)
        for attempt in attempts_of(s, batch_id):
            if attempt.status == ATTEMPT_LIVE:
                attempt.status = ATTEMPT_ABANDONED
                s.add(attempt)
        raise_alarm(s, ALARM_ROOT_MISMATCH, batch_id, message)


# -- broadcast -----------------------------------------------------------------------------
def submitted_txs(db: Database) -> list[AnchorTx]:
    """Jobs with a signed attempt not yet mined, by nonce."""
    with db.session(write=False) as s:
        return list(
            s.exec(
                select(AnchorTx).where(AnchorTx.state == TX_SUBMITTED).order_by(col(AnchorTx.nonce))
            ).all()
        )


def live_attempt(db: Database, batch_id: int) -> AnchorAttempt | None:
    """The newest live attempt of a batch."""
    with db.session(write=False) as s:
        return s.exec(
            select(AnchorAttempt)
            .where(AnchorAttempt.batch_id == batch_id, AnchorAttempt.status == ATTEMPT_LIVE)
            .order_by(col(AnchorAttempt.id).desc())
        ).first()


def receipt_candidates(db: Database, batch_id: int) -> list[AnchorAttempt]:
    """Every attempt of a batch that may have been mined (not abandoned), newest first."""
    with db.session(write=False) as s:
        return [a for a in attempts_of(s, batch_id) if a.status != ATTEMPT_ABANDONED]


def replace_attempt(
    db: Database, batch_id: int, old: AnchorAttempt, new: NewAttempt, nonce: int
) -> AnchorAttempt | None:
    """A fee bump: ``old`` becomes replaced and ``new`` (same nonce) the live attempt, in one
    commit. None when the job or ``old`` moved on meanwhile."""
    replacement = _attempt_row(batch_id, nonce, new)
    with db.session() as s:
        current = s.get(AnchorTx, batch_id, with_for_update=True)
        fresh = s.get(AnchorAttempt, old.id)
        if current is None or current.state != TX_SUBMITTED or fresh is None:
            return None
        if fresh.status != ATTEMPT_LIVE:
            return None
        fresh.status = ATTEMPT_REPLACED
        s.add(fresh)
        s.add(replacement)
    return replacement


def record_broadcast(db: Database, attempt: AnchorAttempt, *, head: int, now: datetime) -> None:
    """The node took ``attempt``: count it (first broadcast: time and head height) and
    resolve ``insufficient_funds``."""
    with db.session() as s:
        fresh = s.get(AnchorAttempt, attempt.id)
        if fresh is not None:
            fresh.broadcast_count += 1
            fresh.last_broadcast_at = now
            if fresh.first_broadcast_at is None:
                fresh.first_broadcast_at = now
                fresh.first_broadcast_block = head
            s.add(fresh)
        resolve_alarms(s, ALARM_INSUFFICIENT_FUNDS)


def release_nonce(db: Database, batch_id: int, message: str) -> None:
    """The job's nonce was used by another transaction: its attempts are abandoned, the job
    goes back to pending (a new nonce) and the batch to sealed; ``nonce_consumed`` is raised.
    Nothing when the job is no longer submitted."""
    with db.session() as s:
        current = s.get(AnchorTx, batch_id, with_for_update=True)
        if current is None or current.state != TX_SUBMITTED:
            return
        for attempt in attempts_of(s, batch_id):
            if attempt.status in (ATTEMPT_LIVE, ATTEMPT_REPLACED):
                attempt.status = ATTEMPT_ABANDONED
                s.add(attempt)
        current.state = TX_PENDING
        current.nonce = None
        current.updated_at = utcnow()
        s.add(current)
        batch = s.get(Batch, batch_id)
        if batch is not None:
            batch.state = BatchState.SEALED.value
            s.add(batch)
        raise_alarm(s, ALARM_NONCE_CONSUMED, batch_id, message)


# -- operator ------------------------------------------------------------------------------
def reset_failed(db: Database, batch_id: int) -> None:
    """A reverted job back to pending (old attempts abandoned, ``tx_reverted`` resolved).
    :class:`NotFoundError` without a job, :class:`ConflictError` unless it failed."""
    with db.session() as s:
        tx = s.get(AnchorTx, batch_id, with_for_update=True)
        batch = s.get(Batch, batch_id)
        if tx is None or batch is None:
            raise NotFoundError(f"batch {batch_id} has no anchor transaction")
        if tx.state != TX_FAILED:
            raise ConflictError(f"batch {batch_id} is {tx.state}: only a failed anchor is retried")
        for attempt in s.exec(select(AnchorAttempt).where(AnchorAttempt.batch_id == batch_id)):
            attempt.status = ATTEMPT_ABANDONED
            s.add(attempt)
        tx.state, tx.nonce, tx.tx_hash, tx.block_number, tx.block_hash = (
            TX_PENDING, None, None, None, None,
        )  # fmt: skip
        tx.last_error = None
        tx.updated_at = utcnow()
        batch.state = BatchState.SEALED.value
        batch.tx_hash = batch.block_number = batch.block_hash = None
        s.add(tx)
        s.add(batch)
        resolve_alarms(s, ALARM_TX_REVERTED, batch_id)


def state_counts(db: Database) -> dict[str, int]:
    """How many anchor jobs are in each state."""
    with db.session(write=False) as s:
        rows = s.exec(select(AnchorTx.state, func.count()).group_by(AnchorTx.state)).all()
    return {str(state): int(n) for state, n in rows}


def sealed_count(db: Database) -> int:
    """Batches sealed and not yet submitted."""
    with db.session(write=False) as s:
        return int(s.exec(select(func.count()).where(Batch.state == BatchState.SEALED.value)).one())


def batch_overview(db: Database, limit: int) -> list[BatchOverview]:
    """The newest ``limit`` batches with their jobs and attempt counts (``anchor batches``)."""
    with db.session(write=False) as s:
        batches = s.exec(select(Batch).order_by(col(Batch.id).desc()).limit(limit)).all()
        ids = [b.id for b in batches]
        txs = {
            t.batch_id: t for t in s.exec(select(AnchorTx).where(col(AnchorTx.batch_id).in_(ids)))
        }
        counts = {
            int(batch_id): int(n)
            for batch_id, n in s.exec(
                select(AnchorAttempt.batch_id, func.count())
                .where(col(AnchorAttempt.batch_id).in_(ids))
                .group_by(col(AnchorAttempt.batch_id))
            ).all()
        }
    return [BatchOverview(b, txs.get(b.id), counts.get(b.id, 0)) for b in batches]

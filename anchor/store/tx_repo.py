"""Persistence of the transaction manager (:mod:`anchor.service.txmanager`): every read and
write of ``anchor_txs``, ``anchor_attempts``, ``anchor_nonces`` and of the batch columns the
manager fills, one function per step of the state machine, each one transaction. This module:
the jobs, the nonce cursor and the attempts (prepare, broadcast, the operator's retry);
:mod:`anchor.store.tx_blocks`: what the chain's blocks say (receipts, finality, reorgs).

Every job belongs to one chain (``chain_id``; migration 0010): each chain's manager reads and
writes only its own jobs and attempts. The batch's own columns (``state``, ``tx_hash``,
``block_*``, ``chain_id``, ``contract``, times) show its most advanced anchor across the
chains, recomputed by :func:`sync_batch` in the same transaction as every change of a job:
a batch is ``final`` once it is final on one chain (the per-chain states are in
``anchor_txs``; :func:`batch_overview` returns them).

Rows are the tables of :mod:`anchor.store.tx_models`. Hashes and roots are ``0x`` hex text in
``anchor_txs`` / ``anchor_attempts`` and bytes in ``batches``: converted here only.

A function that re-reads a row under ``FOR UPDATE`` and finds it moved on by another process
changes nothing and says so (``False`` / ``None``): the caller then stops there. An alarm that
reports a transition is raised in the same transaction as the transition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_
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
    NewAttempt,
    NonceCursor,
    utcnow,
)

if TYPE_CHECKING:
    from anchor.store.db import Database

__all__ = [
    "BatchToAnchor",
    "NewAttempt",
    "adopt",
    "attempts_of",
    "batches_to_prepare",
    "conflict",
    "ensure_tx",
    "get_tx",
    "job_key",
    "live_attempt",
    "newest_batch_id",
    "note_error",
    "receipt_candidates",
    "record_broadcast",
    "release_nonce",
    "replace_attempt",
    "reset_failed",
    "save_job",
    "submit",
    "submitted_txs",
    "sync_batch",
    "tx_root",
    "unhex",
]


@dataclass(frozen=True)
class BatchToAnchor:
    """A sealed batch the manager may prepare."""

    batch_id: int
    root: bytes
    leaf_count: int


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def unhex(value: str | None) -> bytes | None:
    if value is None:
        return None
    return bytes.fromhex(value.removeprefix("0x"))


def tx_root(tx: AnchorTx) -> bytes:
    """The batch root a job anchors, as bytes."""
    return unhex(tx.root) or b""


def job_key(chain_id: int, batch_id: int) -> dict[str, int]:
    """The primary key of a job (``session.get(AnchorTx, job_key(...))``)."""
    return {"chain_id": chain_id, "batch_id": batch_id}


def attempts_of(s: Session, chain_id: int, batch_id: int) -> list[AnchorAttempt]:
    return list(
        s.exec(
            select(AnchorAttempt)
            .where(AnchorAttempt.chain_id == chain_id, AnchorAttempt.batch_id == batch_id)
            .order_by(col(AnchorAttempt.id).desc())
        ).all()
    )


_RANK = {TX_FINAL: 4, TX_INCLUDED: 3, TX_SUBMITTED: 2, TX_FAILED: 2}
_BATCH_STATE = {4: BatchState.FINAL, 3: BatchState.INCLUDED, 2: BatchState.SUBMITTED}


def save_job(s: Session, job: AnchorTx) -> None:
    """Write ``job`` and bring its batch's own columns up to date (:func:`sync_batch`)."""
    s.add(job)
    s.flush()
    sync_batch(s, job.batch_id)


def sync_batch(s: Session, batch_id: int) -> None:
    """The batch's own columns from its most advanced anchor across the chains (ties: the
    chain it already shows, then the lowest chain id); ``sealed`` while no chain has one.

    The batch row is locked before the jobs are read: two chains' managers changing their
    jobs of one batch at once then write the batch one after the other, the second reading
    the first's committed job (PostgreSQL, read committed), never a stale pair."""
    batch = s.get(Batch, batch_id, with_for_update=True, populate_existing=True)
    if batch is None:
        return
    jobs = list(
        s.exec(
            select(AnchorTx)
            .where(AnchorTx.batch_id == batch_id)
            .execution_options(populate_existing=True)
        ).all()
    )
    best = max(
        jobs,
        key=lambda t: (_RANK.get(t.state, 1), t.chain_id == batch.chain_id, -t.chain_id),
        default=None,
    )
    rank = 1 if best is None else _RANK.get(best.state, 1)
    batch.state = _BATCH_STATE.get(rank, BatchState.SEALED).value
    shown = best is not None and best.state in (TX_INCLUDED, TX_FINAL, TX_FAILED)
    if best is not None and rank > 1:
        batch.chain_id, batch.contract = best.chain_id, best.contract
    batch.tx_hash = unhex(best.tx_hash) if shown and best is not None else None
    mined = best is not None and best.state in (TX_INCLUDED, TX_FINAL)
    batch.block_number = best.block_number if mined and best is not None else None
    batch.block_hash = unhex(best.block_hash) if mined and best is not None else None
    batch.anchored_at = best.included_at if mined and best is not None else None
    batch.final_at = best.final_at if best is not None and best.state == TX_FINAL else None
    s.add(batch)


# -- prepare -------------------------------------------------------------------------------
def batches_to_prepare(db: Database, chain_id: int, *, limit: int) -> list[BatchToAnchor]:
    """Batches with no job on ``chain_id`` yet or a pending one, lowest id first."""
    with db.session(write=False) as s:
        rows = s.exec(
            select(Batch.id, Batch.root, Batch.leaf_count)
            .join(
                AnchorTx,
                and_(col(AnchorTx.batch_id) == col(Batch.id), col(AnchorTx.chain_id) == chain_id),
                isouter=True,
            )
            .where(or_(col(AnchorTx.state).is_(None), col(AnchorTx.state) == TX_PENDING))
            .order_by(col(Batch.id))
            .limit(limit)
        ).all()
    return [BatchToAnchor(int(i), bytes(root), int(n)) for i, root, n in rows]


def newest_batch_id(db: Database) -> int:
    """The highest sealed batch id (0 before the first seal): a chain's cadence counts from
    it."""
    with db.session(write=False) as s:
        return int(s.exec(select(func.coalesce(func.max(Batch.id), 0))).one())


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
    """The pending job of a batch on ``chain_id``, created when missing."""
    with db.session() as s:
        if s.get(AnchorTx, job_key(chain_id, batch_id)) is None:
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


def get_tx(db: Database, chain_id: int, batch_id: int) -> AnchorTx | None:
    with db.session(write=False) as s:
        return s.get(AnchorTx, job_key(chain_id, batch_id))


def note_error(db: Database, chain_id: int, batch_id: int, message: str) -> None:
    """Remember why a job waits (written only when the reason changes)."""
    with db.session() as s:
        tx = s.get(AnchorTx, job_key(chain_id, batch_id))
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


def _attempt_row(chain_id: int, batch_id: int, nonce: int, signed: NewAttempt) -> AnchorAttempt:
    """The live attempt row of ``signed`` (its fields are the row's columns of the same names)."""
    return AnchorAttempt(
        batch_id=batch_id, chain_id=chain_id, nonce=nonce, status=ATTEMPT_LIVE, **asdict(signed)
    )


def submit(
    db: Database,
    batch_id: int,
    *,
    chain_id: int,
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
        tx = s.get(AnchorTx, job_key(chain_id, batch_id), with_for_update=True)
        if tx is None or tx.state != TX_PENDING:
            return None  # someone else prepared it meanwhile
        cursor = _lock_cursor(s, chain_id, sender)
        nonce = max(cursor.next_nonce, chain_nonce)
        signed = sign(nonce)
        s.add(_attempt_row(chain_id, batch_id, nonce, signed))
        cursor.next_nonce = nonce + 1
        s.add(cursor)
        tx.nonce = nonce
        tx.gas_limit = gas
        tx.state = TX_SUBMITTED
        tx.updated_at = utcnow()
        tx.last_error = None
        save_job(s, tx)
    return nonce, signed.tx_hash


def adopt(db: Database, chain_id: int, batch_id: int, found: tuple[str, int, str] | None) -> None:
    """The chain already holds our root: the job takes the existing transaction ``found``
    (tx hash, block number, block hash) and is included, or final when the event is out of
    reach (None)."""
    with db.session() as s:
        tx = s.get(AnchorTx, job_key(chain_id, batch_id), with_for_update=True)
        assert tx is not None
        if found is None:
            tx.state = TX_FINAL
            tx.final_at = utcnow()
        else:
            tx_hash, number, block_hash = found
            tx.state = TX_INCLUDED
            tx.tx_hash, tx.block_number, tx.block_hash = tx_hash, number, block_hash
            tx.included_at = utcnow()
        tx.updated_at = utcnow()
        save_job(s, tx)


def conflict(db: Database, chain_id: int, batch_id: int, message: str) -> None:
    """The contract holds another root for this batch id: the job stops for good (its live
    attempts abandoned) and ``root_mismatch`` is raised."""
    with db.session() as s:
        tx = s.get(AnchorTx, job_key(chain_id, batch_id), with_for_update=True)
        assert tx is not None
        tx.state = TX_CONFLICT
        tx.last_error = message
        tx.updated_at = utcnow()
        s.add(tx)
        for attempt in attempts_of(s, chain_id, batch_id):
            if attempt.status == ATTEMPT_LIVE:
                attempt.status = ATTEMPT_ABANDONED
                s.add(attempt)
        raise_alarm(s, ALARM_ROOT_MISMATCH, batch_id, message, chain_id=chain_id)
        s.flush()
        sync_batch(s, batch_id)


# -- broadcast -----------------------------------------------------------------------------
def submitted_txs(db: Database, chain_id: int) -> list[AnchorTx]:
    """Jobs of ``chain_id`` with a signed attempt not yet mined, by nonce."""
    with db.session(write=False) as s:
        return list(
            s.exec(
                select(AnchorTx)
                .where(AnchorTx.chain_id == chain_id, AnchorTx.state == TX_SUBMITTED)
                .order_by(col(AnchorTx.nonce))
            ).all()
        )


def live_attempt(db: Database, chain_id: int, batch_id: int) -> AnchorAttempt | None:
    """The newest live attempt of a batch on ``chain_id``."""
    with db.session(write=False) as s:
        return s.exec(
            select(AnchorAttempt)
            .where(
                AnchorAttempt.chain_id == chain_id,
                AnchorAttempt.batch_id == batch_id,
                AnchorAttempt.status == ATTEMPT_LIVE,
            )
            .order_by(col(AnchorAttempt.id).desc())
        ).first()


def receipt_candidates(db: Database, chain_id: int, batch_id: int) -> list[AnchorAttempt]:
    """Every attempt of a batch on ``chain_id`` that may have been mined (not abandoned),
    newest first."""
    with db.session(write=False) as s:
        return [a for a in attempts_of(s, chain_id, batch_id) if a.status != ATTEMPT_ABANDONED]


def replace_attempt(
    db: Database, batch_id: int, old: AnchorAttempt, new: NewAttempt, nonce: int
) -> AnchorAttempt | None:
    """A fee bump: ``old`` becomes replaced and ``new`` (same chain and nonce) the live
    attempt, in one commit. None when the job or ``old`` moved on meanwhile."""
    replacement = _attempt_row(old.chain_id, batch_id, nonce, new)
    with db.session() as s:
        current = s.get(AnchorTx, job_key(old.chain_id, batch_id), with_for_update=True)
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
    resolve that chain's ``insufficient_funds``."""
    with db.session() as s:
        fresh = s.get(AnchorAttempt, attempt.id)
        if fresh is not None:
            fresh.broadcast_count += 1
            fresh.last_broadcast_at = now
            if fresh.first_broadcast_at is None:
                fresh.first_broadcast_at = now
                fresh.first_broadcast_block = head
            s.add(fresh)
        resolve_alarms(s, ALARM_INSUFFICIENT_FUNDS, chain_id=attempt.chain_id)


def release_nonce(db: Database, chain_id: int, batch_id: int, message: str) -> None:
    """The job's nonce was used by another transaction: its attempts are abandoned, the job
    goes back to pending (a new nonce); ``nonce_consumed`` is raised. Nothing when the job is
    no longer submitted."""
    with db.session() as s:
        current = s.get(AnchorTx, job_key(chain_id, batch_id), with_for_update=True)
        if current is None or current.state != TX_SUBMITTED:
            return
        for attempt in attempts_of(s, chain_id, batch_id):
            if attempt.status in (ATTEMPT_LIVE, ATTEMPT_REPLACED):
                attempt.status = ATTEMPT_ABANDONED
                s.add(attempt)
        current.state = TX_PENDING
        current.nonce = None
        current.updated_at = utcnow()
        s.add(current)
        raise_alarm(s, ALARM_NONCE_CONSUMED, batch_id, message, chain_id=chain_id)
        s.flush()
        sync_batch(s, batch_id)


# -- operator ------------------------------------------------------------------------------
def reset_failed(db: Database, batch_id: int, chain_id: int | None = None) -> list[int]:
    """A reverted job back to pending (old attempts abandoned, ``tx_reverted`` resolved), on
    ``chain_id`` or on every chain where it failed; the chain ids reset.
    :class:`NotFoundError` without a job, :class:`ConflictError` unless one failed."""
    with db.session() as s:
        query = select(AnchorTx).where(AnchorTx.batch_id == batch_id)
        if chain_id is not None:
            query = query.where(AnchorTx.chain_id == chain_id)
        jobs = list(s.exec(query.with_for_update()).all())
        if not jobs or s.get(Batch, batch_id) is None:
            raise NotFoundError(f"batch {batch_id} has no anchor transaction")
        failed = [t for t in jobs if t.state == TX_FAILED]
        if not failed:
            states = ", ".join(sorted({t.state for t in jobs}))
            raise ConflictError(f"batch {batch_id} is {states}: only a failed anchor is retried")
        for tx in failed:
            for attempt in attempts_of(s, tx.chain_id, batch_id):
                attempt.status = ATTEMPT_ABANDONED
                s.add(attempt)
            tx.state, tx.nonce, tx.tx_hash, tx.block_number, tx.block_hash = (
                TX_PENDING, None, None, None, None,
            )  # fmt: skip
            tx.last_error = None
            tx.updated_at = utcnow()
            s.add(tx)
            resolve_alarms(s, ALARM_TX_REVERTED, batch_id, chain_id=tx.chain_id)
        s.flush()
        sync_batch(s, batch_id)
        return [t.chain_id for t in failed]

"""Broadcast (:mod:`anchor.service.txmanager`): send the stored bytes. "already known" is
success; a network error means "send the same bytes again later"; "nonce too low" means "look
for receipts of every attempt and read the contract". Not mined in time → a new attempt at the
*same* nonce with tip and fee cap raised by at least ``fee_bump_percent`` (>= 12.5 %), stored
before it is sent. Stored bytes are re-sent every ``rebroadcast_seconds``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from anchor.chain.fees import Fees, SendOutcome, bumped, classify_send_error
from anchor.service.tx_confirm import record_receipt
from anchor.service.tx_context import DEFAULT_GAS_LIMIT, ChainUnavailable, TxContext, log, short
from anchor.service.tx_prepare import ZERO_ROOT, adopt, conflict, funds_alarm, sign_attempt
from anchor.store import tx_repo
from anchor.store.alarms import raise_alarm_now
from anchor.store.tx_models import ALARM_FEE_CAP, AnchorAttempt, AnchorTx, as_utc, utcnow

__all__ = ["Broadcast", "broadcast", "find_receipt"]


class Broadcast(NamedTuple):
    """What a broadcast pass did: attempts sent (or re-sent), and stuck ones replaced."""

    sent: int = 0
    bumped: int = 0


@dataclass
class _Pass:
    """One broadcast pass: its context and how many replacements it signed."""

    ctx: TxContext
    head: int
    bumps: int = 0


def broadcast(ctx: TxContext) -> Broadcast:
    """Send stored attempts that were never sent or are due for a rebroadcast; replace
    stuck ones at the same nonce with higher fees."""
    txs = tx_repo.submitted_txs(ctx.db, ctx.chain_id)
    if not txs:
        return Broadcast()
    run = _Pass(ctx, head=ctx.chain.block_number())
    sent = 0
    for tx in txs:
        attempt = tx_repo.live_attempt(ctx.db, ctx.chain_id, tx.batch_id)
        if attempt is None:
            continue
        now = utcnow()
        if _is_stuck(ctx, attempt, now, run.head):
            if find_receipt(ctx, tx):
                continue  # mined after all: no replacement
            replacement = _bump(run, tx, attempt, reason="not mined in time")
            if replacement is not None:
                attempt = replacement
                run.bumps += 1
        due = attempt.broadcast_count == 0 or (
            as_utc(attempt.last_broadcast_at) or now
        ) <= now - timedelta(seconds=ctx.settings.rebroadcast_seconds)
        if due and _send(run, tx, attempt):
            sent += 1
    return Broadcast(sent, run.bumps)


def find_receipt(ctx: TxContext, tx: AnchorTx) -> bool:
    """Look for a receipt of any attempt of ``tx``; record it when found."""
    for attempt in tx_repo.receipt_candidates(ctx.db, ctx.chain_id, tx.batch_id):
        receipt = ctx.chain.receipt(attempt.tx_hash)
        if receipt is not None:
            record_receipt(ctx, tx.batch_id, attempt, receipt)
            return True
    return False


def _is_stuck(ctx: TxContext, attempt: AnchorAttempt, now: datetime, head: int) -> bool:
    first = as_utc(attempt.first_broadcast_at)
    if first is None:
        return False
    if now - first >= timedelta(seconds=ctx.settings.stuck_after_seconds):
        return True
    return (
        attempt.first_broadcast_block is not None
        and ctx.settings.stuck_after_blocks > 0
        and head - attempt.first_broadcast_block >= ctx.settings.stuck_after_blocks
    )


def _bump(run: _Pass, tx: AnchorTx, attempt: AnchorAttempt, *, reason: str) -> AnchorAttempt | None:
    ctx = run.ctx
    cap = ctx.settings.max_fee_wei
    old = Fees(max_fee=attempt.max_fee_per_gas, tip=attempt.max_priority_fee_per_gas)
    new = bumped(old, ctx.chain.suggest_fees(cap), ctx.settings.bump_percent)
    if new.max_fee > cap:
        if old.max_fee >= cap:
            raise_alarm_now(
                ctx.db,
                ALARM_FEE_CAP,
                tx.batch_id,
                f"batch {tx.batch_id} on {ctx.name}: not mined and the fee cap ({cap} wei) is "
                "reached",
                chain_id=ctx.chain_id,
            )
            return None
        new = Fees(max_fee=cap, tip=min(new.tip, cap))
    assert tx.nonce is not None
    data = ctx.registry.anchor_data(tx.batch_id, tx_repo.tx_root(tx), tx.leaf_count)
    ctx.check_fence(f"signing a replacement for batch {tx.batch_id}")
    signed = sign_attempt(ctx, tx.nonce, tx.gas_limit or DEFAULT_GAS_LIMIT, data, new)
    replacement = tx_repo.replace_attempt(ctx.db, tx.batch_id, attempt, signed, tx.nonce)
    if replacement is None:
        return None
    log.warning(
        "batch %s on %s: %s; replacement %s at nonce %s (tip %s -> %s, cap %s -> %s)",
        tx.batch_id,
        ctx.name,
        reason,
        replacement.tx_hash,
        tx.nonce,
        old.tip,
        new.tip,
        old.max_fee,
        new.max_fee,
    )
    ctx.crash_point("after_sign")
    return replacement


def _send(run: _Pass, tx: AnchorTx, attempt: AnchorAttempt, *, retry: bool = True) -> bool:
    """Send the stored bytes of ``attempt``; True when the node took them."""
    ctx = run.ctx
    ctx.check_fence(f"broadcasting batch {tx.batch_id}")
    try:
        ctx.chain.send(attempt.raw_tx)
    except Exception as exc:
        outcome = classify_send_error(exc)
        if outcome is SendOutcome.NETWORK:
            raise ChainUnavailable(f"broadcast: {type(exc).__name__}") from None
        if outcome is SendOutcome.NONCE_LOW:
            _nonce_too_low(ctx, tx)
            return False
        if outcome is SendOutcome.FUNDS:
            funds_alarm(ctx, tx.batch_id)
            return False
        if outcome is SendOutcome.UNDERPRICED and retry:
            replacement = _bump(run, tx, attempt, reason=f"refused: {short(exc)}")
            if replacement is not None:
                run.bumps += 1
                return _send(run, tx, replacement, retry=False)
            return False
        if outcome is not SendOutcome.KNOWN:
            log.error("batch %s on %s: broadcast refused: %s", tx.batch_id, ctx.name, short(exc))
            tx_repo.note_error(
                ctx.db, ctx.chain_id, tx.batch_id, f"broadcast refused: {short(exc)}"
            )
            return False
    ctx.crash_point("after_broadcast")
    tx_repo.record_broadcast(ctx.db, attempt, head=run.head, now=utcnow())
    log.info("batch %s on %s: broadcast %s", tx.batch_id, ctx.name, attempt.tx_hash)
    return True


def _nonce_too_low(ctx: TxContext, tx: AnchorTx) -> None:
    """Our nonce is used: by one of our attempts (find its receipt), or by someone else."""
    if find_receipt(ctx, tx):
        return
    root = tx_repo.tx_root(tx)
    onchain = ctx.registry.root_of(tx.batch_id)
    if onchain == root:
        adopt(ctx, tx.batch_id)
        return
    if onchain != ZERO_ROOT:
        conflict(ctx, tx.batch_id, root, onchain)
        return
    latest = ctx.chain.nonce("latest")
    if tx.nonce is None or latest <= tx.nonce:
        return  # a receipt not indexed yet, or a reorg in progress: look again next tick
    tx_repo.release_nonce(
        ctx.db,
        ctx.chain_id,
        tx.batch_id,
        f"nonce {tx.nonce} of {ctx.sender} on {ctx.name} was used by another transaction; "
        f"batch {tx.batch_id} is signed again at a new nonce",
    )

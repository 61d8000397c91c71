"""Prepare (:mod:`anchor.service.txmanager`): for each sealed batch the chain can take now,
check that its batch id is free on chain (same root there → adopt, another root → alarm),
simulate the anchor call, allocate the nonce, set EIP-1559 fees, sign locally, and commit the
signed bytes *before* anything is sent."""

from __future__ import annotations

from anchor.chain.fees import Fees, SendOutcome, classify_send_error, is_network_error
from anchor.chain.registry import to_hex
from anchor.service.tx_context import (
    DEFAULT_GAS_LIMIT,
    PREPARE_LIMIT,
    ChainUnavailable,
    TxContext,
    log,
    short,
)
from anchor.store import tx_repo
from anchor.store.alarms import raise_alarm_now
from anchor.store.tx_models import ALARM_INSUFFICIENT_FUNDS, TX_FINAL, TX_INCLUDED, TX_SUBMITTED

__all__ = ["adopt", "conflict", "funds_alarm", "prepare", "sign_attempt"]

ZERO_ROOT = b"\x00" * 32


def prepare(ctx: TxContext) -> int:
    """Sign and store an attempt for each sealed batch the chain can take now (with a
    cadence of N, only once N batches wait: then all of them)."""
    done = 0
    waiting = tx_repo.batches_to_prepare(ctx.db, ctx.chain_id, limit=PREPARE_LIMIT)
    upto = _cadence_upto(ctx)
    for batch in waiting:
        if upto is not None and batch.batch_id > upto:
            break  # its group is not sealed in full yet
        if not _prepare_one(ctx, batch.batch_id, batch.root, batch.leaf_count):
            break  # batch ids are sequential: later ones wait for this one
        done += 1
    return done


def _cadence_upto(ctx: TxContext) -> int | None:
    """With ``every = N`` the chain takes batches in groups of N (batch ids 1..N, N+1..2N,
    ...), each once it is sealed in full: the highest batch id it may take now (None: every
    batch, ``every = 1``)."""
    every = ctx.settings.every
    if every <= 1:
        return None
    return tx_repo.newest_batch_id(ctx.db) // every * every


def _prepare_one(ctx: TxContext, batch_id: int, root: bytes, leaf_count: int) -> bool:
    s = ctx.settings
    tx_repo.ensure_tx(
        ctx.db,
        batch_id,
        root,
        leaf_count,
        chain_id=s.chain_id,
        contract=ctx.contract,
        sender=ctx.sender,
    )
    onchain = ctx.registry.root_of(batch_id)
    if onchain != ZERO_ROOT:
        if onchain == root:
            adopt(ctx, batch_id)
        else:
            conflict(ctx, batch_id, root, onchain)
        return True
    last = ctx.registry.last_batch_id()
    gas = DEFAULT_GAS_LIMIT
    data = ctx.registry.anchor_data(batch_id, root, leaf_count)
    if last == batch_id - 1:
        try:
            estimate = ctx.chain.estimate_gas(data)
            gas = max(estimate * 5 // 4, estimate + 10_000)
        except Exception as exc:
            _prepare_failed(ctx, batch_id, exc)
            return False
    elif last < batch_id - 1 and not _predecessor_in_flight(ctx, batch_id):
        tx_repo.note_error(
            ctx.db, ctx.chain_id, batch_id, f"waiting: the chain's last batch is {last}"
        )
        return False
    fees = ctx.chain.suggest_fees(s.max_fee_wei)
    chain_nonce = ctx.chain.nonce("pending")

    def sign(nonce: int) -> tx_repo.NewAttempt:
        ctx.check_fence(f"signing batch {batch_id}")
        return sign_attempt(ctx, nonce, gas, data, fees)

    submitted = tx_repo.submit(
        ctx.db,
        batch_id,
        chain_id=s.chain_id,
        sender=ctx.sender,
        gas=gas,
        chain_nonce=chain_nonce,
        sign=sign,
    )
    if submitted is None:
        return True  # someone else prepared it meanwhile
    nonce, tx_hash = submitted
    log.info("batch %s on %s: signed attempt %s at nonce %s", batch_id, ctx.name, tx_hash, nonce)
    ctx.crash_point("after_sign")
    return True


def sign_attempt(ctx: TxContext, nonce: int, gas: int, data: str, fees: Fees) -> tx_repo.NewAttempt:
    """Sign an anchor transaction; the attempt row to store before it is sent."""
    signed = ctx.chain.sign(nonce=nonce, gas=gas, data=data, fees=fees)
    return tx_repo.NewAttempt(
        tx_hash=signed.tx_hash,
        raw_tx=signed.raw,
        max_fee_per_gas=fees.max_fee,
        max_priority_fee_per_gas=fees.tip,
    )


def _predecessor_in_flight(ctx: TxContext, batch_id: int) -> bool:
    prev = tx_repo.get_tx(ctx.db, ctx.chain_id, batch_id - 1)
    return prev is not None and prev.state in (TX_SUBMITTED, TX_INCLUDED, TX_FINAL)


def _prepare_failed(ctx: TxContext, batch_id: int, exc: Exception) -> None:
    if is_network_error(exc):
        raise ChainUnavailable(type(exc).__name__) from None
    outcome = classify_send_error(exc)
    if outcome is SendOutcome.FUNDS:
        funds_alarm(ctx, batch_id)
        return
    message = f"simulation of anchor({batch_id}) reverted: {short(exc)}"
    log.error("batch %s on %s: %s", batch_id, ctx.name, message)
    tx_repo.note_error(ctx.db, ctx.chain_id, batch_id, message)


def funds_alarm(ctx: TxContext, batch_id: int) -> None:
    raise_alarm_now(
        ctx.db,
        ALARM_INSUFFICIENT_FUNDS,
        None,
        f"insufficient funds: {ctx.sender} cannot pay for anchoring batch {batch_id} on "
        f"{ctx.name} (chain {ctx.chain_id}); it is kept and sent once the account is funded",
        chain_id=ctx.chain_id,
    )


def adopt(ctx: TxContext, batch_id: int) -> None:
    """The chain already holds our root for this batch: take the existing transaction (final
    by state when its event is out of reach, e.g. pruned logs)."""
    found = ctx.registry.find_anchored(batch_id)
    tx_repo.adopt(ctx.db, ctx.chain_id, batch_id, found)
    log.warning("batch %s: already anchored on %s with the same root; adopted", batch_id, ctx.name)


def conflict(ctx: TxContext, batch_id: int, ours: bytes, onchain: bytes) -> None:
    """The contract holds another root for this batch id: alarm, never overwritten."""
    message = (
        f"the contract on {ctx.name} (chain {ctx.chain_id}) holds root {to_hex(onchain)} for "
        f"batch {batch_id}, ours is {to_hex(ours)}: not overwritten"
    )
    tx_repo.conflict(ctx.db, ctx.chain_id, batch_id, message)

"""Confirm (:mod:`anchor.service.txmanager`): receipts for every attempt hash; status 1 →
included; status 0 → alarm (never resent automatically); included and at or below the
finalized height, still canonical, with enough confirmations → final. Blocks that stop being
canonical are :mod:`anchor.service.tx_reorg`'s."""

from __future__ import annotations

from typing import NamedTuple

from anchor.chain.finality import ChainHead
from anchor.chain.txchain import Receipt
from anchor.service.tx_context import RECHECK_FINAL, TxContext, log
from anchor.service.tx_reorg import check_final, moved, reorged
from anchor.store import tx_blocks, tx_repo
from anchor.store.tx_models import AnchorAttempt, AnchorTx

__all__ = ["Confirmed", "confirm", "record_receipt"]


class Confirmed(NamedTuple):
    """What a confirmation pass did: batches newly included, newly final, and reorged."""

    included: int = 0
    final: int = 0
    reorged: int = 0


def confirm(ctx: TxContext) -> Confirmed:
    """Receipts, reorgs, finality."""
    head = ctx.chain.head(finality_depth=ctx.settings.finality_depth)
    included = final = reorg_count = 0
    for tx in tx_repo.submitted_txs(ctx.db, ctx.chain_id):
        for attempt in tx_repo.receipt_candidates(ctx.db, ctx.chain_id, tx.batch_id):
            receipt = ctx.chain.receipt(attempt.tx_hash)
            if receipt is None:
                continue
            ctx.crash_point("after_receipt")
            if record_receipt(ctx, tx.batch_id, attempt, receipt):
                included += 1
            break
    blocks = tx_blocks.blocks_to_check(ctx.db, ctx.chain_id, final_limit=RECHECK_FINAL)
    for tx in blocks.included:
        outcome = _check_included(ctx, tx, head)
        final += outcome == "final"
        reorg_count += outcome == "reorged"
    # A reorg replaces a suffix of the chain: if the newest final block is canonical, so
    # are the older ones. Walk down from the newest until a canonical one is found.
    for tx in blocks.recent_final:
        changed = check_final(ctx, tx)
        if not changed:
            break
        reorg_count += changed
    return Confirmed(included, final, reorg_count)


def record_receipt(ctx: TxContext, batch_id: int, attempt: AnchorAttempt, receipt: Receipt) -> bool:
    """Record a receipt of ``attempt``; True when the batch is now included (status 1)."""
    number = receipt.block_number
    recorded = tx_blocks.record_receipt(
        ctx.db,
        batch_id,
        attempt,
        status=receipt.status,
        block_number=number,
        block_hash=receipt.block_hash,
        reverted=(
            f"anchor transaction {attempt.tx_hash} for batch {batch_id} reverted in block"
            f" {number}; not resent automatically"
        ),
    )
    if not recorded:
        return False
    log.info(
        "batch %s on %s: included in block %s (%s)", batch_id, ctx.name, number, attempt.tx_hash
    )
    ctx.crash_point("after_include")
    return receipt.status == 1


def _check_included(ctx: TxContext, tx: AnchorTx, head: ChainHead) -> str:
    assert tx.tx_hash is not None and tx.block_number is not None
    receipt = ctx.chain.receipt(tx.tx_hash)
    if receipt is None:
        reorged(ctx, tx, "its receipt disappeared")
        return "reorged"
    number, block_hash = receipt.block_number, receipt.block_hash
    canonical = ctx.chain.canonical(number)
    if canonical is None or canonical != block_hash:
        reorged(ctx, tx, f"block {number} is no longer canonical")
        return "reorged"
    if block_hash != tx.block_hash or number != tx.block_number:
        moved(ctx, tx, number, block_hash)
        return "moved"
    confirmations = head.latest - number + 1
    if number <= head.finalized and confirmations >= ctx.settings.confirmations:
        if not tx_blocks.mark_final(ctx.db, ctx.chain_id, tx.batch_id):
            return "raced"
        log.info(
            "batch %s on %s: final (block %s <= finalized %s)",
            tx.batch_id,
            ctx.name,
            number,
            head.finalized,
        )
        return "final"
    return "included"

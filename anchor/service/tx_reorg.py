"""Reorgs (:mod:`anchor.service.txmanager`): an included receipt that disappears, or whose
block is no longer canonical, sends the batch back to broadcast (the stored bytes stay valid
while the nonce is unused); a transaction a reorg moved to another block is followed there; a
final batch whose block stops being canonical raises ``reorg_below_finality`` and is anchored
again."""

from __future__ import annotations

from anchor.service.tx_context import TxContext, log
from anchor.store import tx_blocks
from anchor.store.alarms import raise_alarm_now
from anchor.store.tx_models import ALARM_REORG_BELOW_FINALITY, TX_FINAL, TX_INCLUDED, AnchorTx

__all__ = ["check_final", "moved", "reorged"]


def moved(ctx: TxContext, tx: AnchorTx, number: int, block_hash: str) -> None:
    """The same transaction, mined in another block."""
    if tx_blocks.mark_moved(ctx.db, ctx.chain_id, tx.batch_id, number, block_hash):
        log.warning(
            "batch %s on %s: reorg moved its transaction to block %s", tx.batch_id, ctx.name, number
        )


def reorged(ctx: TxContext, tx: AnchorTx, why: str, *, from_state: str = TX_INCLUDED) -> None:
    """Back to broadcast: the stored bytes stay valid while the nonce is unused."""
    if tx_blocks.mark_reorged(ctx.db, ctx.chain_id, tx.batch_id, from_state=from_state):
        log.warning("batch %s on %s: reorg (%s): anchoring it again", tx.batch_id, ctx.name, why)


def check_final(ctx: TxContext, tx: AnchorTx) -> int:
    """0 while a final batch's block is canonical; else alarm, follow or re-anchor it: 1."""
    assert tx.block_number is not None and tx.block_hash is not None
    canonical = ctx.chain.canonical(tx.block_number)
    if canonical is not None and canonical == tx.block_hash:
        return 0
    raise_alarm_now(
        ctx.db,
        ALARM_REORG_BELOW_FINALITY,
        tx.batch_id,
        f"batch {tx.batch_id} on {ctx.name}: final block {tx.block_number} ({tx.block_hash}) "
        "is no longer canonical: a reorg below the finalized height",
        chain_id=ctx.chain_id,
    )
    if tx.tx_hash is not None:
        receipt = ctx.chain.receipt(tx.tx_hash)
        if receipt is not None:
            found = ctx.chain.canonical(receipt.block_number)
            if found is not None and found == receipt.block_hash:
                moved(ctx, tx, receipt.block_number, receipt.block_hash)
                return 1
    reorged(ctx, tx, "reorg below the finalized height", from_state=TX_FINAL)
    return 1

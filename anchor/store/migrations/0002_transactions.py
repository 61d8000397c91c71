"""Anchor transactions (one per batch), their signed attempts, nonce cursors and alarms.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import create, tables
from anchor.store.migrations._rebuilt import ANCHOR_TX_COLUMNS

DESCRIPTION = "anchor transactions, signed attempts, nonce cursors, alarms"

SCHEMA = f"""
anchor_txs
    batch_id  bigint key
    chain_id  bigint
{ANCHOR_TX_COLUMNS}
    index ix_anchor_txs_state (state)
anchor_attempts
    id                        serial
    batch_id                  bigint
    nonce                     bigint
    tx_hash                   str(66)
    raw_tx                    blob
    max_fee_per_gas           bigint
    max_priority_fee_per_gas  bigint
    status                    str(16)
    created_at                ts
    first_broadcast_at        ts null
    first_broadcast_block     bigint null
    last_broadcast_at         ts null
    broadcast_count           int
    unique uq_anchor_attempts_tx_hash (tx_hash)
    index ix_anchor_attempts_batch_id (batch_id)
anchor_nonces
    id          serial
    chain_id    bigint
    sender      str(42)
    next_nonce  bigint
    unique uq_anchor_nonces_chain_sender (chain_id, sender)
alarms
    id            serial
    kind          str(32)
    batch_id      bigint null
    message       text
    count         int
    created_at    ts
    last_seen_at  ts
    resolved_at   ts null
    index ix_alarms_kind (kind)
"""


def upgrade(conn: Connection) -> None:
    create(conn, tables(SCHEMA))

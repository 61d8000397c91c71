"""Anchor transactions (one per batch), their signed attempts, nonce cursors and alarms.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import Tables, create, key, opt, req, serial, ts
from anchor.store.migrations._rebuilt import anchor_tx_columns

DESCRIPTION = "anchor transactions, signed attempts, nonce cursors, alarms"


def upgrade(conn: Connection) -> None:
    tables: Tables = {
        "anchor_txs": [
            key("batch_id", sa.BigInteger),
            req("chain_id", sa.BigInteger),
            *anchor_tx_columns(),
            sa.Index("ix_anchor_txs_state", "state"),
        ],
        "anchor_attempts": [
            serial(),
            req("batch_id", sa.BigInteger),
            req("nonce", sa.BigInteger),
            req("tx_hash", sa.String(66)),
            req("raw_tx", sa.LargeBinary),
            req("max_fee_per_gas", sa.BigInteger),
            req("max_priority_fee_per_gas", sa.BigInteger),
            req("status", sa.String(16)),
            ts("created_at"),
            ts("first_broadcast_at", True),
            opt("first_broadcast_block", sa.BigInteger),
            ts("last_broadcast_at", True),
            req("broadcast_count", sa.Integer),
            sa.UniqueConstraint("tx_hash", name="uq_anchor_attempts_tx_hash"),
            sa.Index("ix_anchor_attempts_batch_id", "batch_id"),
        ],
        "anchor_nonces": [
            serial(),
            req("chain_id", sa.BigInteger),
            req("sender", sa.String(42)),
            req("next_nonce", sa.BigInteger),
            sa.UniqueConstraint("chain_id", "sender", name="uq_anchor_nonces_chain_sender"),
        ],
        "alarms": [
            serial(),
            req("kind", sa.String(32)),
            opt("batch_id", sa.BigInteger),
            req("message", sa.Text),
            req("count", sa.Integer),
            ts("created_at"),
            ts("last_seen_at"),
            ts("resolved_at", True),
            sa.Index("ix_alarms_kind", "kind"),
        ],
    }
    create(conn, tables)

"""Anchor transactions (one per batch), their signed attempts, nonce cursors and alarms.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "anchor transactions, signed attempts, nonce cursors, alarms"

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    sa.Table(
        "anchor_txs",
        meta,
        sa.Column("batch_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("sender", sa.String(42), nullable=False),
        sa.Column("root", sa.String(66), nullable=False),
        sa.Column("leaf_count", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("nonce", sa.BigInteger, nullable=True),
        sa.Column("gas_limit", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.BigInteger, nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("reorgs", sa.Integer, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("included_at", True),
        _ts("final_at", True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Index("ix_anchor_txs_state", "state"),
    )
    sa.Table(
        "anchor_attempts",
        meta,
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.BigInteger, nullable=False),
        sa.Column("nonce", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("raw_tx", sa.LargeBinary, nullable=False),
        sa.Column("max_fee_per_gas", sa.BigInteger, nullable=False),
        sa.Column("max_priority_fee_per_gas", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("created_at"),
        _ts("first_broadcast_at", True),
        sa.Column("first_broadcast_block", sa.BigInteger, nullable=True),
        _ts("last_broadcast_at", True),
        sa.Column("broadcast_count", sa.Integer, nullable=False),
        sa.UniqueConstraint("tx_hash", name="uq_anchor_attempts_tx_hash"),
        sa.Index("ix_anchor_attempts_batch_id", "batch_id"),
    )
    sa.Table(
        "anchor_nonces",
        meta,
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("sender", sa.String(42), nullable=False),
        sa.Column("next_nonce", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("chain_id", "sender", name="uq_anchor_nonces_chain_sender"),
    )
    sa.Table(
        "alarms",
        meta,
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("batch_id", sa.BigInteger, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        _ts("created_at"),
        _ts("last_seen_at"),
        _ts("resolved_at", True),
        sa.Index("ix_alarms_kind", "kind"),
    )
    meta.create_all(conn)

"""Records, accounts, record ↔ account links, batches and their stored Merkle tree chunks.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "records, accounts, batches, tree chunks"

# An INTEGER PRIMARY KEY is SQLite's rowid (fast, ordered); BIGINT elsewhere.
_Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    sa.Table(
        "records",
        meta,
        sa.Column("seq", _Seq, primary_key=True, autoincrement=False),
        sa.Column("record_id", sa.String, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("canonical", sa.Text, nullable=False),
        sa.Column("content_hash", sa.LargeBinary, nullable=False),
        sa.Column("leaf", sa.LargeBinary, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("record_id", name="uq_records_record_id"),
    )
    sa.Table(
        "accounts",
        meta,
        sa.Column("account_id", sa.String, primary_key=True),
        sa.Column("salt", sa.LargeBinary, nullable=False),
        sa.Column("commitment", sa.LargeBinary, nullable=False),
        sa.Column("eth_address", sa.String(42), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("commitment", name="uq_accounts_commitment"),
        sa.Index("ix_accounts_eth_address", "eth_address"),
    )
    sa.Table(
        "record_accounts",
        meta,
        sa.Column("account_id", sa.String, sa.ForeignKey("accounts.account_id"), primary_key=True),
        sa.Column("seq", _Seq, sa.ForeignKey("records.seq"), primary_key=True),
        sa.Index("ix_record_accounts_seq", "seq"),
    )
    sa.Table(
        "batches",
        meta,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("leaf_count", sa.BigInteger, nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("chunk_nodes", sa.Integer, nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary, nullable=True),
        sa.Column("block_number", sa.BigInteger, nullable=True),
        sa.Column("block_hash", sa.LargeBinary, nullable=True),
        sa.Column("chain_id", sa.BigInteger, nullable=True),
        sa.Column("contract", sa.String(42), nullable=True),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("first_seq", name="uq_batches_first_seq"),
        sa.UniqueConstraint("last_seq", name="uq_batches_last_seq"),
        sa.Index("ix_batches_state", "state"),
    )
    sa.Table(
        "tree_chunks",
        meta,
        sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id"), primary_key=True),
        sa.Column("chunk_no", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    meta.create_all(conn)

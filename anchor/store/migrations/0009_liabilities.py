"""Liabilities rounds (issue 17): each round's header, its accounts' leaves, and the upper
levels of its sum tree.

``liability_rounds``: one row per round (id = the on-chain round id, sequential from 1): the
cut-off batch and seq, the assets and totals (JSON), leaf count and depth, root, the round's
32-byte ``secret`` (leaf salts, padding and order derive from it: never shown to anyone), the
lowest stored tree level, anchoring (chain, contract, transaction, block) and reserves.

``liability_leaves``: one row per account in a round: its leaf position, the balances and the
record ids they come from (JSON). Padding leaves are not stored: they derive from the secret.

``liability_nodes``: the tree's levels from ``stored_from_level`` up, in chunks (hashes and
sums as 32-byte words), so a proof reads a few chunks and rebuilds only the bottom of its own
block of leaves.

Frozen once merged: never edit after it is on main; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "liabilities rounds, leaves and tree levels"


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    sa.Table(
        "liability_rounds",
        meta,
        sa.Column("round_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("cutoff_batch_id", sa.BigInteger, nullable=False),
        sa.Column("cutoff_seq", sa.BigInteger, nullable=False),
        sa.Column("assets", sa.Text, nullable=False),
        sa.Column("totals", sa.Text, nullable=False),
        sa.Column("accounts", sa.BigInteger, nullable=False),
        sa.Column("leaf_count", sa.BigInteger, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("stored_from_level", sa.Integer, nullable=False),
        sa.Column("chunk_nodes", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chain_id", sa.BigInteger, nullable=True),
        sa.Column("contract", sa.String(42), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.BigInteger, nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("gas_used", sa.BigInteger, nullable=True),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reserves", sa.Text, nullable=True),
    )
    sa.Table(
        "liability_leaves",
        meta,
        sa.Column("round_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("account_id", sa.String, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("balances", sa.Text, nullable=False),
        sa.Column("record_ids", sa.Text, nullable=False),
        sa.UniqueConstraint("round_id", "position", name="uq_liability_leaves_position"),
    )
    sa.Table(
        "liability_nodes",
        meta,
        sa.Column("round_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("chunk_no", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hashes", sa.LargeBinary, nullable=False),
        sa.Column("sums", sa.LargeBinary, nullable=False),
    )
    meta.create_all(conn)

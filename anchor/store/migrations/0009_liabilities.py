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

from anchor.store.migrations._ddl import Tables, create, key, opt, req, ts

DESCRIPTION = "liabilities rounds, leaves and tree levels"


def upgrade(conn: Connection) -> None:
    tables: Tables = {
        "liability_rounds": [
            key("round_id", sa.BigInteger),
            req("cutoff_batch_id", sa.BigInteger),
            req("cutoff_seq", sa.BigInteger),
            req("assets", sa.Text),
            req("totals", sa.Text),
            req("accounts", sa.BigInteger),
            req("leaf_count", sa.BigInteger),
            req("depth", sa.Integer),
            req("root", sa.LargeBinary),
            req("secret", sa.LargeBinary),
            req("stored_from_level", sa.Integer),
            req("chunk_nodes", sa.Integer),
            req("state", sa.String(16)),
            ts("created_at"),
            opt("chain_id", sa.BigInteger),
            opt("contract", sa.String(42)),
            opt("tx_hash", sa.String(66)),
            opt("block_number", sa.BigInteger),
            opt("block_hash", sa.String(66)),
            opt("gas_used", sa.BigInteger),
            ts("anchored_at", True),
            opt("reserves", sa.Text),
        ],
        "liability_leaves": [
            key("round_id", sa.BigInteger),
            key("account_id", sa.String),
            req("position", sa.BigInteger),
            req("balances", sa.Text),
            req("record_ids", sa.Text),
            sa.UniqueConstraint("round_id", "position", name="uq_liability_leaves_position"),
        ],
        "liability_nodes": [
            key("round_id", sa.BigInteger),
            key("level", sa.Integer),
            key("chunk_no", sa.Integer),
            req("hashes", sa.LargeBinary),
            req("sums", sa.LargeBinary),
        ],
    }
    create(conn, tables)

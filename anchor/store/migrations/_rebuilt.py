"""Columns of the tables that 0010 rebuilt under a new key, shared with the migrations that
first created them so that the rebuilt tables keep exactly the same columns.

Like the migrations, never change what these return: add new helpers instead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from anchor.store.migrations._ddl import opt, req, ts


def anchor_tx_columns() -> list[sa.Column[Any]]:
    """``anchor_txs``' columns after its key (0002 created them, 0010 rebuilt the table)."""
    return [
        req("contract", sa.String(42)),
        req("sender", sa.String(42)),
        req("root", sa.String(66)),
        req("leaf_count", sa.BigInteger),
        req("state", sa.String(16)),
        opt("nonce", sa.BigInteger),
        req("gas_limit", sa.BigInteger),
        opt("tx_hash", sa.String(66)),
        opt("block_number", sa.BigInteger),
        opt("block_hash", sa.String(66)),
        req("reorgs", sa.Integer),
        ts("created_at"),
        ts("updated_at"),
        ts("included_at", True),
        ts("final_at", True),
        opt("last_error", sa.Text),
    ]


def anchor_cost_columns() -> list[sa.Column[Any]]:
    """``anchor_costs``' columns after its key (0007 created them, 0010 rebuilt the table)."""
    return [
        req("tx_hash", sa.String(66)),
        req("gas_used", sa.BigInteger),
        req("gas_price_wei", sa.BigInteger),
        req("fee_gwei", sa.Float),
        ts("recorded_at"),
    ]

"""Columns of the tables that 0010 rebuilt under a new key, shared with the migrations that
first created them (as schema text lines, see ``_ddl``) so that the rebuilt tables keep exactly
the same columns.

Like the migrations, never change what these return: add new helpers instead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from anchor.store.migrations._ddl import cols

# ``anchor_txs``' columns after its key (0002 created them, 0010 rebuilt the table).
ANCHOR_TX_COLUMNS = """\
    contract      str(42)
    sender        str(42)
    root          str(66)
    leaf_count    bigint
    state         str(16)
    nonce         bigint null
    gas_limit     bigint
    tx_hash       str(66) null
    block_number  bigint null
    block_hash    str(66) null
    reorgs        int
    created_at    ts
    updated_at    ts
    included_at   ts null
    final_at      ts null
    last_error    text null"""

# ``anchor_costs``' columns after its key (0007 created them, 0010 rebuilt the table).
ANCHOR_COST_COLUMNS = """\
    tx_hash        str(66)
    gas_used       bigint
    gas_price_wei  bigint
    fee_gwei       float
    recorded_at    ts"""


def anchor_tx_columns() -> list[sa.Column[Any]]:
    """The columns of :data:`ANCHOR_TX_COLUMNS`."""
    return cols(ANCHOR_TX_COLUMNS)


def anchor_cost_columns() -> list[sa.Column[Any]]:
    """The columns of :data:`ANCHOR_COST_COLUMNS`."""
    return cols(ANCHOR_COST_COLUMNS)

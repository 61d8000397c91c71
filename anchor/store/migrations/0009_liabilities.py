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

from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import create, tables

DESCRIPTION = "liabilities rounds, leaves and tree levels"

SCHEMA = """
liability_rounds
    round_id           bigint key
    cutoff_batch_id    bigint
    cutoff_seq         bigint
    assets             text
    totals             text
    accounts           bigint
    leaf_count         bigint
    depth              int
    root               blob
    secret             blob
    stored_from_level  int
    chunk_nodes        int
    state              str(16)
    created_at         ts
    chain_id           bigint null
    contract           str(42) null
    tx_hash            str(66) null
    block_number       bigint null
    block_hash         str(66) null
    gas_used           bigint null
    anchored_at        ts null
    reserves           text null
liability_leaves
    round_id    bigint key
    account_id  str key
    position    bigint
    balances    text
    record_ids  text
    unique uq_liability_leaves_position (round_id, position)
liability_nodes
    round_id  bigint key
    level     int key
    chunk_no  int key
    hashes    blob
    sums      blob
"""


def upgrade(conn: Connection) -> None:
    create(conn, tables(SCHEMA))

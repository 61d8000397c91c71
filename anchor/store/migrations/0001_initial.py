"""Records, accounts, record ↔ account links, batches and their stored Merkle tree chunks.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import create, tables

DESCRIPTION = "records, accounts, batches, tree chunks"

SCHEMA = """
records
    seq           id key
    record_id     str
    kind          str(32)
    version       int
    canonical     text
    content_hash  blob
    leaf          blob
    received_at   ts
    unique uq_records_record_id (record_id)
accounts
    account_id   str key
    salt         blob
    commitment   blob
    eth_address  str(42) null
    created_at   ts
    unique uq_accounts_commitment (commitment)
    index ix_accounts_eth_address (eth_address)
record_accounts
    account_id  str key -> accounts.account_id
    seq         id key -> records.seq
    index ix_record_accounts_seq (seq)
batches
    id            bigint key
    root          blob
    leaf_count    bigint
    first_seq     bigint
    last_seq      bigint
    chunk_nodes   int
    sealed_at     ts
    state         str(16)
    tx_hash       blob null
    block_number  bigint null
    block_hash    blob null
    chain_id      bigint null
    contract      str(42) null
    anchored_at   ts null
    final_at      ts null
    unique uq_batches_first_seq (first_seq)
    unique uq_batches_last_seq (last_seq)
    index ix_batches_state (state)
tree_chunks
    batch_id  bigint key -> batches.id
    chunk_no  int key
    data      blob
"""


def upgrade(conn: Connection) -> None:
    create(conn, tables(SCHEMA))

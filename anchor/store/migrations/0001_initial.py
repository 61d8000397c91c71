"""Records, accounts, record ↔ account links, batches and their stored Merkle tree chunks.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import ID, Tables, create, key, opt, req, ts

DESCRIPTION = "records, accounts, batches, tree chunks"


def upgrade(conn: Connection) -> None:
    tables: Tables = {
        "records": [
            key("seq", ID),
            req("record_id", sa.String),
            req("kind", sa.String(32)),
            req("version", sa.Integer),
            req("canonical", sa.Text),
            req("content_hash", sa.LargeBinary),
            req("leaf", sa.LargeBinary),
            ts("received_at"),
            sa.UniqueConstraint("record_id", name="uq_records_record_id"),
        ],
        "accounts": [
            key("account_id", sa.String),
            req("salt", sa.LargeBinary),
            req("commitment", sa.LargeBinary),
            opt("eth_address", sa.String(42)),
            ts("created_at"),
            sa.UniqueConstraint("commitment", name="uq_accounts_commitment"),
            sa.Index("ix_accounts_eth_address", "eth_address"),
        ],
        "record_accounts": [
            key("account_id", sa.String, sa.ForeignKey("accounts.account_id")),
            key("seq", ID, sa.ForeignKey("records.seq")),
            sa.Index("ix_record_accounts_seq", "seq"),
        ],
        "batches": [
            key("id", sa.BigInteger),
            req("root", sa.LargeBinary),
            req("leaf_count", sa.BigInteger),
            req("first_seq", sa.BigInteger),
            req("last_seq", sa.BigInteger),
            req("chunk_nodes", sa.Integer),
            ts("sealed_at"),
            req("state", sa.String(16)),
            opt("tx_hash", sa.LargeBinary),
            opt("block_number", sa.BigInteger),
            opt("block_hash", sa.LargeBinary),
            opt("chain_id", sa.BigInteger),
            opt("contract", sa.String(42)),
            ts("anchored_at", True),
            ts("final_at", True),
            sa.UniqueConstraint("first_seq", name="uq_batches_first_seq"),
            sa.UniqueConstraint("last_seq", name="uq_batches_last_seq"),
            sa.Index("ix_batches_state", "state"),
        ],
        "tree_chunks": [
            key("batch_id", sa.BigInteger, sa.ForeignKey("batches.id")),
            key("chunk_no", sa.Integer),
            req("data", sa.LargeBinary),
        ],
    }
    create(conn, tables)

"""Signed ingest receipts' loads, and the cache of the registry's ``Anchored`` events.

* ``receipt_loads``: one row per load that was given a signed receipt (one EIP-712
  signature per load, docs/receipt-format.md): the signed root, the seq range, the ingest
  time and the deadline (unix seconds, exactly as signed), the signer and the signature,
  and what became of the promise: ``outcome`` NULL (open), ``kept`` or ``missed``;
  ``final_at`` (unix seconds) once every record of the load is in a final batch. Written in
  the ingest transaction, so a stored record of a signed load always has its promise.
  A record's receipt path is rebuilt on demand from the load's records (their ids, leaves
  and seqs): storing the receipt leaves (32 bytes a record) measured ~5% of a bulk load's
  wall time, for a read that is rare and off the ingest path.
* ``anchor_events`` / ``anchor_event_scans``: the ``Anchored`` events of a registry, read
  incrementally (``from_block``..``next_block`` per chain and registry; the last blocks are
  read again on every refresh, so a reorg replaces what it changed) with each block's
  timestamp: the explorer, the export and the report read these instead of scanning from
  the deployment block on every view.

Frozen: never edit after it has been committed; add a new numbered migration instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DESCRIPTION = "receipt loads (signed promises) and the Anchored-event cache"

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade(conn: Connection) -> None:
    meta = sa.MetaData()
    sa.Table(
        "receipt_loads",
        meta,
        sa.Column("id", _Id, primary_key=True),
        sa.Column("first_seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("signer", sa.String(42), nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("ingested_at", sa.BigInteger, nullable=False),
        sa.Column("deadline", sa.BigInteger, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("final_at", sa.BigInteger, nullable=True),
        sa.Index("ix_receipt_loads_open", "outcome", "deadline"),
    )
    sa.Table(
        "anchor_events",
        meta,
        sa.Column("chain_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("contract", sa.String(42), primary_key=True),
        sa.Column("batch_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("leaf_count", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.LargeBinary, nullable=False),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_hash", sa.LargeBinary, nullable=False),
        sa.Column("block_time", sa.BigInteger, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
        sa.Index("ix_anchor_events_block", "chain_id", "contract", "block_number"),
    )
    sa.Table(
        "anchor_event_scans",
        meta,
        sa.Column("chain_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("contract", sa.String(42), primary_key=True),
        sa.Column("from_block", sa.BigInteger, nullable=False),
        sa.Column("next_block", sa.BigInteger, nullable=False),
        sa.Column("latest_block", sa.BigInteger, nullable=False),
        sa.Column("scanned_at", sa.BigInteger, nullable=False),
    )
    meta.create_all(conn)

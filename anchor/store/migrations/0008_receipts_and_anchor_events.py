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

from anchor.store.migrations._ddl import Tables, create, key, opt, req, serial

DESCRIPTION = "receipt loads (signed promises) and the Anchored-event cache"


def upgrade(conn: Connection) -> None:
    tables: Tables = {
        "receipt_loads": [
            serial("auto"),
            req("first_seq", sa.BigInteger, unique=True),
            req("last_seq", sa.BigInteger),
            req("root", sa.LargeBinary),
            req("signer", sa.String(42)),
            req("signature", sa.LargeBinary),
            req("ingested_at", sa.BigInteger),
            req("deadline", sa.BigInteger),
            opt("outcome", sa.String(16)),
            opt("final_at", sa.BigInteger),
            sa.Index("ix_receipt_loads_open", "outcome", "deadline"),
        ],
        "anchor_events": [
            key("chain_id", sa.BigInteger),
            key("contract", sa.String(42)),
            key("batch_id", sa.BigInteger),
            req("root", sa.LargeBinary),
            req("leaf_count", sa.BigInteger),
            req("tx_hash", sa.LargeBinary),
            req("block_number", sa.BigInteger),
            req("block_hash", sa.LargeBinary),
            req("block_time", sa.BigInteger),
            req("duplicates", sa.Integer),
            sa.Index("ix_anchor_events_block", "chain_id", "contract", "block_number"),
        ],
        "anchor_event_scans": [
            key("chain_id", sa.BigInteger),
            key("contract", sa.String(42)),
            req("from_block", sa.BigInteger),
            req("next_block", sa.BigInteger),
            req("latest_block", sa.BigInteger),
            req("scanned_at", sa.BigInteger),
        ],
    }
    create(conn, tables)

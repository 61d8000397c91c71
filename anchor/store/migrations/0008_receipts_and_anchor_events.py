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

from sqlalchemy.engine import Connection

from anchor.store.migrations._ddl import create, tables

DESCRIPTION = "receipt loads (signed promises) and the Anchored-event cache"

SCHEMA = """
receipt_loads
    id           serial
    first_seq    bigint unique
    last_seq     bigint
    root         blob
    signer       str(42)
    signature    blob
    ingested_at  bigint
    deadline     bigint
    outcome      str(16) null
    final_at     bigint null
    index ix_receipt_loads_open (outcome, deadline)
anchor_events
    chain_id      bigint key
    contract      str(42) key
    batch_id      bigint key
    root          blob
    leaf_count    bigint
    tx_hash       blob
    block_number  bigint
    block_hash    blob
    block_time    bigint
    duplicates    int
    index ix_anchor_events_block (chain_id, contract, block_number)
anchor_event_scans
    chain_id      bigint key
    contract      str(42) key
    from_block    bigint
    next_block    bigint
    latest_block  bigint
    scanned_at    bigint
"""


def upgrade(conn: Connection) -> None:
    create(conn, tables(SCHEMA))

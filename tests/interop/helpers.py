"""Helpers of the proof / explorer / fuzz tests: a real uvicorn server on a free loopback
port, sample data ingested and sealed, and a batch anchored on a real anvil.

Anchoring here is a direct ``anchor(batchId, root, leafCount)`` call from the fixture's
anchorer key; the batch row then gets the receipt's fields, exactly the columns the
transaction manager fills (state, tx_hash, block_number, block_hash, chain_id, contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from anchor.config import Config
from anchor.core.records import Record
from anchor.core.samples import sample_records
from anchor.service.ingest import ingest
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.api.server import free_port as free_port  # the one helper, re-exported here
from tests.api.server import serve

API_KEY = "operator-test-key-0123456789"

live_server = serve  # the one server (tests/api/server.py), by the name these tests use


def load_records(db: Database, n: int, *, seed: int = 7, accounts: int = 6) -> list[Record]:
    """Ingest ``n`` sample records (every kind) and return them."""
    records = sample_records(n, seed=seed, accounts=accounts)
    ingest(db, [r.canonical_json() for r in records])
    return records


@dataclass(frozen=True)
class Anchored:
    batch_id: int
    root: bytes
    tx_hash: bytes
    block_number: int
    block_hash: bytes


def anchor_batch(
    db: Database, registry: Any, batch_id: int, *, state: str = "included"
) -> Anchored:
    """Anchor ``batch_id`` on the registry and record the receipt in the batch row."""
    with db.connect(write=False) as conn:
        row = conn.execute(
            sa.text("SELECT root, leaf_count FROM batches WHERE id = :b"), {"b": batch_id}
        ).one()
    root, leaf_count = bytes(row.root), int(row.leaf_count)
    receipt = registry.anchor(batch_id, root, leaf_count)
    assert receipt["status"] == 1, receipt
    anchored = Anchored(
        batch_id,
        root,
        bytes(receipt["transactionHash"]),
        int(receipt["blockNumber"]),
        bytes(receipt["blockHash"]),
    )
    set_batch_anchor(db, registry, anchored, state=state)
    return anchored


def set_batch_anchor(db: Database, registry: Any, a: Anchored, *, state: str) -> None:
    with db.connect() as conn:
        conn.execute(
            sa.text(
                "UPDATE batches SET state = :s, tx_hash = :t, block_number = :n, "
                "block_hash = :h, chain_id = :c, contract = :a WHERE id = :b"
            ),
            {
                "s": state,
                "t": a.tx_hash,
                "n": a.block_number,
                "h": a.block_hash,
                "c": registry.chain_id,
                "a": registry.address,
                "b": a.batch_id,
            },
        )


def mine(registry: Any, blocks: int) -> None:
    registry.w3.provider.make_request("anvil_mine", [hex(blocks)])


def service_config(registry: Any | None, **overrides: Any) -> Config:
    values: dict[str, Any] = {"api_key": API_KEY, "finality_depth": None}
    if registry is not None:
        values.update(
            rpc_url=registry.rpc_url,
            chain_id=registry.chain_id,
            contract_address=registry.address,
            explorer_kind="otterscan",
            explorer_base_url="http://127.0.0.1:5100",
        )
    values.update(overrides)
    return Config(**values)


def sealed_db(db: Database, n: int, *, seed: int = 7) -> tuple[list[Record], int]:
    records = load_records(db, n, seed=seed)
    batch = seal(db)
    assert batch is not None
    return records, batch.id

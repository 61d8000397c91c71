"""Shared helpers of the backup tests: real ingest + seal, direct anchoring on anvil."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from anchor.backup.chainview import RegistryView
from tests.store import sample


def balance(i: int) -> dict[str, Any]:
    """tests/store/sample.py's balance with a six-digit id, ``available`` 1000 + i and
    ``locked`` i % 3 (the values these tests alter and look for)."""
    record = sample.balance(i, available=1000 + i)
    return {**record, "record_id": f"bal-{i:06d}", "locked": str(i % 3)}


def trade(i: int) -> dict[str, Any]:
    """tests/store/sample.py's trade with a six-digit id, between two of the balances'
    accounts."""
    record = sample.trade(i, buyer=f"acct-{i % 7}", seller=f"acct-{(i + 3) % 7}")
    return {**record, "record_id": f"trd-{i:06d}"}


def fill(db: Any, sizes: list[int], *, start: int = 0) -> list[Any]:
    """Ingest and seal one batch per size (balances and a few trades); return the batches."""
    from anchor.service.ingest import ingest
    from anchor.service.seal import seal

    batches = []
    i = start
    for n in sizes:
        recs = [trade(i + j) if j % 5 == 4 else balance(i + j) for j in range(n)]
        ingest(db, recs)
        i += n
        batch = seal(db)
        assert batch is not None
        batches.append(batch)
    return batches


def anchor(reg: Any, db: Any, batches: list[Any], *, mark: bool = True) -> None:
    """Anchor each batch with the registry's anchorer and, like the tx manager, record the
    anchor in the batch row (state final)."""
    for b in batches:
        receipt = reg.anchor(b.id, b.root, b.leaf_count)
        assert receipt["status"] == 1
        if not mark:
            continue
        with db.connect() as conn:
            conn.execute(
                sa.text(
                    "UPDATE batches SET state = 'final', tx_hash = :t, block_number = :n,"
                    " block_hash = :h, chain_id = :c, contract = :a WHERE id = :id"
                ),
                {
                    "t": bytes(receipt["transactionHash"]),
                    "n": int(receipt["blockNumber"]),
                    "h": bytes(receipt["blockHash"]),
                    "c": reg.chain_id,
                    "a": reg.address,
                    "id": b.id,
                },
            )


def view(reg: Any) -> RegistryView:
    return RegistryView(reg.client, finality_depth=0)


def bundle_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.bundle"))


def flip_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if offset is None else offset
    data[at] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def exec_sql(db: Any, sql: str, **params: Any) -> None:
    with db.connect() as conn:
        conn.execute(sa.text(sql), params)

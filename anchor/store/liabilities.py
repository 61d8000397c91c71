"""All SQL of liabilities rounds (tables of migration 0009): the balances a round is taken
from, and the rounds, leaves and tree levels it stores. Rows are typed dataclasses."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from anchor.errors import ConflictError, NotFoundError, StorageError
from anchor.store.db import Database
from anchor.store.rows import first_typed, json_tuple, json_value, typed

__all__ = [
    "AccountBalances",
    "LeafRow",
    "RoundRow",
    "balances_at_cutoff",
    "get_round",
    "latest_round",
    "leaf_of_account",
    "leaves_in_range",
    "list_rounds",
    "mark_anchored",
    "next_round_id",
    "node_chunk",
    "save_round",
    "set_reserves",
]

ANCHORED_STATES = ("included", "final")


@dataclass(frozen=True)
class AccountBalances:
    """One account's latest anchored balance per asset at a cut-off (amount = available +
    locked) and the ids of the records they come from."""

    account_id: str
    commitment: bytes
    amounts: dict[str, int]
    record_ids: dict[str, str]


@dataclass(frozen=True)
class RoundRow:
    round_id: int
    cutoff_batch_id: int
    cutoff_seq: int
    assets: tuple[str, ...] = field(metadata=json_tuple())
    totals: tuple[int, ...] = field(metadata=json_tuple(int))
    accounts: int
    leaf_count: int
    depth: int
    root: bytes
    secret: bytes
    stored_from_level: int
    chunk_nodes: int
    state: str
    created_at: datetime
    chain_id: int | None
    contract: str | None
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    gas_used: int | None
    anchored_at: datetime | None
    reserves: dict[str, Any] | None = field(metadata=json_value())

    def __repr__(self) -> str:  # never the secret
        return f"RoundRow(round_id={self.round_id}, state={self.state!r}, root=0x{self.root.hex()})"


@dataclass(frozen=True)
class LeafRow:
    round_id: int
    account_id: str
    position: int
    balances: tuple[int, ...] = field(metadata=json_tuple(int))
    record_ids: tuple[str, ...] = field(metadata=json_tuple())


def balances_at_cutoff(db: Database, cutoff_batch_id: int) -> tuple[int, list[AccountBalances]]:
    """(cut-off seq, balances) from the balance records of batches 1..``cutoff_batch_id``: the
    latest record per account and asset. The cut-off batch must be anchored (included or
    final), else :class:`ConflictError`; an unknown batch is :class:`NotFoundError`."""
    with db.connect(write=False) as conn:
        batch = conn.execute(
            sa.text("SELECT last_seq, state FROM batches WHERE id = :b"), {"b": cutoff_batch_id}
        ).first()
        if batch is None:
            raise NotFoundError(f"no batch {cutoff_batch_id}")
        if batch.state not in ANCHORED_STATES:
            raise ConflictError(
                f"batch {cutoff_batch_id} is {batch.state}, not anchored: a round is taken only "
                "from anchored balance records"
            )
        # ordered by ra.seq (= r.seq): SQLite then walks the seq index in order instead of
        # sorting every row (and its canonical text) in a temporary B-tree
        rows = conn.execute(
            sa.text(
                "SELECT ra.account_id, a.commitment, r.record_id, r.canonical FROM records r "
                "JOIN record_accounts ra ON ra.seq = r.seq "
                "JOIN accounts a ON a.account_id = ra.account_id "
                "WHERE r.kind = 'balance' AND r.seq <= :last ORDER BY ra.seq"
            ),
            {"last": int(batch.last_seq)},
        )
        latest: dict[str, AccountBalances] = {}
        for account_id, commitment, record_id, canonical in rows:
            fields = json.loads(canonical)
            entry = latest.get(account_id)
            if entry is None:
                entry = AccountBalances(str(account_id), bytes(commitment), {}, {})
                latest[account_id] = entry
            asset = str(fields["asset"])
            entry.amounts[asset] = int(fields["available"]) + int(fields["locked"])
            entry.record_ids[asset] = str(record_id)
    return int(batch.last_seq), [latest[k] for k in sorted(latest)]


def next_round_id(db: Database) -> int:
    with db.connect(write=False) as conn:
        value = conn.execute(sa.text("SELECT MAX(round_id) FROM liability_rounds")).scalar()
    return int(value or 0) + 1


def save_round(
    db: Database,
    row: RoundRow,
    leaves: Iterable[LeafRow],
    chunks: Iterable[tuple[int, int, bytes, bytes]],
) -> None:
    """Store a built round with its accounts' leaves and its tree chunks (level, chunk_no,
    hashes, sums), in one transaction. ConflictError when the round id is taken."""
    with db.connect(write=True) as conn:
        taken = conn.execute(
            sa.text("SELECT 1 FROM liability_rounds WHERE round_id = :r"), {"r": row.round_id}
        ).first()
        if taken is not None:
            raise ConflictError(f"liabilities round {row.round_id} exists already")
        conn.execute(
            sa.text(
                "INSERT INTO liability_rounds (round_id, cutoff_batch_id, cutoff_seq, assets, "
                "totals, accounts, leaf_count, depth, root, secret, stored_from_level, "
                "chunk_nodes, state, created_at) VALUES (:round_id, :cutoff_batch_id, "
                ":cutoff_seq, :assets, :totals, :accounts, :leaf_count, :depth, :root, :secret, "
                ":stored_from_level, :chunk_nodes, :state, :created_at)"
            ),
            {
                "round_id": row.round_id,
                "cutoff_batch_id": row.cutoff_batch_id,
                "cutoff_seq": row.cutoff_seq,
                "assets": json.dumps(list(row.assets)),
                "totals": json.dumps([str(t) for t in row.totals]),
                "accounts": row.accounts,
                "leaf_count": row.leaf_count,
                "depth": row.depth,
                "root": row.root,
                "secret": row.secret,
                "stored_from_level": row.stored_from_level,
                "chunk_nodes": row.chunk_nodes,
                "state": row.state,
                "created_at": row.created_at,
            },
        )
        insert_leaf = sa.text(
            "INSERT INTO liability_leaves (round_id, account_id, position, balances, record_ids) "
            "VALUES (:r, :a, :p, :b, :i)"
        )
        batch: list[dict[str, Any]] = []
        for leaf in leaves:
            batch.append(
                {
                    "r": leaf.round_id,
                    "a": leaf.account_id,
                    "p": leaf.position,
                    "b": json.dumps([str(b) for b in leaf.balances]),
                    "i": json.dumps(list(leaf.record_ids)),
                }
            )
            if len(batch) >= 10_000:
                conn.execute(insert_leaf, batch)
                batch = []
        if batch:
            conn.execute(insert_leaf, batch)
        for level, chunk_no, hashes, sums in chunks:
            conn.execute(
                sa.text(
                    "INSERT INTO liability_nodes (round_id, level, chunk_no, hashes, sums) "
                    "VALUES (:r, :l, :c, :h, :s)"
                ),
                {"r": row.round_id, "l": level, "c": chunk_no, "h": hashes, "s": sums},
            )


def get_round(db: Database, round_id: int) -> RoundRow | None:
    return first_typed(
        RoundRow, db, "SELECT * FROM liability_rounds WHERE round_id = :r", {"r": round_id}
    )


def latest_round(db: Database, *, anchored: bool = False) -> RoundRow | None:
    """The newest round (``anchored``: the newest anchored one)."""
    where = "WHERE state = 'anchored' " if anchored else ""
    sql = f"SELECT * FROM liability_rounds {where}ORDER BY round_id DESC LIMIT 1"
    return first_typed(RoundRow, db, sql)


def list_rounds(db: Database, *, limit: int = 20) -> list[RoundRow]:
    rows = db.rows(
        "SELECT * FROM liability_rounds ORDER BY round_id DESC LIMIT :n",
        {"n": max(1, min(limit, 1000))},
    )
    return [typed(RoundRow, r) for r in rows]


def mark_anchored(
    db: Database,
    round_id: int,
    *,
    chain_id: int,
    contract: str,
    tx_hash: str,
    block_number: int,
    block_hash: str,
    gas_used: int,
) -> None:
    with db.connect(write=True) as conn:
        done = conn.execute(
            sa.text(
                "UPDATE liability_rounds SET state = 'anchored', chain_id = :c, contract = :k, "
                "tx_hash = :t, block_number = :n, block_hash = :h, gas_used = :g, "
                "anchored_at = :at WHERE round_id = :r"
            ),
            {
                "c": chain_id,
                "k": contract,
                "t": tx_hash,
                "n": block_number,
                "h": block_hash,
                "g": gas_used,
                "at": datetime.now(UTC),
                "r": round_id,
            },
        )
        if done.rowcount != 1:
            raise StorageError(f"liabilities round {round_id} is not stored")


def set_reserves(db: Database, round_id: int, reserves: dict[str, Any]) -> None:
    with db.connect(write=True) as conn:
        conn.execute(
            sa.text("UPDATE liability_rounds SET reserves = :v WHERE round_id = :r"),
            {"v": json.dumps(reserves, sort_keys=True), "r": round_id},
        )


def leaf_of_account(db: Database, round_id: int, account_id: str) -> LeafRow | None:
    sql = "SELECT * FROM liability_leaves WHERE round_id = :r AND account_id = :a"
    return first_typed(LeafRow, db, sql, {"r": round_id, "a": account_id})


def leaves_in_range(
    db: Database, round_id: int, first: int, last: int
) -> tuple[list[LeafRow], dict[str, bytes]]:
    """The accounts' leaves at positions first..last, and their commitments."""
    rows = db.rows(
        "SELECT l.*, a.commitment FROM liability_leaves l "
        "JOIN accounts a ON a.account_id = l.account_id "
        "WHERE l.round_id = :r AND l.position BETWEEN :a AND :b ORDER BY l.position",
        {"r": round_id, "a": first, "b": last},
    )
    return [typed(LeafRow, r) for r in rows], {str(r.account_id): bytes(r.commitment) for r in rows}


def node_chunk(db: Database, round_id: int, level: int, chunk_no: int) -> tuple[bytes, bytes]:
    """(hashes, sums) of one stored chunk of a level."""
    r = db.first(
        "SELECT hashes, sums FROM liability_nodes "
        "WHERE round_id = :r AND level = :l AND chunk_no = :c",
        {"r": round_id, "l": level, "c": chunk_no},
    )
    if r is None:
        raise StorageError(f"round {round_id}: tree chunk {level}/{chunk_no} missing")
    return bytes(r.hashes), bytes(r.sums)

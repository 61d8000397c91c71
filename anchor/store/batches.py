"""Batches and their stored trees: what sealing reads and writes (the pending seq range, the
leaves in seq order, the batch row and its tree chunks), the one batch writer that seal and
restore share, and the reads of a record's proof material (:mod:`anchor.service.seal`).

A batch's flat OpenZeppelin node array (``2n-1`` nodes of 32 bytes) is stored in rows of
``chunk_nodes`` nodes: node ``i`` is in chunk ``i // chunk_nodes``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from anchor.errors import StorageError
from anchor.store.db import Database
from anchor.store.models import Batch
from anchor.store.queries import batch_of_seq_in

NODE = 32
_FETCH = 50_000


class SealPlan(NamedTuple):
    """The pending range a seal would take: the batch id it gets, its seqs, its size."""

    prev_last: int  # the last seq of the last batch
    next_id: int
    first: int
    last: int
    n: int


def _scalar(raw: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    cur = raw.cursor()
    try:
        cur.execute(sql, params)
        row = cur.fetchone()
        return None if row is None else row[0]
    finally:
        cur.close()


def _raw(conn: Connection) -> Any:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    return raw


def last_batch(conn: Connection) -> tuple[int, int]:
    """(last sealed seq, next batch id) as this transaction sees them."""
    raw = _raw(conn)
    prev_last = int(_scalar(raw, "SELECT COALESCE(MAX(last_seq), 0) FROM batches") or 0)
    next_id = int(_scalar(raw, "SELECT COALESCE(MAX(id), 0) FROM batches") or 0) + 1
    return prev_last, next_id


def seal_plan(db: Database, conn: Connection, max_records: int | None) -> SealPlan | None:
    """The records after the last batch (at most ``max_records``), or None when none."""
    raw = _raw(conn)
    mark = "%s" if db.backend == "postgresql" else "?"
    prev_last, next_id = last_batch(conn)
    first = _scalar(raw, f"SELECT MIN(seq) FROM records WHERE seq > {mark}", (prev_last,))
    if first is None:
        return None
    first = int(first)
    cut = None
    if max_records is not None:
        cut = _scalar(
            raw,
            f"SELECT seq FROM records WHERE seq >= {mark} ORDER BY seq LIMIT 1 OFFSET {mark}",
            (first, max_records - 1),
        )
    last = int(cut) if cut is not None else int(_scalar(raw, "SELECT MAX(seq) FROM records"))
    n = int(
        _scalar(
            raw, f"SELECT COUNT(*) FROM records WHERE seq BETWEEN {mark} AND {mark}", (first, last)
        )
    )
    return SealPlan(prev_last, next_id, first, last, n)


def leaf_runs(db: Database, conn: Connection, first: int, last: int) -> Iterator[bytes]:
    """The stored leaves of seqs ``first..last`` in seq order, as concatenated runs of up to
    ``_FETCH`` leaves, streamed (PostgreSQL: a server-side cursor)."""
    raw = _raw(conn)
    if db.backend == "postgresql":
        cur = raw.cursor(name="anchor_seal_leaves")
        cur.itersize = _FETCH
        sql = "SELECT leaf FROM records WHERE seq BETWEEN %s AND %s ORDER BY seq"
    else:
        cur = raw.cursor()
        sql = "SELECT leaf FROM records WHERE seq BETWEEN ? AND ? ORDER BY seq"
    try:
        cur.execute(sql, (first, last))
        while True:
            rows = cur.fetchmany(_FETCH)
            if not rows:
                break
            leaves = [bytes(leaf) for (leaf,) in rows]
            run = b"".join(leaves)
            if len(run) != NODE * len(rows) or any(len(leaf) != NODE for leaf in leaves):
                raise StorageError("a stored leaf is not 32 bytes")
            yield run
    finally:
        cur.close()


def insert_batch(db: Database, conn: Connection, batch: Batch, nodes: Any) -> None:
    """The batch row ``batch`` (sealed now, or restored with its anchor) and its tree
    (``nodes``: the flat node array, bytes-like) in chunks of ``batch.chunk_nodes`` nodes, in
    the caller's write transaction."""
    conn.execute(sa.insert(Batch).values(**batch.model_dump()))
    size = batch.chunk_nodes * NODE

    def rows() -> Iterator[tuple[int, int, bytes]]:
        for no, start in enumerate(range(0, len(nodes), size)):
            yield (batch.id, no, bytes(nodes[start : start + size]))

    cur = _raw(conn).cursor()
    try:
        if db.backend == "postgresql":
            with cur.copy("COPY tree_chunks (batch_id, chunk_no, data) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:
            cur.executemany(
                "INSERT INTO tree_chunks (batch_id, chunk_no, data) VALUES (?, ?, ?)", rows()
            )
    finally:
        cur.close()


# --------------------------------------------------------------------------- proof reads


class StoredLeaf(NamedTuple):
    """A record as a proof needs it: its seq, canonical JSON and stored leaf."""

    seq: int
    canonical: str
    leaf: bytes


class AccountKeys(NamedTuple):
    """An account's secret salt and public commitment."""

    account_id: str
    salt: bytes
    commitment: bytes


def record_leaf(conn: Connection, record_id: str) -> StoredLeaf | None:
    row = conn.execute(
        sa.text("SELECT seq, canonical, leaf FROM records WHERE record_id = :r"),
        {"r": record_id},
    ).first()
    if row is None:
        return None
    return StoredLeaf(int(row.seq), str(row.canonical), bytes(row.leaf))


def batch_holding(conn: Connection, seq: int) -> Batch | None:
    """The batch whose seq range holds ``seq``, in the transaction of ``conn``."""
    with Session(bind=conn) as session:
        return batch_of_seq_in(session, seq)


def account_keys(conn: Connection, account_ids: Sequence[str]) -> list[AccountKeys]:
    """Salt and commitment of each of ``account_ids`` that is stored."""
    if not account_ids:
        return []
    rows = conn.execute(
        sa.text(
            "SELECT account_id, salt, commitment FROM accounts WHERE account_id IN :a"
        ).bindparams(sa.bindparam("a", expanding=True)),
        {"a": list(account_ids)},
    ).all()
    return [AccountKeys(str(r.account_id), bytes(r.salt), bytes(r.commitment)) for r in rows]


def tree_chunks(conn: Connection, batch_id: int, chunk_nos: Iterable[int]) -> dict[int, bytes]:
    """``{chunk_no: data}`` of those of ``chunk_nos`` that are stored for ``batch_id``."""
    rows = conn.execute(
        sa.text(
            "SELECT chunk_no, data FROM tree_chunks WHERE batch_id = :b AND chunk_no IN :c"
        ).bindparams(sa.bindparam("c", expanding=True)),
        {"b": batch_id, "c": sorted(chunk_nos)},
    ).all()
    return {int(r.chunk_no): bytes(r.data) for r in rows}

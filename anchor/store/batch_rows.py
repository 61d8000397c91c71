"""Batches and records as stored, read in bulk: for backups (:mod:`anchor.backup.source`),
reconciliation (:mod:`anchor.backup.reconcile`) and the anchor audit
(:mod:`anchor.service.audit`).

Everything here reads through one raw DBAPI cursor per query: a million records must be read
in seconds, so no ORM objects are built per row, only named tuples. Time stamps are
normalised to ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` whatever the backend hands back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from anchor.errors import StorageError
from anchor.store.db import Database, rows_in_parts


class BatchRow(NamedTuple):
    """A row of the batches table, with its CURRENT anchor fields (the backups' reads and the
    proof GET's, :mod:`.proof_reads`)."""

    id: int
    root: bytes
    leaf_count: int
    first_seq: int
    last_seq: int
    chunk_nodes: int
    sealed_at: str  # ISO 8601 UTC, see iso_utc
    state: str
    tx_hash: bytes | None
    block_number: int | None
    block_hash: bytes | None
    chain_id: int | None
    contract: str | None


class RecordRow(NamedTuple):
    """A row of the records table, as stored (nothing recomputed)."""

    seq: int
    record_id: str
    kind: str
    version: int
    canonical: bytes
    content_hash: bytes
    leaf: bytes
    received_at: str  # "" when not asked for


class AuditBatch(NamedTuple):
    """A batch as the audit shows it, with the time its first record was received."""

    id: int
    root: bytes
    leaf_count: int
    state: str
    tx_hash: bytes | None
    block_number: int | None
    block_hash: bytes | None
    sealed_at: str | None
    final_at: datetime | None
    first_received: datetime | None


def iso_utc(value: Any) -> str:
    """A stored time stamp as ISO 8601 UTC with microseconds. SQLite hands back naive
    ``YYYY-MM-DD HH:MM:SS.ffffff`` text (UTC by the store's convention)."""
    if isinstance(value, str):
        dt = datetime.fromisoformat(value)
    elif isinstance(value, datetime):
        dt = value
    else:
        raise StorageError(f"unexpected time stamp type {type(value).__name__}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _cursor(conn: Connection) -> Any:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    return raw.cursor()


def _ph(conn: Connection) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


def _b(v: Any) -> bytes:
    return bytes(v) if v is not None else b""


def _bytes(v: Any) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else bytes(v)


# The columns of a BatchRow, in its order (the raw reads select them so).
BATCH_COLUMNS = (
    "id, root, leaf_count, first_seq, last_seq, chunk_nodes, sealed_at, state, tx_hash,"
    " block_number, block_hash, chain_id, contract"
)


def batch_row(*values: Any) -> BatchRow:
    """The :class:`BatchRow` of the raw :data:`BATCH_COLUMNS` values: the anchor columns NULL
    until anchored."""
    bid, root, n, first, last, per, sealed_at, state, tx, bn, bh, cid, contract = values
    return BatchRow(
        int(bid),
        bytes(root),
        int(n),
        int(first),
        int(last),
        int(per),
        iso_utc(sealed_at),
        str(state),
        None if tx is None else bytes(tx),
        None if bn is None else int(bn),
        None if bh is None else bytes(bh),
        None if cid is None else int(cid),
        None if contract is None else str(contract),
    )


def list_batches(conn: Connection) -> list[BatchRow]:
    """Every batch, by id (``conn``: a SQLAlchemy Connection from ``db.connect()``)."""
    cur = _cursor(conn)
    try:
        cur.execute(f"SELECT {BATCH_COLUMNS} FROM batches ORDER BY id")
        rows = cur.fetchall()
    finally:
        cur.close()
    return [batch_row(*r) for r in rows]


_RECORD_COLS = "seq, record_id, kind, version, canonical, content_hash, leaf"


def read_records(
    conn: Connection, first_seq: int, last_seq: int, *, received_at: bool = True
) -> Iterator[RecordRow]:
    """The stored records with ``first_seq <= seq <= last_seq``, in seq order
    (``received_at=False`` leaves that field empty: it is costly to normalise)."""
    cur = _cursor(conn)
    ph = _ph(conn)
    try:
        cur.execute(
            f"SELECT {_RECORD_COLS}, received_at"
            f" FROM records WHERE seq >= {ph} AND seq <= {ph} ORDER BY seq",
            (first_seq, last_seq),
        )
        while True:
            rows = cur.fetchmany(20_000)
            if not rows:
                break
            for seq, rid, kind, version, canonical, content_hash, leaf, at in rows:
                yield RecordRow(
                    int(seq),
                    str(rid),
                    str(kind),
                    int(version),
                    _bytes(canonical),
                    _b(content_hash),
                    _b(leaf),
                    iso_utc(at) if received_at else "",
                )
    finally:
        cur.close()


def records_by_seq(conn: Connection, lo: int, hi: int) -> dict[int, RecordRow]:
    """``{seq: row}`` of the stored records with ``lo <= seq <= hi`` (no time stamps)."""
    cur = _cursor(conn)
    ph = _ph(conn)
    try:
        cur.execute(
            f"SELECT {_RECORD_COLS} FROM records WHERE seq >= {ph} AND seq <= {ph}", (lo, hi)
        )
        out: dict[int, RecordRow] = {}
        while True:
            rows = cur.fetchmany(50_000)
            if not rows:
                return out
            for seq, rid, kind, version, canonical, content_hash, leaf in rows:
                out[seq] = RecordRow(
                    seq, rid, kind, version, _bytes(canonical), bytes(content_hash),
                    bytes(leaf), "",
                )  # fmt: skip
    finally:
        cur.close()


def record_by_id(conn: Connection, record_id: str) -> RecordRow | None:
    """The stored record ``record_id`` (no time stamp), or None."""
    cur = _cursor(conn)
    try:
        cur.execute(
            f"SELECT {_RECORD_COLS} FROM records WHERE record_id = {_ph(conn)}", (record_id,)
        )
        r = cur.fetchone()
    finally:
        cur.close()
    if r is None:
        return None
    seq, rid, kind, version, canonical, content_hash, leaf = r
    return RecordRow(
        int(seq), str(rid), str(kind), int(version), _bytes(canonical), bytes(content_hash),
        bytes(leaf), "",
    )  # fmt: skip


def salts_in_range(conn: Connection, first_seq: int, last_seq: int) -> dict[str, bytes]:
    """Salts of the accounts linked to records in the seq range."""
    cur = _cursor(conn)
    ph = _ph(conn)
    try:
        cur.execute(
            "SELECT DISTINCT a.account_id, a.salt FROM accounts a"
            " JOIN record_accounts ra ON ra.account_id = a.account_id"
            f" WHERE ra.seq >= {ph} AND ra.seq <= {ph}",
            (first_seq, last_seq),
        )
        return {str(a): bytes(salt) for a, salt in cur.fetchall()}
    finally:
        cur.close()


def salts_of(conn: Connection, account_ids: Iterable[str]) -> dict[str, bytes]:
    """``{account_id: salt}`` of those of ``account_ids`` that are stored."""
    wanted = sorted(set(account_ids))
    sql = "SELECT account_id, salt FROM accounts WHERE account_id IN ({marks})"
    cur = _cursor(conn)
    try:
        return {str(a): bytes(s) for a, s in rows_in_parts(cur, sql, wanted, _ph(conn), 500)}
    finally:
        cur.close()


def audit_batches(db: Database) -> list[AuditBatch]:
    """Every batch by id, with the time its first record was received."""
    rows = db.rows(
        "SELECT b.id, b.root, b.leaf_count, b.state, b.tx_hash, b.block_number,"
        " b.block_hash, b.sealed_at, b.final_at, r.received_at AS first_received"
        " FROM batches b LEFT JOIN records r ON r.seq = b.first_seq ORDER BY b.id",
    )
    return [
        AuditBatch(
            int(r.id),
            bytes(r.root),
            int(r.leaf_count),
            str(r.state),
            None if r.tx_hash is None else bytes(r.tx_hash),
            None if r.block_number is None else int(r.block_number),
            None if r.block_hash is None else bytes(r.block_hash),
            None if r.sealed_at is None else str(r.sealed_at),
            _utc(r.final_at),
            _utc(r.first_received),
        )
        for r in rows
    ]

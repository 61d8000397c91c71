"""Reading batches out of the live database (for backups and reconciliation).

Everything here reads through one raw DBAPI cursor per query: a million records must be read
in seconds, so no ORM objects are built per row. Time stamps are normalised to
``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` whatever the backend hands back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from anchor.backup.bundle import Bundle, BundleFormatError, RebuiltBatch
from anchor.core.records import account_commitment, parse_record
from anchor.errors import InputError, StorageError

__all__ = [
    "BatchMismatch",
    "BatchRow",
    "RecordRow",
    "bundle_from_db",
    "iso_utc",
    "list_batches",
    "parse_iso",
    "read_records",
    "read_salts",
]


class BatchMismatch(StorageError):
    """The database's records do not rebuild the batch's sealed root (tampered or broken)."""


@dataclass(frozen=True)
class BatchRow:
    """A row of the batches table."""

    id: int
    root: bytes
    leaf_count: int
    first_seq: int
    last_seq: int
    sealed_at: str
    state: str
    tx_hash: bytes | None
    block_number: int | None
    block_hash: bytes | None
    chain_id: int | None
    contract: str | None


@dataclass(frozen=True)
class RecordRow:
    """A row of the records table, as stored (nothing recomputed)."""

    seq: int
    record_id: str
    kind: str
    version: int
    canonical: bytes
    content_hash: bytes
    leaf: bytes
    received_at: str


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


def parse_iso(text: str) -> datetime:
    """The inverse of :func:`iso_utc` (an aware UTC datetime)."""
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise BundleFormatError(f"bad time stamp {text!r}") from None
    if dt.tzinfo is None:
        raise BundleFormatError(f"time stamp without a zone {text!r}")
    return dt.astimezone(UTC)


def _cursor(conn: Any) -> Any:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    return raw.cursor()


def _b(v: Any) -> bytes:
    return bytes(v) if v is not None else b""


def list_batches(conn: Any) -> list[BatchRow]:
    """Every batch, by id (``conn``: a SQLAlchemy Connection from ``db.connect()``)."""
    cur = _cursor(conn)
    try:
        cur.execute(
            "SELECT id, root, leaf_count, first_seq, last_seq, sealed_at, state, tx_hash,"
            " block_number, block_hash, chain_id, contract FROM batches ORDER BY id"
        )
        rows = cur.fetchall()
    finally:
        cur.close()
    return [
        BatchRow(
            id=int(r[0]),
            root=_b(r[1]),
            leaf_count=int(r[2]),
            first_seq=int(r[3]),
            last_seq=int(r[4]),
            sealed_at=iso_utc(r[5]),
            state=str(r[6]),
            tx_hash=bytes(r[7]) if r[7] is not None else None,
            block_number=int(r[8]) if r[8] is not None else None,
            block_hash=bytes(r[9]) if r[9] is not None else None,
            chain_id=int(r[10]) if r[10] is not None else None,
            contract=str(r[11]) if r[11] is not None else None,
        )
        for r in rows
    ]


def read_records(
    conn: Any, first_seq: int, last_seq: int, *, received_at: bool = True
) -> Iterator[RecordRow]:
    """The stored records with ``first_seq <= seq <= last_seq``, in seq order
    (``received_at=False`` leaves that field empty: it is costly to normalise)."""
    cur = _cursor(conn)
    ph = "?" if conn.dialect.name == "sqlite" else "%s"
    try:
        cur.execute(
            "SELECT seq, record_id, kind, version, canonical, content_hash, leaf, received_at"
            f" FROM records WHERE seq >= {ph} AND seq <= {ph} ORDER BY seq",
            (first_seq, last_seq),
        )
        while True:
            rows = cur.fetchmany(20_000)
            if not rows:
                break
            for r in rows:
                canonical = r[4]
                yield RecordRow(
                    seq=int(r[0]),
                    record_id=str(r[1]),
                    kind=str(r[2]),
                    version=int(r[3]),
                    canonical=canonical.encode("utf-8")
                    if isinstance(canonical, str)
                    else bytes(canonical),
                    content_hash=_b(r[5]),
                    leaf=_b(r[6]),
                    received_at=iso_utc(r[7]) if received_at else "",
                )
    finally:
        cur.close()


def read_salts(conn: Any, first_seq: int, last_seq: int) -> dict[str, bytes]:
    """Salts of the accounts linked to records in the seq range."""
    cur = _cursor(conn)
    ph = "?" if conn.dialect.name == "sqlite" else "%s"
    try:
        cur.execute(
            "SELECT DISTINCT a.account_id, a.salt FROM accounts a"
            " JOIN record_accounts ra ON ra.account_id = a.account_id"
            f" WHERE ra.seq >= {ph} AND ra.seq <= {ph}",
            (first_seq, last_seq),
        )
        return {str(r[0]): bytes(r[1]) for r in cur.fetchall()}
    finally:
        cur.close()


def _salts_for(conn: Any, account_ids: set[str], known: Mapping[str, bytes]) -> dict[str, bytes]:
    out = {a: known[a] for a in account_ids if a in known}
    missing = sorted(account_ids - out.keys())
    if missing:
        cur = _cursor(conn)
        ph = "?" if conn.dialect.name == "sqlite" else "%s"
        try:
            for a in missing:
                cur.execute(f"SELECT salt FROM accounts WHERE account_id = {ph}", (a,))
                row = cur.fetchone()
                if row is None:
                    raise BatchMismatch("a record's account has no row in accounts")
                out[a] = bytes(row[0])
        finally:
            cur.close()
    return out


def bundle_from_db(conn: Any, batch: BatchRow, *, workers: int = 1) -> tuple[Bundle, RebuiltBatch]:
    """The bundle of ``batch`` from the live database, records in tree order, leaves
    RECOMPUTED from the records (stored leaves are not trusted). Raises
    :class:`BatchMismatch` when the records do not rebuild the sealed root: such a batch is
    never backed up (the database has changed since sealing)."""
    from anchor.backup.leaves import compute_leaves
    from anchor.core.merkle import MerkleTree

    rows = list(read_records(conn, batch.first_seq, batch.last_seq))
    if len(rows) != batch.leaf_count:
        raise BatchMismatch(
            f"batch {batch.id}: {len(rows)} records in seq range, sealed with {batch.leaf_count}"
        )
    seqs = [r.seq for r in rows]
    canon = [r.canonical for r in rows]
    # the salts of the accounts linked to the range; if a link is missing, fall back to
    # reading every record's accounts
    linked = read_salts(conn, batch.first_seq, batch.last_seq)
    commitments = {a: account_commitment(a, s) for a, s in linked.items()}
    leaves, used, problem = compute_leaves(seqs, canon, commitments, workers=workers)
    if problem is not None and "no salt" in problem.problem:
        accounts: set[str] = set()
        for row in rows:
            try:
                accounts.update(parse_record(row.canonical).accounts())
            except InputError:
                raise BatchMismatch(
                    f"batch {batch.id}: record {row.record_id!r} does not parse"
                ) from None
        linked = _salts_for(conn, accounts, linked)
        commitments = {a: account_commitment(a, s) for a, s in linked.items()}
        leaves, used, problem = compute_leaves(seqs, canon, commitments, workers=workers)
    if problem is not None:
        raise BatchMismatch(f"batch {batch.id}: seq {problem.seq}: {problem.problem}")
    salts = {a: linked[a] for a in used}
    commitments = {a: commitments[a] for a in used}
    order = sorted(range(len(rows)), key=leaves.__getitem__)
    sorted_leaves = [leaves[i] for i in order]
    tree = MerkleTree.from_leaves(sorted_leaves)
    if tree.root != batch.root:
        raise BatchMismatch(f"batch {batch.id}: the records do not rebuild the sealed root")
    bundle = Bundle(
        batch_id=batch.id,
        root=batch.root,
        leaf_count=batch.leaf_count,
        first_seq=batch.first_seq,
        last_seq=batch.last_seq,
        sealed_at=batch.sealed_at,
        seqs=[rows[i].seq for i in order],
        received_at=[rows[i].received_at for i in order],
        records=[rows[i].canonical for i in order],
        salts=salts,
    )
    return bundle, RebuiltBatch(
        root=tree.root, leaves=sorted_leaves, nodes=tree.nodes_bytes(), commitments=commitments
    )

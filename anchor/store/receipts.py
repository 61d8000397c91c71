"""Receipt loads (signed promises) and the rows their receipts are built from. All SQL of
receipts lives here; every read returns named rows (migration 0008 made the tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.core.receipt import SignedLoad
from anchor.store.books import BatchSpan
from anchor.store.db import Database
from anchor.store.rows import typed

__all__ = [
    "BatchSpan",
    "LoadRow",
    "RecordEntry",
    "covering_batches",
    "final_frontier",
    "insert_load",
    "load_by_id",
    "load_entries",
    "load_of_seq",
    "missed_loads",
    "open_loads",
    "record_entry",
    "settle_load",
]

_LOAD_COLUMNS = (
    "id, first_seq, last_seq, root, signer, signature, ingested_at, deadline, outcome, final_at"
)


@dataclass(frozen=True)
class LoadRow:
    """One signed load: what was promised, and what became of it."""

    id: int
    first_seq: int
    last_seq: int
    root: bytes
    signer: str
    signature: bytes
    ingested_at: int
    deadline: int
    outcome: str | None  # None (open), "kept", "missed"
    final_at: int | None  # unix seconds: every record of the load final by then

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1

    def signed(self) -> SignedLoad:
        return SignedLoad(
            self.root,
            self.first_seq,
            self.count,
            self.ingested_at,
            self.deadline,
            self.signer,
            self.signature,
        )


@dataclass(frozen=True)
class RecordEntry:
    """What a record's receipt binds: its id, leaf and seq."""

    record_id: str
    leaf: bytes
    seq: int


def insert_load(conn: Connection, load: SignedLoad) -> int:
    """Store a signed load (inside the ingest's own transaction); returns the load id."""
    row = conn.execute(
        sa.text(
            "INSERT INTO receipt_loads (first_seq, last_seq, root, signer, signature,"
            " ingested_at, deadline) VALUES (:f, :l, :root, :signer, :sig, :at, :deadline)"
            " RETURNING id"
        ),
        {
            "f": load.first_seq,
            "l": load.first_seq + load.count - 1,
            "root": load.root,
            "signer": load.signer,
            "sig": load.signature,
            "at": load.ingested_at,
            "deadline": load.deadline,
        },
    ).one()
    return int(row.id)


def load_by_id(db: Database, load_id: int) -> LoadRow | None:
    r = db.first(
        f"SELECT {_LOAD_COLUMNS} FROM receipt_loads WHERE id = :id",
        {"id": load_id},
    )
    return None if r is None else typed(LoadRow, r)


def load_of_seq(db: Database, seq: int) -> LoadRow | None:
    """The signed load holding ``seq`` (None: the record was stored without a receipt)."""
    r = db.first(
        f"SELECT {_LOAD_COLUMNS} FROM receipt_loads WHERE first_seq <= :s"
        " ORDER BY first_seq DESC LIMIT 1",
        {"s": seq},
    )
    found = None if r is None else typed(LoadRow, r)
    return found if found is not None and found.last_seq >= seq else None


def record_entry(db: Database, record_id: str) -> RecordEntry | None:
    r = db.first(
        "SELECT record_id, leaf, seq FROM records WHERE record_id = :r",
        {"r": record_id},
    )
    return None if r is None else RecordEntry(str(r.record_id), bytes(r.leaf), int(r.seq))


def load_entries(
    db: Database, first_seq: int, last_seq: int, *, limit: int | None = None
) -> list[RecordEntry]:
    """The records stored with seqs first..last, in seq order (at most ``limit``)."""
    sql = "SELECT record_id, leaf, seq FROM records WHERE seq BETWEEN :a AND :b ORDER BY seq"
    params: dict[str, int] = {"a": first_seq, "b": last_seq}
    if limit is not None:
        sql += " LIMIT :n"
        params["n"] = limit
    with db.connect(write=False) as conn:
        rows = conn.execute(sa.text(sql), params)
        return [RecordEntry(str(r.record_id), bytes(r.leaf), int(r.seq)) for r in rows]


def open_loads(db: Database, *, limit: int = 1000) -> list[LoadRow]:
    """Loads whose promise is still to be settled: open ones, and missed ones whose
    records are not all final yet (their ``final_at`` is still to be written), oldest first."""
    rows = db.rows(
        f"SELECT {_LOAD_COLUMNS} FROM receipt_loads WHERE outcome IS NULL"
        " OR (outcome = 'missed' AND final_at IS NULL) ORDER BY first_seq LIMIT :n",
        {"n": limit},
    )
    return [typed(LoadRow, r) for r in rows]


def missed_loads(db: Database, now: int, *, limit: int = 200) -> list[LoadRow]:
    """Missed promises, newest first: loads settled ``missed`` and open loads whose deadline
    has passed (the checker settles those on its next run)."""
    rows = db.rows(
        f"SELECT {_LOAD_COLUMNS} FROM receipt_loads WHERE outcome = 'missed'"
        " OR (outcome IS NULL AND deadline < :now) ORDER BY first_seq DESC LIMIT :n",
        {"now": now, "n": limit},
    )
    return [typed(LoadRow, r) for r in rows]


def covering_batches(db: Database, first_seq: int, last_seq: int) -> list[BatchSpan]:
    """The batches holding any seq of first..last, in seq order."""
    rows = db.rows(
        "SELECT id, first_seq, last_seq, state, final_at FROM batches"
        " WHERE last_seq >= :a AND first_seq <= :b ORDER BY first_seq",
        {"a": first_seq, "b": last_seq},
    )
    out = []
    for r in rows:
        final_at = r.final_at
        if isinstance(final_at, str):  # SQLite hands back its text form on raw reads
            final_at = datetime.fromisoformat(final_at)
        if final_at is not None and final_at.tzinfo is None:
            final_at = final_at.replace(tzinfo=UTC)
        out.append(
            BatchSpan(
                int(r.id),
                int(r.first_seq),
                int(r.last_seq),
                str(r.state),
                None if final_at is None else int(final_at.timestamp()),
            )
        )
    return out


def final_frontier(db: Database) -> int:
    """The highest seq in a final batch (0: none)."""
    with db.connect(write=False) as conn:
        value = conn.execute(
            sa.text("SELECT MAX(last_seq) FROM batches WHERE state = 'final'")
        ).scalar()
    return int(value or 0)


def settle_load(conn: Connection, load_id: int, outcome: str, final_at: int | None) -> None:
    conn.execute(
        sa.text("UPDATE receipt_loads SET outcome = :o, final_at = :f WHERE id = :id"),
        {"o": outcome, "f": final_at, "id": load_id},
    )

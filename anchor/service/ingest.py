"""Ingest: validate records, assign ingest sequence numbers, store them (Python API).

``ingest(db, records)`` takes an iterable of records (mappings, or JSON text/bytes such as
NDJSON lines) and writes them in ONE transaction:

* every record is validated by :func:`anchor.core.records.parse_record`; a bad one raises
  :class:`anchor.errors.RecordError` carrying its 1-based line number and the field, and
  nothing of the load is written (``skip_bad=True`` stores the good records and reports
  the bad ones in :attr:`IngestResult.rejected` instead);
* idempotent by record id: the same id with the same canonical content is counted as a
  duplicate and not written again; the same id with different content raises
  :class:`anchor.errors.ConflictError` naming the id, and nothing of the load is written;
* new records get consecutive seqs in input order; each account gets a 32-byte secret salt
  (``secrets``) the first time it is seen; the leaf is computed here (it depends only on the
  record, its seq and the account commitments) so sealing just reads leaves;
* the write is one transaction (SQLite: ``BEGIN IMMEDIATE``, ``synchronous=FULL``;
  PostgreSQL: an advisory lock serialises seq assignment, rows go in with ``COPY``): when
  ``ingest`` returns, the records are durable; a crash before that leaves nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from anchor.core.hashing import keccak256
from anchor.core.records import Record, account_commitment, encode_leaf, parse_record
from anchor.errors import ConflictError, RecordError
from anchor.store.db import LOCK_INGEST, Database

RecordInput = Mapping[str, Any] | str | bytes

DEFAULT_CHUNK = 5_000
_LOOKUP_CHUNK = 900  # stays under SQLite's bound-parameter limit on any build


@dataclass(frozen=True)
class BadLine:
    """A record refused in a ``skip_bad`` load."""

    line: int
    field: str
    problem: str


@dataclass(frozen=True)
class IngestResult:
    """What a load did. ``first_seq``/``last_seq`` are ``None`` when nothing new was stored."""

    accepted: int
    duplicates: int
    first_seq: int | None
    last_seq: int | None
    rejected: tuple[BadLine, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "rejected": [
                {"line": b.line, "field": b.field, "problem": b.problem} for b in self.rejected
            ],
        }


@dataclass(frozen=True)
class _Parsed:
    line: int
    record: Record
    canonical: bytes
    content_hash: bytes


def _is_blank(item: RecordInput) -> bool:
    if isinstance(item, Mapping):
        return not item
    return not item.strip()


def _parse(line: int, item: RecordInput) -> _Parsed:
    try:
        record = parse_record(item)
    except RecordError as exc:
        raise RecordError(exc.field, exc.problem, line=line) from None
    except (ValueError, TypeError) as exc:  # anything the core did not name
        raise RecordError(
            "record", f"cannot be parsed ({exc.__class__.__name__})", line=line
        ) from None
    canonical = record.canonical_json()
    return _Parsed(line, record, canonical, keccak256(canonical))


def _chunks(
    items: Iterable[RecordInput], size: int, first_line: int
) -> Iterator[list[tuple[int, RecordInput]]]:
    chunk: list[tuple[int, RecordInput]] = []
    for line, item in enumerate(items, first_line):
        chunk.append((line, item))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Writer:
    """Backend-specific bulk reads and writes on one raw DBAPI connection."""

    def __init__(self, db: Database, conn: Connection) -> None:
        self.backend = db.backend
        raw = conn.connection.dbapi_connection
        assert raw is not None
        self.raw: Any = raw

    def max_seq(self) -> int:
        cur = self.raw.cursor()
        try:
            cur.execute("SELECT COALESCE(MAX(seq), 0) FROM records")
            return int(cur.fetchone()[0])
        finally:
            cur.close()

    def _lookup(self, sql_sqlite: str, sql_pg: str, keys: Sequence[str]) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        cur = self.raw.cursor()
        try:
            if self.backend == "postgresql":
                cur.execute(sql_pg, (list(keys),))
                out.extend(cur.fetchall())
            else:
                for i in range(0, len(keys), _LOOKUP_CHUNK):
                    part = keys[i : i + _LOOKUP_CHUNK]
                    marks = ",".join("?" * len(part))
                    cur.execute(sql_sqlite.format(marks=marks), part)
                    out.extend(cur.fetchall())
        finally:
            cur.close()
        return out

    def existing_hashes(self, record_ids: Sequence[str]) -> dict[str, bytes]:
        rows = self._lookup(
            "SELECT record_id, content_hash FROM records WHERE record_id IN ({marks})",
            "SELECT record_id, content_hash FROM records WHERE record_id = ANY(%s)",
            record_ids,
        )
        return {str(r[0]): bytes(r[1]) for r in rows}

    def existing_accounts(self, account_ids: Sequence[str]) -> dict[str, bytes]:
        rows = self._lookup(
            "SELECT account_id, commitment FROM accounts WHERE account_id IN ({marks})",
            "SELECT account_id, commitment FROM accounts WHERE account_id = ANY(%s)",
            account_ids,
        )
        return {str(r[0]): bytes(r[1]) for r in rows}

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cols = ", ".join(columns)
        cur = self.raw.cursor()
        try:
            if self.backend == "postgresql":
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        finally:
            cur.close()

    def timestamp(self, when: datetime) -> Any:
        # SQLAlchemy's SQLite DateTime storage format, so ORM reads parse it back.
        if self.backend == "sqlite":
            return (
                when.astimezone(UTC)
                .replace(tzinfo=None)
                .isoformat(sep=" ", timespec="microseconds")
            )
        return when


def ingest(
    db: Database,
    records: Iterable[RecordInput],
    *,
    skip_bad: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    first_line: int = 1,
) -> IngestResult:
    """Validate and store ``records`` in one transaction; see the module docstring.

    ``progress`` (optional) is called with the number of input items handled so far, after
    each chunk. Blank strings/lines (and empty mappings) are skipped but still count as
    lines; ``first_line`` is the line number of the first item (2 for a CSV after its header).
    """
    accepted = duplicates = 0
    first_seq: int | None = None
    last_seq: int | None = None
    rejected: list[BadLine] = []
    commitments: dict[str, bytes] = {}
    now = datetime.now(UTC)
    handled = 0

    with db.connect(write=True) as conn:
        db.xact_lock(conn, LOCK_INGEST)
        w = _Writer(db, conn)
        received_at = w.timestamp(now)
        next_seq = w.max_seq() + 1
        for chunk in _chunks(records, chunk_size, first_line):
            parsed: list[_Parsed] = []
            for line, item in chunk:
                if _is_blank(item):
                    continue
                try:
                    parsed.append(_parse(line, item))
                except RecordError as exc:
                    if not skip_bad:
                        raise
                    rejected.append(BadLine(line, exc.field, exc.problem))
            handled += len(chunk)

            # idempotency: against the store (including earlier chunks of this load) and
            # within this chunk
            existing = w.existing_hashes([p.record.record_id for p in parsed])
            fresh: list[_Parsed] = []
            for p in parsed:
                rid = p.record.record_id
                known = existing.get(rid)
                if known is not None:
                    if known != p.content_hash:
                        raise ConflictError(
                            f"line {p.line}: record {rid!r} already exists with different content"
                        )
                    duplicates += 1
                    continue
                existing[rid] = p.content_hash
                fresh.append(p)

            # accounts: a secret salt at first sight
            wanted = sorted({a for p in fresh for a in p.record.accounts()} - commitments.keys())
            if wanted:
                commitments.update(w.existing_accounts(wanted))
                new_accounts = []
                for account_id in wanted:
                    if account_id in commitments:
                        continue
                    salt = secrets.token_bytes(32)
                    commitment = account_commitment(account_id, salt)
                    commitments[account_id] = commitment
                    new_accounts.append((account_id, salt, commitment, received_at))
                w.insert(
                    "accounts", ("account_id", "salt", "commitment", "created_at"), new_accounts
                )

            record_rows: list[tuple[Any, ...]] = []
            link_rows: list[tuple[str, int]] = []
            for p in fresh:
                seq = next_seq
                rec = p.record
                try:
                    leaf = keccak256(keccak256(encode_leaf(rec, seq, commitments)))
                except RecordError as exc:
                    if not skip_bad:
                        raise RecordError(exc.field, exc.problem, line=p.line) from None
                    rejected.append(BadLine(p.line, exc.field, exc.problem))
                    continue
                next_seq += 1
                record_rows.append(
                    (
                        seq,
                        rec.record_id,
                        rec.kind,
                        rec.version,
                        p.canonical.decode("ascii"),
                        p.content_hash,
                        leaf,
                        received_at,
                    )
                )
                link_rows.extend((a, seq) for a in rec.accounts())
                if first_seq is None:
                    first_seq = seq
                last_seq = seq
                accepted += 1
            w.insert(
                "records",
                (
                    "seq",
                    "record_id",
                    "kind",
                    "version",
                    "canonical",
                    "content_hash",
                    "leaf",
                    "received_at",
                ),
                record_rows,
            )
            w.insert("record_accounts", ("account_id", "seq"), link_rows)
            if progress is not None:
                progress(handled)

    return IngestResult(accepted, duplicates, first_seq, last_seq, tuple(rejected))


def ingest_one(db: Database, record: RecordInput) -> IngestResult:
    """Ingest a single record (same rules as :func:`ingest`)."""
    return ingest(db, [record])

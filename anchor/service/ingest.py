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

import multiprocessing
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from anchor.core.hashing import keccak256
from anchor.core.records import (
    Record,
    account_commitment,
    account_fields,
    encode_leaf,
    parse_record,
    schema,
)
from anchor.errors import ConflictError, RecordError, StorageError
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


class _Prepared(NamedTuple):
    """A validated record, ready to be numbered: everything but the seq and commitments."""

    line: int
    record_id: str
    kind: str
    version: int
    canonical: bytes
    content_hash: bytes
    accounts: tuple[str, ...]
    # abi.encode of the leaf with seq 0 and zero commitments, and where to patch them
    template: bytes
    slots: tuple[tuple[int, str], ...]


class _Bad(NamedTuple):
    line: int
    field: str
    problem: str


_SEQ_AT = 3 * 32  # the leaf's 4th head word: (kind, version, record_id offset, seq, ...)
_ZERO32 = bytes(32)
_layout_checked: set[tuple[str, int]] = set()


@lru_cache(maxsize=64)
def _account_offsets(kind: str, version: int) -> tuple[tuple[int, str], ...]:
    """(byte offset of the head word, field name) of each account field of the leaf."""
    names = [f.name for f in schema(kind, version).fields]
    return tuple((32 * (4 + names.index(name)), name) for name in account_fields(kind, version))


def _patch(
    template: bytes, slots: tuple[tuple[int, str], ...], seq: int, c: Mapping[str, bytes]
) -> bytes:
    buf = bytearray(template)
    buf[_SEQ_AT : _SEQ_AT + 32] = seq.to_bytes(32, "big")
    for offset, account in slots:
        buf[offset : offset + 32] = c[account]
    return bytes(buf)


def _check_layout(record: Record, template: bytes, slots: tuple[tuple[int, str], ...]) -> None:
    """Once per kind and process: patching the template must equal the core's encode_leaf."""
    key = (record.kind, record.version)
    if key in _layout_checked:
        return
    probe = {a: keccak256(a.encode("utf-8")) for a in record.accounts()}
    if _patch(template, slots, 0x0123456789ABCDEF, probe) != encode_leaf(
        record, 0x0123456789ABCDEF, probe
    ):
        raise StorageError(
            f"leaf layout of {record.kind} v{record.version} is not the one ingest expects"
        )
    _layout_checked.add(key)


def _prepare(line: int, item: RecordInput) -> _Prepared | _Bad:
    try:
        record = parse_record(item)
        accounts = record.accounts()
        canonical = record.canonical_json()
        template = encode_leaf(record, 0, dict.fromkeys(accounts, _ZERO32))
    except RecordError as exc:
        return _Bad(line, exc.field, exc.problem)
    except (ValueError, TypeError) as exc:  # anything the core did not name
        return _Bad(line, "record", f"cannot be parsed ({exc.__class__.__name__})")
    slots = tuple(
        (offset, record.fields[name])
        for offset, name in _account_offsets(record.kind, record.version)
    )
    _check_layout(record, template, slots)
    return _Prepared(
        line,
        record.record_id,
        record.kind,
        record.version,
        canonical,
        keccak256(canonical),
        accounts,
        template,
        slots,
    )


def _prepare_chunk(chunk: list[tuple[int, RecordInput]]) -> tuple[int, list[_Prepared | _Bad]]:
    """(items handled, prepared records and bad lines) of one chunk; runs in workers too."""
    out: list[_Prepared | _Bad] = []
    for line, item in chunk:
        if isinstance(item, Mapping):
            if not item:
                continue
        elif isinstance(item, str | bytes | bytearray) and not item.strip():
            continue
        out.append(_prepare(line, item))
    return len(chunk), out


def _prepared(
    items: Iterable[RecordInput], size: int, first_line: int, workers: int
) -> Iterator[tuple[int, list[_Prepared | _Bad]]]:
    """Prepared chunks in input order; with ``workers > 1`` validation runs in that many
    worker processes (a bounded window of chunks in flight)."""
    chunks = _chunks(items, size, first_line)
    if workers <= 1:
        for chunk in chunks:
            yield _prepare_chunk(chunk)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        window: deque[Any] = deque()
        for chunk in chunks:
            window.append(pool.apply_async(_prepare_chunk, (chunk,)))
            if len(window) >= 2 * workers:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()


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
    workers: int = 1,
) -> IngestResult:
    """Validate and store ``records`` in one transaction; see the module docstring.

    ``progress`` (optional) is called with the number of input items handled so far, after
    each chunk. Blank strings/lines (and empty mappings) are skipped but still count as
    lines; ``first_line`` is the line number of the first item (2 for a CSV after its header).
    ``workers > 1`` validates in that many worker processes (for big files: the core's
    validation is the bulk of the cost); the database work stays in this process.
    """
    if workers > 1:
        records = (dict(r) if isinstance(r, Mapping) else r for r in records)
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
        for count, prepared in _prepared(records, chunk_size, first_line, workers):
            parsed: list[_Prepared] = []
            for p in prepared:
                if isinstance(p, _Bad):
                    if not skip_bad:
                        raise RecordError(p.field, p.problem, line=p.line)
                    rejected.append(BadLine(p.line, p.field, p.problem))
                else:
                    parsed.append(p)
            handled += count

            # idempotency: against the store (including earlier chunks of this load) and
            # within this chunk
            existing = w.existing_hashes([p.record_id for p in parsed])
            fresh: list[_Prepared] = []
            for p in parsed:
                rid = p.record_id
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
            wanted = sorted({a for p in fresh for a in p.accounts} - commitments.keys())
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
            k = keccak256
            for p in fresh:
                seq = next_seq
                next_seq += 1
                leaf = k(k(_patch(p.template, p.slots, seq, commitments)))
                record_rows.append(
                    (
                        seq,
                        p.record_id,
                        p.kind,
                        p.version,
                        p.canonical.decode("ascii"),
                        p.content_hash,
                        leaf,
                        received_at,
                    )
                )
                link_rows.extend((a, seq) for a in p.accounts)
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

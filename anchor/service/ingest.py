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

Speed (scripts/bench_ingest.py): a chunk of input is validated by the core's
:func:`anchor.core.prepare.prepare_records` (a one-pass fast path, in C when the
accelerator is built, and ``parse_record`` for everything else, so every rejection and its
message come from the core) and its leaves hashed by :func:`anchor.core.leaves.leaf_hash_buffer`.
Chunks whose record ids are new are written without looking them up first (see
:class:`anchor.service.ingest_load.Load`).

A load of more than one chunk runs on two threads (:class:`anchor.service.ingest_prepare.Ahead`): a validating thread
prepares chunk k+1 -- validation, canonical JSON, the account set, the leaves (see
:class:`anchor.service.ingest_load.Numbering`) and, for SQLite, the chunk as one JSON payload -- while the calling
thread writes chunk k. SQLite writes each chunk with one statement per table, run without
the GIL (``executemany`` would take the GIL back for every row); PostgreSQL does its share
in the server process. The validating thread offers the GIL between pieces of
``_PIECE`` records, so the database thread does not wait a whole chunk for it after each
statement (it still waits some: the two threads reach ~1.5 CPUs, not 2). Whatever the validating thread computed is used only when it still holds (the
next seq is the one it assumed); otherwise the calling thread computes it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from anchor.core.json_fields import json_fields
from anchor.core.prepare import RecordInput
from anchor.core.receipt import SignedLoad
from anchor.errors import RecordError
from anchor.service.ingest_load import Load, Numbering, Staged, accounts_of, staged
from anchor.service.ingest_prepare import Ahead, PreparedChunk, chunks_of, prepared_chunks
from anchor.service.ingest_prepare import prepare_chunk as _prepare_chunk  # noqa: F401 (bench)
from anchor.service.ingest_refs import MODES, LoadReferences
from anchor.store import record_writer
from anchor.store.db import LOCK_INGEST, Database
from anchor.store.record_writer import RecordWriter

__all__ = [
    "DEFAULT_CHUNK",
    "BadLine",
    "IngestResult",
    "LoadSigner",
    "ingest",
    "ingest_one",
    "ingest_prepared",
]

DEFAULT_CHUNK = 5_000


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
    # the load's signed receipt and its id (a load with receipts that stored something)
    receipt: SignedLoad | None = None
    load_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return json_fields(self, "accepted duplicates first_seq last_seq rejected")


def ingest(
    db: Database,
    records: Iterable[RecordInput],
    *,
    skip_bad: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    first_line: int = 1,
    workers: int = 1,
    receipts: LoadSigner | None = None,
    references: str = "off",
) -> IngestResult:
    """Validate and store ``records`` in one transaction; see the module docstring.

    ``progress`` (optional) is called with the number of input items handled so far, after
    each chunk. Blank strings/lines (and empty mappings) are skipped but still count as
    lines; ``first_line`` is the line number of the first item (2 for a CSV after its header).
    ``workers > 1`` validates in that many worker processes (for big files: the core's
    validation is the bulk of the cost); the database work stays in this process.
    ``receipts`` (optional) signs the load (one signature, docs/receipt-format.md) in its
    own transaction: the receipt leaves are computed from the leaves as each chunk is
    prepared, and the signed load is stored with the records.
    ``references="strict"`` (the ``reference_checks`` setting) also refuses a record that
    names an unknown instrument, order or trade (:mod:`anchor.service.ingest_refs`), like an
    invalid one: with its line and field, or in :attr:`IngestResult.rejected` with
    ``skip_bad``.
    """
    _check_references(references)  # before any input is read
    if workers > 1:
        records = (dict(r) if isinstance(r, Mapping) else r for r in records)
    raw = chunks_of(records, chunk_size, first_line)
    head = list(islice(raw, 2))
    return _ingest(
        db,
        prepared_chunks(chain(head, raw), workers),
        len(head) > 1,
        skip_bad=skip_bad,
        progress=progress,
        receipts=receipts,
        references=references,
    )


def ingest_prepared(
    db: Database,
    chunks: Sequence[PreparedChunk],
    *,
    skip_bad: bool = False,
    references: str = "off",
) -> IngestResult:
    """:func:`ingest` of records already prepared (:func:`prepare_chunk` of each chunk,
    e.g. on another thread while an earlier load was written): the same rules, the same
    result, and the same line numbers as the chunks carry. Without reference checks, the
    accounts of the whole load get their commitments before its first chunk is written, so
    that every chunk's leaves are computed on the staging thread, the first one's too."""
    accounts = accounts_of(chunks) if references == "off" else None
    return _ingest(
        db, chunks, len(chunks) > 1, skip_bad=skip_bad, references=references, accounts=accounts
    )


def _ingest(
    db: Database,
    prepared: Iterable[PreparedChunk],
    many: bool,
    *,
    skip_bad: bool,
    progress: Callable[[int], None] | None = None,
    receipts: LoadSigner | None = None,
    references: str,
    accounts: set[str] | None = None,
) -> IngestResult:
    """The load of ``prepared`` chunks; ``many``: more than one, staged on a thread;
    ``accounts``: every account the load names, if known before it starts."""
    _check_references(references)
    rejected: list[BadLine] = []
    now = datetime.now(UTC)
    handled = 0
    sqlite_json = db.backend == "sqlite" and record_writer.sqlite_json()
    numbering = Numbering()
    ahead: Ahead[Staged] | None = None
    chunks: Iterable[Staged] = staged(
        prepared, sqlite_json, numbering, receipts is not None, references != "off"
    )
    if many:  # staged (and validated, unless it was) on a thread while the database writes
        chunks = ahead = Ahead(iter(chunks))
    signed: tuple[SignedLoad, int] | None = None
    try:
        with db.connect(write=True) as conn:
            db.xact_lock(conn, LOCK_INGEST)
            w = RecordWriter(db, conn)
            load = Load(w, w.timestamp(now), w.max_seq() + 1, receipts is not None)
            if accounts:
                load.add_accounts(accounts)
            numbering.start(load.next_seq, load.commitments)
            refs = None if references == "off" else LoadReferences(db, w, load.next_seq - 1)
            with w.bulk(ahead is not None):
                for chunk in chunks:
                    if refs is not None:
                        chunk = refs.check(chunk)
                    for b in chunk.bad:
                        if not skip_bad:
                            raise RecordError(b.field, b.problem, line=b.line)
                        rejected.append(BadLine(b.line, b.field, b.problem))
                    handled += chunk.handled
                    load.add(chunk)
                    if progress is not None:
                        progress(handled)
            if receipts is not None and load.first_seq is not None:
                signed = receipts.sign_load(
                    conn, load.first_seq, b"".join(load.rleaves), int(now.timestamp())
                )
        if refs is not None:
            refs.committed_load(load.last_seq)
    finally:
        numbering.close()
        if ahead is not None:
            ahead.close()

    return IngestResult(
        load.accepted,
        load.duplicates,
        load.first_seq,
        load.last_seq,
        tuple(rejected),
        None if signed is None else signed[0],
        None if signed is None else signed[1],
    )


def _check_references(references: str) -> None:
    if references not in MODES:
        raise ValueError(f"references: {references!r} is not one of {', '.join(MODES)}")


class LoadSigner(Protocol):
    """Signs a load's receipts inside the ingest transaction (anchor.service.receipts)."""

    def sign_load(
        self, conn: Connection, first_seq: int, rleaves: bytes, ingested_at: int
    ) -> tuple[SignedLoad, int]: ...


def ingest_one(db: Database, record: RecordInput) -> IngestResult:
    """Ingest a single record (same rules as :func:`ingest`)."""
    return ingest(db, [record])

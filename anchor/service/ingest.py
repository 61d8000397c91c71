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
:class:`_Load`).

A load of more than one chunk runs on two threads (:class:`_Ahead`): a validating thread
prepares chunk k+1 -- validation, canonical JSON, the account set, the leaves (see
:class:`_Numbering`) and, for SQLite, the chunk as one JSON payload -- while the calling
thread writes chunk k. SQLite writes each chunk with one statement per table, run without
the GIL (``executemany`` would take the GIL back for every row); PostgreSQL does its share
in the server process. The validating thread offers the GIL between pieces of
:data:`_PIECE` records, so the database thread does not wait a whole chunk for it after each
statement (it still waits some: the two threads reach ~1.5 CPUs, not 2). Whatever the validating thread computed is used only when it still holds (the
next seq is the one it assumed); otherwise the calling thread computes it again.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import secrets
import sqlite3
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Any, Final, Generic, NamedTuple, Protocol, TypeVar

from sqlalchemy.engine import Connection

from anchor.core.leaves import account_commitment, leaf_hash_buffer
from anchor.core.prepare import (
    ACCOUNTS,
    CANONICAL,
    CONTENT_HASH,
    KIND,
    LEAF_ORDER,
    LINE,
    RECORD_ID,
    VERSION,
    Prepared,
    RecordInput,
    Rejected,
    prepare_records,
)
from anchor.core.receipt import SignedLoad, receipt_leaves
from anchor.errors import ConflictError, RecordError
from anchor.store.bulk import bulk_insert
from anchor.store.db import LOCK_INGEST, Database

_orjson_loads: Callable[[bytes | str], Any] | None
_orjson_dumps: Callable[[Any], bytes] | None
try:
    from orjson import dumps as _orjson_dumps
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is a server dependency
    _orjson_loads = _orjson_dumps = None

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
    # the load's signed receipt and its id (a load with receipts that stored something)
    receipt: SignedLoad | None = None
    load_id: int | None = None

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


# A validated record, ready to be numbered (see anchor.core.prepare): everything but the
# seq and commitments, a plain tuple indexed by these constants.
_Prepared = Prepared
_Bad = Rejected
_LINE: Final = LINE
_RID: Final = RECORD_ID
_KIND: Final = KIND
_VERSION: Final = VERSION
_CANON: Final = CANONICAL
_HASH: Final = CONTENT_HASH
_ACCOUNTS: Final = ACCOUNTS
_ORDER: Final = LEAF_ORDER


def _leaf_hashes(
    batch: Sequence[_Prepared], first_seq: int, commitments: dict[str, bytes]
) -> bytes:
    """The 32-byte leaf hashes of ``batch`` numbered from ``first_seq``, concatenated."""
    if not batch:
        return b""
    seqs = array("Q", range(first_seq, first_seq + len(batch)))
    return leaf_hash_buffer([p[_ORDER] for p in batch], seqs, commitments)


def _receipt_leaves(batch: Sequence[_Prepared], leaves: bytes, seq0: int) -> bytes:
    """The receipt leaves of ``batch`` (seqs from ``seq0``) from the leaves just computed:
    one call of the core's leaf encoder for the chunk (it lets the GIL go while hashing)."""
    return receipt_leaves([p[_RID] for p in batch], leaves, seq0)


def _blank(item: RecordInput) -> bool:
    if isinstance(item, Mapping):
        return not item
    return isinstance(item, str | bytes | bytearray) and not item.strip()


def _prepare_chunk(chunk: tuple[int, list[RecordInput]]) -> tuple[int, list[_Prepared | _Bad]]:
    """(items handled, prepared records and bad lines) of one chunk ``(first line,
    items)``; runs in workers too. Works in pieces of :data:`_PIECE` items, offering the GIL
    to other threads between pieces: the database thread of a load waits for it after each
    statement, and the core's native path never lets it go by itself."""
    first_line, items = chunk
    if len(items) <= _PIECE:
        return len(items), _prepare_piece(first_line, items)
    out: list[_Prepared | _Bad] = []
    for at in range(0, len(items), _PIECE):
        if at:
            time.sleep(0)
        out += _prepare_piece(first_line + at, items[at : at + _PIECE])
    return len(items), out


_PIECE = 512  # ~2 ms of the native fast path
_CLOSE_WAIT_S = 10.0


def _prepare_piece(first_line: int, items: list[RecordInput]) -> list[_Prepared | _Bad]:
    """The core's :func:`prepare_records` of ``items``, blank items left out."""
    out = prepare_records(items, first_line, loads=_orjson_loads or json.loads)
    return [p for p in out if p is not None]


class _Numbering:
    """What the validating thread needs to compute leaves ahead of the database thread:
    the seq the load starts at and the load's account commitments (both known only once
    the load holds its database lock). The commitments dict is the load's own: it only
    grows, and an account's commitment never changes once in it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._closed = False
        self.base = 0
        self.commitments: dict[str, bytes] = {}

    def start(self, base: int, commitments: dict[str, bytes]) -> None:
        self.base, self.commitments = base, commitments
        self._ready.set()

    def close(self) -> None:
        self._closed = True

    def wait(self) -> bool:
        """True once started; False if the load ended first."""
        while not self._ready.wait(0.05):
            if self._closed:
                return False
        return True


class _Early(NamedTuple):
    """Work done on the validating thread for a chunk whose items are all valid records:
    the SQLite payload (see :data:`_SQLITE_RECORDS`), and the leaves numbered from ``seq0``
    if every account's commitment was known then (the database thread uses them only if
    its next seq is ``seq0``, i.e. no record of an earlier chunk turned out a duplicate;
    skipped bad lines take no seq on either side)."""

    sqlite: tuple[str, str, bytes] | None
    seq0: int
    leaves: bytes | None
    rleaves: bytes | None  # their receipt leaves (a load with receipts), from the same seq0


class _Staged(NamedTuple):
    """One chunk as the database thread takes it: everything it can be spared is done."""

    handled: int  # input items of the chunk
    parsed: list[_Prepared]  # the valid records, in input order
    bad: list[_Bad]
    accounts: set[str]  # every account the valid records name
    distinct: bool  # no record id twice in ``parsed``
    early: _Early | None


def _staged(
    chunks: Iterable[tuple[int, list[_Prepared | _Bad]]],
    sqlite_json: bool,
    numbering: _Numbering,
    receipts: bool = False,
) -> Iterator[_Staged]:
    offset = 0  # valid records in earlier chunks
    for count, prepared in chunks:
        parsed: list[_Prepared] = []
        bad: list[_Bad] = []
        for p in prepared:
            if type(p) is _Bad:
                bad.append(p)
            else:
                parsed.append(p)  # type: ignore[arg-type]
        accounts = {a for p in parsed for a in p[_ACCOUNTS]}
        distinct = len({p[_RID] for p in parsed}) == len(parsed)
        early = None
        if parsed and not bad and numbering.wait():
            seq0 = numbering.base + offset
            known = numbering.commitments
            leaves = _leaf_hashes(parsed, seq0, known) if accounts <= known.keys() else None
            rleaves = None
            if receipts and leaves is not None:
                rleaves = _receipt_leaves(parsed, leaves, seq0)
            early = _Early(_sqlite_payload(parsed) if sqlite_json else None, seq0, leaves, rleaves)
        offset += len(parsed)
        yield _Staged(count, parsed, bad, accounts, distinct, early)


def _sqlite_payload(batch: Sequence[_Prepared]) -> tuple[str, str, bytes]:
    """(records as a JSON array, account links as a JSON array of [account, index in
    batch], content hashes as one blob) for :data:`_SQLITE_RECORDS`/:data:`_SQLITE_LINKS`."""
    assert _orjson_dumps is not None
    dumps = _orjson_dumps
    rows = dumps([(p[_RID], p[_KIND], p[_VERSION], p[_CANON]) for p in batch])
    links = dumps([(a, i) for i, p in enumerate(batch) for a in p[_ACCOUNTS]])
    return rows.decode(), links.decode(), b"".join([p[_HASH] for p in batch])


def _prepared(
    chunks: Iterable[tuple[int, list[RecordInput]]], workers: int
) -> Iterator[tuple[int, list[_Prepared | _Bad]]]:
    """Prepared chunks in input order; with ``workers > 1`` validation runs in that many
    worker processes (a bounded window of chunks in flight)."""
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


_T = TypeVar("_T")


class _Ahead(Generic[_T]):
    """Iterates ``source`` on a background thread, up to ``depth`` items ahead of the
    consumer; an exception of ``source`` is raised in the consumer, in order. Used to
    validate the next chunk while the database writes this one: the core's fast path holds
    the GIL, SQLite and PostgreSQL (in the server) do their work without it. ``close``
    stops the thread (the consumer may stop early: a bad line, a conflict)."""

    _END: Final = object()

    def __init__(self, source: Iterator[_T], depth: int = 2) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(source,), name="anchor-ingest-prepare", daemon=True
        )
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: Iterator[_T]) -> None:
        try:
            for item in source:
                if not self._put((item, None)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((None, exc))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:  # a generator: its pool or file is released here
                close()
        self._put(self._END)

    def __iter__(self) -> Iterator[_T]:
        while True:
            got = self._queue.get()
            if got is self._END:
                return
            item, exc = got
            if exc is not None:
                raise exc
            yield item

    def close(self) -> None:
        self._stop.set()
        # it stops after the piece it is on; only a read of the input itself (a pipe on
        # stdin that stays silent) can hold it longer: then it is left to end with the
        # input (a daemon thread: it never keeps the process alive)
        self._thread.join(timeout=_CLOSE_WAIT_S)


def _chunks(
    items: Iterable[RecordInput], size: int, first_line: int
) -> Iterator[tuple[int, list[RecordInput]]]:
    it = iter(items)
    line = first_line
    while True:
        chunk = list(islice(it, size))
        if not chunk:
            return
        yield line, chunk
        line += len(chunk)


class _Writer:
    """Backend-specific bulk reads and writes on one raw DBAPI connection."""

    def __init__(self, db: Database, conn: Connection) -> None:
        self.backend = db.backend
        raw = conn.connection.dbapi_connection
        assert raw is not None
        self.raw: Any = raw
        self.integrity_error: type[Exception]
        # insert_chunk writes a chunk's records in one statement: a stored id fails that
        # statement alone, with nothing of it written (and the links come after it)
        self.atomic_chunks = self.backend == "sqlite" and _sqlite_json()
        if self.backend == "postgresql":
            import psycopg

            self.integrity_error = psycopg.IntegrityError
        else:
            self.integrity_error = sqlite3.IntegrityError

    @contextmanager
    def bulk(self, big: bool) -> Iterator[None]:
        """SQLite, a load of more than one chunk: a page cache of up to
        :data:`_BULK_CACHE_KIB` for the load (allocated only as pages are used), so its
        dirty pages and the hot parts of the record-id and link indexes stay in memory
        instead of being spilled and read back; the connection's own size after."""
        if not big or self.backend != "sqlite":
            yield
            return
        cur = self.raw.cursor()
        try:
            cur.execute("PRAGMA cache_size")
            before = int(cur.fetchone()[0])
            cur.execute(f"PRAGMA cache_size = {-_BULK_CACHE_KIB}")
            try:
                yield
            finally:
                cur.execute(f"PRAGMA cache_size = {before}")
        finally:
            cur.close()

    def execute(self, sql: str) -> None:
        cur = self.raw.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

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
        if self.backend == "sqlite" and _sqlite_json():
            # one statement and one result row: fetching row by row would take the GIL back
            # once per row while the next chunk is being validated
            assert _orjson_dumps is not None and _orjson_loads is not None
            cur = self.raw.cursor()
            try:
                cur.execute(_SQLITE_EXISTING, (_orjson_dumps(list(record_ids)).decode(),))
                found = cur.fetchone()[0]
            finally:
                cur.close()
            return {rid: bytes.fromhex(h) for rid, h in _orjson_loads(found)}
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
        bulk_insert(self.raw, self.backend, table, columns, rows, pg_types=_PG_COPY_TYPES[table])

    def insert_chunk(
        self,
        batch: Sequence[_Prepared],
        seq0: int,
        leaves: bytes,
        received_at: Any,
        payload: tuple[str, str, bytes] | None = None,
    ) -> None:
        """The records of ``batch`` (seqs from ``seq0``) and their account links
        (SQLite: one statement each, see :data:`_SQLITE_RECORDS`; PostgreSQL: COPY).
        ``payload``: :func:`_sqlite_payload` of ``batch`` when already built."""
        if self.backend == "sqlite" and _sqlite_json():
            rows, links, hashes = payload or _sqlite_payload(batch)
            cur = self.raw.cursor()
            try:
                cur.execute(_SQLITE_RECORDS, (seq0, hashes, leaves, received_at, rows))
                cur.execute(_SQLITE_LINKS, (seq0, links))
            finally:
                cur.close()
            return
        self.insert(
            "records",
            _RECORD_COLUMNS,
            [
                (
                    seq,
                    p[_RID],
                    p[_KIND],
                    p[_VERSION],
                    p[_CANON],
                    p[_HASH],
                    leaves[32 * i : 32 * i + 32],
                    received_at,
                )
                for i, (seq, p) in enumerate(enumerate(batch, seq0))
            ],
        )
        self.insert(
            "record_accounts",
            ("account_id", "seq"),
            [(a, seq) for seq, p in enumerate(batch, seq0) for a in p[_ACCOUNTS]],
        )

    def insert_accounts(self, rows: Sequence[tuple[str, bytes, bytes]], created_at: Any) -> None:
        """New ``(account_id, salt, commitment)`` rows (SQLite: one statement, so the GIL
        is not taken back per row while the next chunk is being validated)."""
        if not rows:
            return
        if self.backend != "sqlite" or not _sqlite_json():
            cols = ("account_id", "salt", "commitment", "created_at")
            self.insert("accounts", cols, [(*r, created_at) for r in rows])
            return
        assert _orjson_dumps is not None
        ids = _orjson_dumps([r[0] for r in rows]).decode()
        salts = b"".join([r[1] for r in rows])
        commitments = b"".join([r[2] for r in rows])
        cur = self.raw.cursor()
        try:
            cur.execute(_SQLITE_ACCOUNTS, (salts, commitments, created_at, ids))
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


# SQLite: a chunk of records in ONE statement (rows as a JSON array, the 32-byte hashes and
# leaves as one blob each): SQLite then runs the whole chunk without the GIL, while the next
# chunk is validated on another thread (executemany takes the GIL back for every row).
# JSON text is exact here: ids and canonical records are ASCII, versions small integers.
# Needs the ->> operator (SQLite 3.38); older libraries take executemany.
def _sqlite_json() -> bool:
    return sqlite3.sqlite_version_info >= (3, 38, 0) and _orjson_dumps is not None


_SQLITE_RECORDS = (
    "INSERT INTO records (seq, record_id, kind, version, canonical, content_hash, leaf,"
    " received_at) SELECT ?1 + key, value->>0, value->>1, value->>2, value->>3,"
    " substr(?2, 32 * key + 1, 32), substr(?3, 32 * key + 1, 32), ?4 FROM json_each(?5)"
)
_SQLITE_LINKS = (
    "INSERT INTO record_accounts (account_id, seq)"
    " SELECT value->>0, ?1 + value->>1 FROM json_each(?2)"
)

# 1 GiB: a load of 10^6 records uses ~450 MB of it; with the connection's usual 64 MiB the
# same load costs ~25% more time on the database thread (scripts/bench_ingest.py --n 1000000).
_BULK_CACHE_KIB = 1 << 20

_SQLITE_EXISTING = (
    "SELECT json_group_array(json_array(record_id, hex(content_hash))) FROM records"
    " WHERE record_id IN (SELECT value FROM json_each(?1))"
)
_SQLITE_ACCOUNTS = (
    "INSERT INTO accounts (account_id, salt, commitment, created_at) SELECT value,"
    " substr(?1, 32 * key + 1, 32), substr(?2, 32 * key + 1, 32), ?3 FROM json_each(?4)"
)

# PostgreSQL: binary COPY (the server parses no text: ~12% faster than text COPY measured
# with scripts/bench_ingest.py). Binary rows must carry exactly the column types the
# migrations create, in the column order ingest writes.
_PG_COPY_TYPES: dict[str, tuple[str, ...]] = {
    "records": ("int8", "varchar", "varchar", "int4", "text", "bytea", "bytea", "timestamptz"),
    "record_accounts": ("varchar", "int8"),
    "accounts": ("varchar", "bytea", "bytea", "timestamptz"),
}

_RECORD_COLUMNS = (
    "seq",
    "record_id",
    "kind",
    "version",
    "canonical",
    "content_hash",
    "leaf",
    "received_at",
)


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
    """
    if workers > 1:
        records = (dict(r) if isinstance(r, Mapping) else r for r in records)
    rejected: list[BadLine] = []
    now = datetime.now(UTC)
    handled = 0
    raw = _chunks(records, chunk_size, first_line)
    head = list(islice(raw, 2))
    sqlite_json = db.backend == "sqlite" and _sqlite_json()
    numbering = _Numbering()
    ahead: _Ahead[_Staged] | None = None
    if len(head) < 2:  # one chunk: no thread
        chunks: Iterable[_Staged] = _staged(
            _prepared(head, workers), sqlite_json, numbering, receipts is not None
        )
    else:
        ahead = _Ahead(
            _staged(
                _prepared(chain(head, raw), workers), sqlite_json, numbering, receipts is not None
            )
        )
        chunks = ahead
    signed: tuple[SignedLoad, int] | None = None
    try:
        with db.connect(write=True) as conn:
            db.xact_lock(conn, LOCK_INGEST)
            w = _Writer(db, conn)
            load = _Load(w, w.timestamp(now), w.max_seq() + 1, receipts is not None)
            numbering.start(load.next_seq, load.commitments)
            with w.bulk(ahead is not None):
                for chunk in chunks:
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


class LoadSigner(Protocol):
    """Signs a load's receipts inside the ingest transaction (anchor.service.receipts)."""

    def sign_load(
        self, conn: Connection, first_seq: int, rleaves: bytes, ingested_at: int
    ) -> tuple[SignedLoad, int]: ...


class _Load:
    """The database side of one load, one validated chunk at a time.

    Optimistic mode: a chunk whose record ids are distinct is written without looking its
    ids up first, inside a savepoint; the unique index on record_id refuses a record that is
    already stored, and then the chunk is rolled back to the savepoint and done again the
    careful way (look up, count duplicates, name conflicts). A load that meets stored ids
    stays careful until a chunk finds none.
    """

    def __init__(
        self,
        w: _Writer,
        received_at: Any,
        next_seq: int,
        receipts: bool = False,
    ) -> None:
        self.w = w
        self.rleaves: list[bytes] = []  # receipt leaves, chunk by chunk (receipts only)
        self.receipts = receipts
        self.received_at = received_at
        self.next_seq = next_seq
        self.commitments: dict[str, bytes] = {}
        self.optimistic = True
        self.accepted = 0
        self.duplicates = 0
        self.first_seq: int | None = None
        self.last_seq: int | None = None

    def add(self, chunk: _Staged) -> None:
        """Take one validated chunk."""
        parsed = chunk.parsed
        self._accounts(chunk.accounts)
        if self.optimistic and parsed and chunk.distinct:
            self._write_optimistic(parsed, chunk.early)
        else:
            self._careful(parsed, chunk.early if chunk.distinct else None)

    def _write_optimistic(self, batch: list[_Prepared], early: _Early | None) -> None:
        w = self.w
        # SQLite's one-statement chunk (records first) is undone whole by the statement
        # itself when an id is already stored; COPY and executemany need a savepoint. (On
        # PostgreSQL, looking every id up first instead measured ~9% slower.)
        savepoint = not w.atomic_chunks
        if savepoint:
            w.execute("SAVEPOINT anchor_ingest_chunk")
        try:
            self._write(batch, early)
        except w.integrity_error:  # a record id already stored: do it the careful way
            if savepoint:
                w.execute("ROLLBACK TO SAVEPOINT anchor_ingest_chunk")
                w.execute("RELEASE SAVEPOINT anchor_ingest_chunk")
            self.optimistic = False
            self._careful(batch)
        else:
            if savepoint:
                w.execute("RELEASE SAVEPOINT anchor_ingest_chunk")

    def _accounts(self, accounts: set[str]) -> None:
        # a secret salt at first sight. Taken from every valid record of the chunk: a
        # duplicate's accounts are already stored, and a conflict ends the load.
        commitments = self.commitments
        wanted = sorted(accounts - commitments.keys())
        if not wanted:
            return
        commitments.update(self.w.existing_accounts(wanted))
        new_accounts = []
        for account_id in wanted:
            if account_id in commitments:
                continue
            salt = secrets.token_bytes(32)
            commitment = account_commitment(account_id, salt)
            commitments[account_id] = commitment
            new_accounts.append((account_id, salt, commitment))
        self.w.insert_accounts(new_accounts, self.received_at)

    def _careful(self, parsed: list[_Prepared], early: _Early | None = None) -> None:
        # idempotency: against the store (including earlier chunks of this load) and within
        # this chunk
        existing = self.w.existing_hashes([p[_RID] for p in parsed])
        self.optimistic = not existing
        fresh: list[_Prepared] = []
        for p in parsed:
            rid = p[_RID]
            known = existing.get(rid)
            if known is not None:
                if known != p[_HASH]:
                    raise ConflictError(
                        f"line {p[_LINE]}: record {rid!r} already exists with different content"
                    )
                self.duplicates += 1
                continue
            existing[rid] = p[_HASH]
            fresh.append(p)
        self._write(fresh, early if len(fresh) == len(parsed) else None)

    def _write(self, batch: list[_Prepared], early: _Early | None = None) -> None:
        """Write ``batch`` (all of a chunk when ``early`` is given) from the next seq."""
        if not batch:
            return
        seq0 = self.next_seq
        rleaves = None
        if early is not None and early.leaves is not None and early.seq0 == seq0:
            leaves, rleaves = early.leaves, early.rleaves
        else:
            leaves = _leaf_hashes(batch, seq0, self.commitments)
        if self.receipts:
            self.rleaves.append(rleaves or _receipt_leaves(batch, leaves, seq0))
        payload = None if early is None else early.sqlite
        self.w.insert_chunk(batch, seq0, leaves, self.received_at, payload)
        if self.first_seq is None:
            self.first_seq = seq0
        self.next_seq = seq0 + len(batch)
        self.last_seq = self.next_seq - 1
        self.accepted += len(batch)


def ingest_one(db: Database, record: RecordInput) -> IngestResult:
    """Ingest a single record (same rules as :func:`ingest`)."""
    return ingest(db, [record])

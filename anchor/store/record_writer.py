"""The one writer of records: ingest (:mod:`anchor.service.ingest`) and restore
(:mod:`anchor.backup.restore`) both store records, their account links and new accounts
through :class:`RecordWriter`, on the raw DB-API connection of a write transaction.

A record comes in as the core's prepared tuple (:data:`anchor.core.prepare.Prepared`: read
here by the core's named positions), numbered from a first seq, with its 32-byte leaves as
one buffer. Two ways to the table, the same rows:

* SQLite 3.38+ with orjson: a chunk of records in ONE statement (rows as a JSON array, the
  32-byte hashes and leaves as one blob each): SQLite then runs the whole chunk without the
  GIL while the next chunk is validated on another thread (``executemany`` takes the GIL
  back for every row). JSON text is exact here: ids and canonical records are ASCII,
  versions small integers. Older libraries take ``executemany``.
* PostgreSQL: binary ``COPY`` (the server parses no text: ~12% faster than text COPY,
  scripts/bench_ingest.py). Binary rows carry exactly the column types the migrations
  create, in the column order written here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from sqlalchemy.engine import Connection

from anchor.core.prepare import ACCOUNTS, CANONICAL, CONTENT_HASH, KIND, RECORD_ID, VERSION
from anchor.core.prepare import Prepared as Prepared
from anchor.store import pg_copy
from anchor.store.bulk import bulk_insert, copy_binary
from anchor.store.db import Database

_orjson_loads: Callable[[bytes | str], Any] | None
_orjson_dumps: Callable[[Any], bytes] | None
try:
    from orjson import dumps as _orjson_dumps
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is a server dependency
    _orjson_loads = _orjson_dumps = None

_RID: Final = RECORD_ID
_KIND: Final = KIND
_VERSION: Final = VERSION
_CANON: Final = CANONICAL
_HASH: Final = CONTENT_HASH
_ACCOUNTS: Final = ACCOUNTS

_LOOKUP_CHUNK = 900  # stays under SQLite's bound-parameter limit on any build

# 1 GiB: a load of 10^6 records uses ~450 MB of it; with the connection's usual 64 MiB the
# same load costs ~25% more time on the database thread (scripts/bench_ingest.py --n 1000000).
_BULK_CACHE_KIB = 1 << 20


class NewAccount(NamedTuple):
    """An account seen for the first time: its secret salt and public commitment."""

    account_id: str
    salt: bytes
    commitment: bytes


# SQLite payload of a chunk: (records as a JSON array, account links as a JSON array of
# [account, index in chunk], content hashes as one blob); see sqlite_payload.
SqlitePayload = tuple[str, str, bytes]


def sqlite_json() -> bool:
    """Does this SQLite take a chunk as one JSON statement (the ``->>`` operator, 3.38)?"""
    return sqlite3.sqlite_version_info >= (3, 38, 0) and _orjson_dumps is not None


def sqlite_payload(
    batch: Sequence[Prepared], received_at: Sequence[Any] | None = None
) -> SqlitePayload:
    """The chunk as :data:`_SQLITE_RECORDS` / :data:`_SQLITE_LINKS` take it (built ahead, on
    the validating thread, by ingest). ``received_at``: one stored time stamp per record
    (restore), else the chunk's one time stamp is bound at write time."""
    assert _orjson_dumps is not None
    dumps = _orjson_dumps
    if received_at is None:
        rows = dumps([(p[_RID], p[_KIND], p[_VERSION], p[_CANON]) for p in batch])
    else:
        rows = dumps(
            [
                (p[_RID], p[_KIND], p[_VERSION], p[_CANON], at)
                for p, at in zip(batch, received_at, strict=True)
            ]
        )
    links = dumps([(a, i) for i, p in enumerate(batch) for a in p[_ACCOUNTS]])
    return rows.decode(), links.decode(), b"".join([p[_HASH] for p in batch])


class RecordWriter:
    """Record, link and account reads and writes on the raw connection of ``conn`` (a
    write transaction of ``db``); nothing is committed here."""

    def __init__(self, db: Database, conn: Connection) -> None:
        self.backend = db.backend
        raw = conn.connection.dbapi_connection
        assert raw is not None
        self.raw: Any = raw
        self.integrity_error: type[Exception]
        self.one_statement = self.backend == "sqlite" and sqlite_json()
        # insert_records writes a chunk's records in one statement: a stored id fails that
        # statement alone, with nothing of it written (and the links come after it)
        self.atomic_chunks = self.one_statement
        if self.backend == "postgresql":
            import psycopg

            self.integrity_error = psycopg.IntegrityError
        else:
            self.integrity_error = sqlite3.IntegrityError

    # -- transaction helpers --------------------------------------------------------------
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

    def _execute(self, sql: str) -> None:
        cur = self.raw.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def savepoint(self) -> None:
        self._execute("SAVEPOINT anchor_records_chunk")

    def release(self) -> None:
        self._execute("RELEASE SAVEPOINT anchor_records_chunk")

    def rollback_to_savepoint(self) -> None:
        self._execute("ROLLBACK TO SAVEPOINT anchor_records_chunk")
        self.release()

    def timestamp(self, when: datetime) -> Any:
        """``when`` as this backend stores it (SQLite: SQLAlchemy's DateTime text, naive
        UTC, so ORM reads parse it back)."""
        if self.backend == "sqlite":
            return (
                when.astimezone(UTC)
                .replace(tzinfo=None)
                .isoformat(sep=" ", timespec="microseconds")
            )
        return when

    # -- reads ----------------------------------------------------------------------------
    def max_seq(self) -> int:
        cur = self.raw.cursor()
        try:
            cur.execute("SELECT COALESCE(MAX(seq), 0) FROM records")
            return int(cur.fetchone()[0])
        finally:
            cur.close()

    def _pairs(self, sql_sqlite: str, sql_pg: str, keys: Sequence[str]) -> dict[str, bytes]:
        """``{key: value}`` of a two-column lookup by key."""
        out: dict[str, bytes] = {}
        cur = self.raw.cursor()
        try:
            if self.backend == "postgresql":
                cur.execute(sql_pg, (list(keys),))
                out.update((str(k), bytes(v)) for k, v in cur.fetchall())
            else:
                for i in range(0, len(keys), _LOOKUP_CHUNK):
                    part = keys[i : i + _LOOKUP_CHUNK]
                    marks = ",".join("?" * len(part))
                    cur.execute(sql_sqlite.format(marks=marks), part)
                    out.update((str(k), bytes(v)) for k, v in cur.fetchall())
        finally:
            cur.close()
        return out

    def existing_hashes(self, record_ids: Sequence[str]) -> dict[str, bytes]:
        """``{record_id: content_hash}`` of those of ``record_ids`` already stored."""
        if self.one_statement:
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
        return self._pairs(
            "SELECT record_id, content_hash FROM records WHERE record_id IN ({marks})",
            "SELECT record_id, content_hash FROM records WHERE record_id = ANY(%s)",
            record_ids,
        )

    def existing_accounts(self, account_ids: Sequence[str]) -> dict[str, bytes]:
        """``{account_id: commitment}`` of those of ``account_ids`` already stored."""
        return self._pairs(
            "SELECT account_id, commitment FROM accounts WHERE account_id IN ({marks})",
            "SELECT account_id, commitment FROM accounts WHERE account_id = ANY(%s)",
            account_ids,
        )

    # -- writes ---------------------------------------------------------------------------
    def _insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        bulk_insert(self.raw, self.backend, table, columns, rows, pg_types=PG_COPY_TYPES[table])

    def insert_records(
        self,
        batch: Sequence[Prepared],
        seq0: int,
        leaves: bytes,
        received_at: Any,
        payload: SqlitePayload | None = None,
    ) -> None:
        """The records of ``batch`` (seqs from ``seq0``, leaf ``i`` at ``leaves[32i:32i+32]``)
        and their account links. ``received_at``: the stored time stamp of every record
        (:meth:`timestamp`), or a list of one per record. ``payload``: :func:`sqlite_payload`
        of ``batch`` when already built (it carries the per-record time stamps, if any)."""
        each = isinstance(received_at, list)
        if self.one_statement:
            rows, links, hashes = payload or sqlite_payload(batch, received_at if each else None)
            cur = self.raw.cursor()
            try:
                if each:
                    cur.execute(_SQLITE_RECORDS_EACH, (seq0, hashes, leaves, rows))
                else:
                    cur.execute(_SQLITE_RECORDS, (seq0, hashes, leaves, received_at, rows))
                cur.execute(_SQLITE_LINKS, (seq0, links))
            finally:
                cur.close()
            return
        if self.backend == "postgresql" and not each:
            # one time stamp: the chunk's COPY data in one call of the accelerator
            chunk = batch if type(batch) is list else list(batch)
            copied = pg_copy.chunk_rows(chunk, seq0, leaves, pg_copy.stamp(received_at))
            if copied is not None:
                copy_binary(self.raw, "records", RECORD_COLUMNS, copied[0])
                copy_binary(self.raw, "record_accounts", ("account_id", "seq"), copied[1])
                return
        times = received_at if each else [received_at] * len(batch)
        self._insert(
            "records",
            RECORD_COLUMNS,
            [
                (
                    seq,
                    p[_RID],
                    p[_KIND],
                    p[_VERSION],
                    p[_CANON],
                    p[_HASH],
                    leaves[32 * i : 32 * i + 32],
                    times[i],
                )
                for i, (seq, p) in enumerate(enumerate(batch, seq0))
            ],
        )
        self._insert(
            "record_accounts",
            ("account_id", "seq"),
            [(a, seq) for seq, p in enumerate(batch, seq0) for a in p[_ACCOUNTS]],
        )

    def insert_accounts(self, rows: Sequence[NewAccount], created_at: Any) -> None:
        """New accounts (SQLite: one statement, so the GIL is not taken back per row while
        the next chunk is being validated)."""
        if not rows:
            return
        if not self.one_statement:
            cols = ("account_id", "salt", "commitment", "created_at")
            self._insert("accounts", cols, [(*r, created_at) for r in rows])
            return
        assert _orjson_dumps is not None
        ids = _orjson_dumps([r.account_id for r in rows]).decode()
        salts = b"".join([r.salt for r in rows])
        commitments = b"".join([r.commitment for r in rows])
        cur = self.raw.cursor()
        try:
            cur.execute(_SQLITE_ACCOUNTS, (salts, commitments, created_at, ids))
        finally:
            cur.close()


_SQLITE_RECORDS = (
    "INSERT INTO records (seq, record_id, kind, version, canonical, content_hash, leaf,"
    " received_at) SELECT ?1 + key, value->>0, value->>1, value->>2, value->>3,"
    " substr(?2, 32 * key + 1, 32), substr(?3, 32 * key + 1, 32), ?4 FROM json_each(?5)"
)
_SQLITE_RECORDS_EACH = (
    "INSERT INTO records (seq, record_id, kind, version, canonical, content_hash, leaf,"
    " received_at) SELECT ?1 + key, value->>0, value->>1, value->>2, value->>3,"
    " substr(?2, 32 * key + 1, 32), substr(?3, 32 * key + 1, 32), value->>4 FROM json_each(?4)"
)
_SQLITE_LINKS = (
    "INSERT INTO record_accounts (account_id, seq)"
    " SELECT value->>0, ?1 + value->>1 FROM json_each(?2)"
)
_SQLITE_EXISTING = (
    "SELECT json_group_array(json_array(record_id, hex(content_hash))) FROM records"
    " WHERE record_id IN (SELECT value FROM json_each(?1))"
)
_SQLITE_ACCOUNTS = (
    "INSERT INTO accounts (account_id, salt, commitment, created_at) SELECT value,"
    " substr(?1, 32 * key + 1, 32), substr(?2, 32 * key + 1, 32), ?3 FROM json_each(?4)"
)

# the PostgreSQL column types of each table ingest copies, in the order its rows are written
PG_COPY_TYPES: dict[str, tuple[str, ...]] = {
    "records": ("int8", "varchar", "varchar", "int4", "text", "bytea", "bytea", "timestamptz"),
    "record_accounts": ("varchar", "int8"),
    "accounts": ("varchar", "bytea", "bytea", "timestamptz"),
}

RECORD_COLUMNS = (
    "seq",
    "record_id",
    "kind",
    "version",
    "canonical",
    "content_hash",
    "leaf",
    "received_at",
)

"""The reads behind a proof GET (:mod:`anchor.api.proofs`): the record and its batch in one
statement with the viewer's right to see it, tree chunks, account keys -- through a held,
detached, autocommit read connection per API process (its event loop) or a pooled read
transaction. Raw DB-API, SQL written with ``?`` (turned into ``%s`` for psycopg): this is
the hot path (scripts/bench_proofs.py), rows come back as named tuples, nothing more."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, NoReturn

from anchor.errors import AnchorError, StorageError
from anchor.store.batch_rows import BATCH_COLUMNS, BatchRow, batch_row
from anchor.store.db import Database

# Record kinds whose proofs only their accounts' owners (and the operator) may see; the
# visibility test runs in the database (see _RECORD_BATCH_SQL).
PRIVATE_KINDS = frozenset({"balance", "position", "journal"})

_SQLITE_MMAP = 1 << 30  # address space only; the OS page cache holds the pages anyway


# The batch row a proof needs: its tree's shape and its CURRENT anchor fields.
ProofBatch = BatchRow


class ProofRecord(NamedTuple):
    """A record the viewer may see, and the batch holding it (None: not sealed yet)."""

    seq: int
    canonical: str
    leaf: bytes
    batch: ProofBatch | None


class AccountKeys(NamedTuple):
    account_id: str
    salt: bytes
    commitment: bytes


# the record and (LEFT JOIN) the batch whose seq range may hold it, in one statement, and
# whether the viewer may see it: the operator, or a public kind, or a private one that names
# the viewer's account. Decided by the database before anything is parsed; for a record the
# viewer may not see, neither its text nor its batch is read, and an unknown id gives a row
# of NULLs, so both cost the same (scripts/bench_oracle.py measures them). The account test
# (a subquery) runs only when it decides: not for the operator nor for a public kind (CASE,
# not OR: both databases may evaluate every operand of an OR).
_RECORD_BATCH_SQL = (
    "SELECT x.seq, x.canonical, x.leaf, "
    + ", ".join("b." + c.strip() for c in BATCH_COLUMNS.split(","))
    + ", x.visible FROM (SELECT r.seq, r.leaf, r.canonical, (CASE WHEN ? OR r.kind NOT IN ("
    + ", ".join(f"'{k}'" for k in sorted(PRIVATE_KINDS))
    + ") THEN TRUE ELSE EXISTS (SELECT 1 FROM record_accounts ra WHERE ra.seq = r.seq "
    "AND ra.account_id = ?) END) AS visible FROM (SELECT ? AS rid) q "
    "LEFT JOIN records r ON r.record_id = q.rid) x "
    "LEFT JOIN batches b ON x.visible AND b.id = (SELECT id FROM batches "
    "WHERE first_seq <= x.seq ORDER BY first_seq DESC LIMIT 1)"
)

_RECORD_BATCH_SQL_PG = _RECORD_BATCH_SQL.replace("?", "%s")

# raw batch columns -> BatchRow: a proof needs its batch's row on every request, and a few
# batches serve most of them; the key is every column as read, so a changed anchor field
# (a reorg, the state) is a new key, never a stale row
_BATCH_ROWS: dict[tuple[Any, ...], BatchRow] = {}
_BATCH_ROWS_MAX = 1024


def _batch_of(values: tuple[Any, ...]) -> BatchRow:
    try:
        hit = _BATCH_ROWS.get(values)
    except TypeError:  # an unhashable column value (a memoryview): no caching
        return batch_row(*values)
    if hit is None:
        hit = batch_row(*values)
        if len(_BATCH_ROWS) >= _BATCH_ROWS_MAX:
            _BATCH_ROWS.clear()
        _BATCH_ROWS[values] = hit
    return hit


class ProofReader:
    """The proof reads on one DB-API connection."""

    def __init__(self, dbapi: Any, backend: str) -> None:
        self.dbapi = dbapi
        self.pg = backend == "postgresql"

    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql.replace("?", "%s") if self.pg else sql, tuple(params))
            return list(cur.fetchall())
        finally:
            cur.close()

    def record(self, record_id: str, *, operator: bool, account_id: str) -> ProofRecord | None:
        """``record_id`` with its batch, if it exists and the viewer (the operator, or the
        owner of ``account_id``, or anyone for a public kind) may see it; else None."""
        sql = _RECORD_BATCH_SQL_PG if self.pg else _RECORD_BATCH_SQL
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql, (bool(operator), account_id, record_id))
            row = cur.fetchone()
        finally:
            cur.close()
        if row is None:
            return None
        seq, canonical, leaf, visible = row[0], row[1], row[2], row[-1]
        if seq is None or not visible:
            return None
        seq = int(seq)
        bid, last = row[3], row[7]
        batch = _batch_of(row[3:-1]) if bid is not None and int(last) >= seq else None
        return ProofRecord(seq, str(canonical), bytes(leaf), batch)

    def tree_chunks(self, batch_id: int, chunk_nos: Sequence[int]) -> Iterator[tuple[int, bytes]]:
        """``(chunk_no, data)`` of those of ``chunk_nos`` stored for ``batch_id``."""
        marks = ",".join("?" * len(chunk_nos))
        for no, data in self._all(
            f"SELECT chunk_no, data FROM tree_chunks WHERE batch_id = ? AND chunk_no IN ({marks})",
            (batch_id, *chunk_nos),
        ):
            yield int(no), bytes(data)

    def account_keys(self, account_ids: Sequence[str]) -> list[AccountKeys]:
        """Salt and commitment of those of ``account_ids`` that are stored."""
        marks = ",".join("?" * len(account_ids))
        return [
            AccountKeys(str(a), bytes(salt), bytes(c))
            for a, salt, c in self._all(
                f"SELECT account_id, salt, commitment FROM accounts WHERE account_id IN ({marks})",
                account_ids,
            )
        ]


class _Held(threading.local):
    """Per thread: a read connection held open per database (used only by the event-loop
    thread of an API process, so one connection per process and database)."""

    def __init__(self) -> None:
        self.by_db: weakref.WeakKeyDictionary[Database, Any] = weakref.WeakKeyDictionary()


_HELD = _Held()


def held_connection(db: Database) -> Any:
    """This thread's held read connection to ``db`` (opened on first use)."""
    held = _HELD.by_db.get(db)
    if held is not None:
        return held
    raw: Any = db.engine.raw_connection()
    # Detached: never handed back to the pool (it is closed when dropped), so the
    # autocommit mode below never leaks into the store's own transactions.
    raw.detach()
    if db.backend == "postgresql":
        raw.dbapi_connection.autocommit = True  # each read sees the latest commit
    elif db.backend == "sqlite":
        # random record lookups over a big file: pages through mmap, not a read() each
        cur = raw.dbapi_connection.cursor()
        try:
            cur.execute(f"PRAGMA mmap_size = {_SQLITE_MMAP}")
        finally:
            cur.close()
    _HELD.by_db[db] = raw
    return raw


def drop_held(db: Database) -> None:
    """Close this thread's held connection to ``db`` (the next read opens a new one)."""
    raw = _HELD.by_db.pop(db, None)
    if raw is not None:
        with contextlib.suppress(Exception):
            raw.close()


def proof_reader(db: Database, *, held: bool) -> contextlib.AbstractContextManager[ProofReader]:
    """Reads from a pooled connection in a read transaction, or (``held``) from this
    thread's held autocommit connection: a few microseconds instead of a pool checkout
    and a BEGIN/COMMIT per request."""
    return _HeldReads(db) if held else _pooled_reader(db)


@contextlib.contextmanager
def _pooled_reader(db: Database) -> Iterator[ProofReader]:
    with db.connect(write=False) as conn:
        yield ProofReader(conn.connection.dbapi_connection, db.backend)


class _HeldReads:
    """The held connection's reads (a plain context manager: this is every proof GET). A
    failure other than the project's own errors drops the connection (a broken one is not
    reused; the next request reconnects) and is reported as a StorageError."""

    __slots__ = ("db",)

    def __init__(self, db: Database) -> None:
        self.db = db

    def __enter__(self) -> ProofReader:
        try:
            raw = held_connection(self.db)
        except AnchorError:
            raise
        except Exception as exc:
            self._failed(exc)
        return ProofReader(raw.dbapi_connection, self.db.backend)

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, Exception) and not isinstance(exc, AnchorError):
            self._failed(exc)

    def _failed(self, exc: Exception) -> NoReturn:
        drop_held(self.db)
        raise StorageError(f"database read failed ({type(exc).__name__})") from None

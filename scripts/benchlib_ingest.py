"""The ceiling of scripts/bench_ingest.py: the database's own raw insert of the same rows.

The rows are exactly the ``records`` rows ingest stores for the benchmark's records (read
back from a database ingest filled: same columns, types and sizes), inserted into the
``records`` table of a fresh database built by the same migrations (same primary key,
unique record id, indexes), through a connection with the store's own settings (SQLite:
WAL, ``synchronous=FULL``, 8 KiB pages), in ONE transaction, committed:

* SQLite: ``executemany`` of one INSERT;
* PostgreSQL: ``COPY ... FROM STDIN (FORMAT BINARY)`` with psycopg's binary row writer.

No validation, no canonical JSON, no hashing, no seq assignment, no idempotency check, no
accounts or account links: what the database itself costs for the records' rows, the floor
under any ingest of them.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anchor.store.record_writer import RECORD_COLUMNS

# the columns of a ``records`` row, in the order the store's writer copies them
COLUMNS = RECORD_COLUMNS
# the column types migration 0001 creates on PostgreSQL, in COLUMNS order
PG_TYPES = ("int8", "varchar", "varchar", "int4", "text", "bytea", "bytea", "timestamptz")


def load() -> str:
    """The 1- and 5-minute load average, as the ingest benchmarks print it after a figure."""
    one, five, _ = os.getloadavg()
    return f"[load {one:.2f}/{five:.2f}]"


def records_rows(lines: list[bytes]) -> list[tuple[Any, ...]]:
    """The ``records`` rows ingest stores for ``lines`` (ingested once into a scratch SQLite
    database, not timed), ``received_at`` as an aware datetime."""
    from anchor.service.ingest import ingest
    from anchor.store.db import Database

    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as tmp:
        db = Database.open(f"sqlite:///{tmp}/rows.sqlite")
        try:
            ingest(db, lines)
            raw: Any = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute(f"SELECT {', '.join(COLUMNS)} FROM records ORDER BY seq")
                rows = cur.fetchall()
            finally:
                raw.close()
        finally:
            db.close()
    out = []
    for r in rows:
        at = r[7] if isinstance(r[7], datetime) else datetime.fromisoformat(str(r[7]))
        out.append((*r[:7], at if at.tzinfo else at.replace(tzinfo=UTC)))
    assert len(out) == len(lines), (len(out), len(lines))
    return out


@contextmanager
def _raw(url: str) -> Iterator[Any]:
    """A raw DBAPI connection of a freshly migrated database at ``url`` (the store's own
    connection settings)."""
    from anchor.store.db import Database

    db = Database.open(url)
    raw: Any = db.engine.raw_connection()
    try:
        yield raw.dbapi_connection
    finally:
        raw.close()
        db.close()


def raw_sqlite(url: str, rows: list[tuple[Any, ...]]) -> float:
    """Rows/s of one SQLite ``executemany`` in one transaction (BEGIN to COMMIT)."""
    sqlite_rows = [(*r[:7], r[7].isoformat(" ")) for r in rows]
    sql = f"INSERT INTO records ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    with _raw(url) as conn:
        cur = conn.cursor()
        t0 = time.perf_counter()
        cur.execute("BEGIN IMMEDIATE")
        cur.executemany(sql, sqlite_rows)
        cur.execute("COMMIT")
        took = time.perf_counter() - t0
        cur.execute("SELECT count(*) FROM records")
        assert cur.fetchone()[0] == len(rows)
    return len(rows) / took


def raw_postgresql(url: str, rows: list[tuple[Any, ...]]) -> tuple[float, float | None]:
    """Rows/s of one PostgreSQL binary COPY in one transaction (to COMMIT), and the CPU the
    PostgreSQL server spent on it per row in µs (None when the server is not on this
    machine)."""
    sql = f"COPY records ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    with _raw(url) as conn:
        conn.commit()  # the transaction starts with the COPY, as ingest's does with its lock
        cur = conn.cursor()
        s0 = server_cpu("postgres")
        t0 = time.perf_counter()
        with cur.copy(sql) as copy:
            copy.set_types(list(PG_TYPES))
            write: Callable[[tuple[Any, ...]], None] = copy.write_row
            for row in rows:
                write(row)
        conn.commit()
        took = time.perf_counter() - t0
        s1 = server_cpu("postgres")  # (before this connection's server process ends)
        cur.execute("SELECT count(*) FROM records")
        assert cur.fetchone()[0] == len(rows)
        conn.commit()
    return len(rows) / took, per_row_us(s0, s1, len(rows))


def server_cpu(name: str) -> float | None:
    """CPU seconds used so far by the running processes named ``name`` (``postgres``,
    ``nats-server``) on this machine, None if there is none: a server beside a benchmark
    takes its share of the same cores. A process that has exited no longer counts: read it
    while the benchmark's connection is open."""
    total, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        if f"({name})" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


def per_row_us(before: float | None, after: float | None, rows: int) -> float | None:
    """µs of CPU per row between two :func:`server_cpu` readings."""
    return None if before is None or after is None else 1e6 * (after - before) / rows

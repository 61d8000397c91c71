"""The ceilings of scripts/bench_ingest.py: the database's own raw insert of the same rows.

The rows are exactly the rows ingest stores for the benchmark's records (read back from a
database ingest filled: same columns, types and sizes), inserted into the tables of a fresh
database built by the same migrations (same primary keys, unique constraints, indexes),
through a connection with the store's own settings (SQLite: WAL, ``synchronous=FULL``,
8 KiB pages), in ONE transaction, committed:

* SQLite: ``executemany`` of one INSERT per table;
* PostgreSQL: ``COPY ... FROM STDIN (FORMAT BINARY)`` per table, psycopg's binary row writer.

Two ceilings: the ``records`` rows alone (issue 20's: one row per record), and EVERY row
ingest writes -- the records, their account links (``record_accounts``, ~1.25 per record
here) and the accounts first seen. No validation, no canonical JSON, no hashing, no seq
assignment, no idempotency check: what the database itself costs, the floor under any
ingest of these records.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from anchor.store.record_writer import PG_COPY_TYPES, RECORD_COLUMNS

# the tables ingest writes and their columns, as the store's writer copies them (the types:
# the writer's own PG_COPY_TYPES)
TABLES: dict[str, tuple[str, ...]] = {
    "records": RECORD_COLUMNS,
    "record_accounts": ("account_id", "seq"),
    "accounts": ("account_id", "salt", "commitment", "created_at"),
}


class StoreRows(NamedTuple):
    """The rows ingest stores for a set of records, time stamps as aware datetimes."""

    records: list[tuple[Any, ...]]
    links: list[tuple[Any, ...]]
    accounts: list[tuple[Any, ...]]

    def tables(self, every: bool) -> list[tuple[str, tuple[str, ...], tuple[str, ...], list]]:
        """(table, columns, PostgreSQL types, rows): the records, or every table."""
        data = {"records": self.records, "record_accounts": self.links, "accounts": self.accounts}
        names = list(TABLES) if every else ["records"]
        return [(t, TABLES[t], PG_COPY_TYPES[t], data[t]) for t in names]


def load() -> str:
    """The 1- and 5-minute load average, as the ingest benchmarks print it after a figure."""
    one, five, _ = os.getloadavg()
    return f"[load {one:.2f}/{five:.2f}]"


def store_rows(lines: list[bytes]) -> StoreRows:
    """The rows ingest stores for ``lines`` (ingested once into a scratch SQLite database,
    not timed)."""
    from anchor.service.ingest import ingest
    from anchor.store.db import Database

    read: dict[str, list[tuple[Any, ...]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as tmp:
        db = Database.open(f"sqlite:///{tmp}/rows.sqlite")
        try:
            ingest(db, lines)
            raw: Any = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                for table, columns in TABLES.items():
                    order = "seq" if table != "accounts" else "account_id"
                    cur.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
                    read[table] = cur.fetchall()
            finally:
                raw.close()
        finally:
            db.close()
    assert len(read["records"]) == len(lines), (len(read["records"]), len(lines))
    return StoreRows(
        [(*r[:7], _aware(r[7])) for r in read["records"]],
        [tuple(r) for r in read["record_accounts"]],
        [(*r[:3], _aware(r[3])) for r in read["accounts"]],
    )


def _aware(value: Any) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


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


def raw_sqlite(url: str, rows: StoreRows, *, every: bool = False) -> float:
    """Records/s of SQLite ``executemany`` in one transaction (BEGIN to COMMIT) of the
    records rows, or (``every``) of every row ingest writes for them."""
    tables = [  # time stamps as the store writes them into SQLite (text)
        (table, columns, [tuple(_sqlite(v) for v in row) for row in data])
        for table, columns, _, data in rows.tables(every)
    ]
    with _raw(url) as conn:
        cur = conn.cursor()
        t0 = time.perf_counter()
        cur.execute("BEGIN IMMEDIATE")
        for table, columns, data in tables:
            marks = ", ".join("?" * len(columns))
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", data)
        cur.execute("COMMIT")
        took = time.perf_counter() - t0
        for table, _, data in tables:
            cur.execute(f"SELECT count(*) FROM {table}")
            assert cur.fetchone()[0] == len(data), table
    return len(rows.records) / took


def _sqlite(value: Any) -> Any:
    return value.isoformat(" ") if isinstance(value, datetime) else value


def raw_postgresql(url: str, rows: StoreRows, *, every: bool = False) -> tuple[float, float | None]:
    """Records/s of PostgreSQL binary COPY in one transaction (to COMMIT) of the records
    rows, or (``every``) of every row ingest writes for them; and the CPU the PostgreSQL
    server spent per record in µs (None when the server is not on this machine)."""
    tables = rows.tables(every)
    with _raw(url) as conn:
        conn.commit()  # the transaction starts with the COPY, as ingest's does with its lock
        cur = conn.cursor()
        s0 = server_cpu("postgres")
        t0 = time.perf_counter()
        for table, columns, types, data in tables:
            with cur.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(list(types))
                write: Callable[[tuple[Any, ...]], None] = copy.write_row
                for row in data:
                    write(row)
        conn.commit()
        took = time.perf_counter() - t0
        s1 = server_cpu("postgres")  # (before this connection's server process ends)
        for table, _, _, data in tables:
            cur.execute(f"SELECT count(*) FROM {table}")
            assert cur.fetchone()[0] == len(data), table
        conn.commit()
    return len(rows.records) / took, per_row_us(s0, s1, len(rows.records))


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

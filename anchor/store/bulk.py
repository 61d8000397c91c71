"""Bulk row writes on a raw DBAPI connection, for ingest and restore."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anchor.store.pg_copy import SIGNATURE, TRAILER


def bulk_insert(
    raw: Any,
    backend: str,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    pg_types: Sequence[str] | None = None,
) -> None:
    """``rows`` into ``table``: PostgreSQL ``COPY`` (binary when ``pg_types`` names the
    column types, else text), SQLite ``executemany``. ``raw`` is a DBAPI connection in an
    open transaction; nothing is committed here."""
    if not rows:
        return
    cols = ", ".join(columns)
    cur = raw.cursor()
    try:
        if backend == "postgresql":
            if pg_types is not None:
                assert len(pg_types) == len(columns)
                sql = f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)"
            else:
                sql = f"COPY {table} ({cols}) FROM STDIN"
            with cur.copy(sql) as copy:
                if pg_types is not None:
                    copy.set_types(list(pg_types))
                write = copy.write_row
                for row in rows:
                    write(row)
        else:
            marks = ", ".join("?" * len(columns))
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
    finally:
        cur.close()


def copy_binary(raw: Any, table: str, columns: Sequence[str], rows: bytes) -> None:
    """PostgreSQL: binary ``COPY`` of ``rows`` already encoded (:mod:`anchor.store.pg_copy`)
    into ``table``; ``raw`` as for :func:`bulk_insert`."""
    if not rows:
        return
    cur = raw.cursor()
    try:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(SIGNATURE)
            copy.write(rows)
            copy.write(TRAILER)
    finally:
        cur.close()

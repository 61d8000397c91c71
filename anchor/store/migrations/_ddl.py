"""Column shorthands the numbered migrations share (not a migration: its name has no number).

Every helper builds exactly the ``sa.Column`` a migration used to spell out, so the DDL the
migrations emit on SQLite and PostgreSQL is unchanged. Columns are built afresh on every call:
a column belongs to one table, and a migration runs once per database.

Like the migrations, this module must not change what an existing migration creates: add a
new helper rather than editing one in use.
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# An INTEGER PRIMARY KEY is SQLite's rowid (fast, ordered); BIGINT elsewhere.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Table name -> its columns, constraints and indexes (Python keeps the order written).
Tables = dict[str, list[Any]]


def key(name: str, type_: Any, *args: Any) -> sa.Column[Any]:
    """A primary-key column whose values the code chooses (never autoincremented)."""
    return sa.Column(name, type_, *args, primary_key=True, autoincrement=False)


def serial(autoincrement: bool | Literal["auto"] = True) -> sa.Column[Any]:
    """``id``: the database numbers the rows."""
    return sa.Column("id", ID, primary_key=True, autoincrement=autoincrement)


def req(name: str, type_: Any, *args: Any, **kw: Any) -> sa.Column[Any]:
    """A NOT NULL column."""
    return sa.Column(name, type_, *args, nullable=False, **kw)


def opt(name: str, type_: Any, *args: Any) -> sa.Column[Any]:
    """A nullable column."""
    return sa.Column(name, type_, *args, nullable=True)


def ts(name: str, nullable: bool = False) -> sa.Column[Any]:
    """A timestamp with time zone."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def create(conn: Connection, tables: Tables) -> None:
    """Create each table (name: its columns, constraints and indexes), in order."""
    meta = sa.MetaData()
    for name, items in tables.items():
        sa.Table(name, meta, *items)
    meta.create_all(conn)

"""Column shorthands the numbered migrations share (not a migration: its name has no number).

Every helper builds exactly the ``sa.Column`` a migration used to spell out, so the DDL the
migrations emit on SQLite and PostgreSQL is unchanged. Columns are built afresh on every call:
a column belongs to one table, and a migration runs once per database.

A migration that only creates tables writes them as a schema text (:func:`tables`): a table
name at the start of a line, then its members indented, one a line, in order::

    batches
        id          bigint key
        chain_id    bigint null
        contract    str(42) null
        sealed_at   ts
        unique uq_batches_first_seq (first_seq)
        index ix_batches_state (state, chain_id)

A column is ``name type [flag] [-> table.column]``: ``type`` is ``id`` (:data:`ID`),
``bigint``, ``int``, ``float``, ``text``, ``blob``, ``str`` or ``str(N)`` (at most N
characters), ``ts`` (:func:`ts`) or, for ``id`` only, ``serial`` (:func:`serial`); the flag is
``key`` (:func:`key`), ``null`` (:func:`opt`) or ``unique``, and without one the column is NOT
NULL (:func:`req`); ``-> table.column`` is a foreign key. ``unique NAME (columns)`` and
``index NAME (columns)`` are a named unique constraint and a named index.

Like the migrations, this module must not change what an existing migration creates: add a
new helper or type word rather than editing one in use.
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


# The type words of a schema text.
_TYPES: dict[str, Any] = {
    "id": ID,
    "bigint": sa.BigInteger,
    "int": sa.Integer,
    "float": sa.Float,
    "text": sa.Text,
    "blob": sa.LargeBinary,
    "str": sa.String,
}


def column(line: str) -> sa.Column[Any]:
    """The column a schema text line declares (``name type [flag] [-> table.column]``)."""
    spec, _, target = line.partition("->")
    name, word, *flags = spec.split()
    flag = flags[0] if flags else ""
    refs = [sa.ForeignKey(target.strip())] if target else []
    if word == "serial":
        return serial()
    if word == "ts":
        return ts(name, nullable=flag == "null")
    base, _, size = word.partition("(")
    type_ = _TYPES[base](int(size.rstrip(")"))) if size else _TYPES[base]
    if flag == "key":
        return key(name, type_, *refs)
    if flag == "null":
        return opt(name, type_, *refs)
    return req(name, type_, *refs, **({"unique": True} if flag == "unique" else {}))


def cols(spec: str) -> list[sa.Column[Any]]:
    """The columns of a schema text's member lines (no table name, no constraint)."""
    return [column(line) for line in spec.splitlines() if line.strip()]


def tables(schema: str) -> Tables:
    """The tables a schema text declares (see the module docstring), in order."""
    out: Tables = {}
    members: list[Any] = []
    for line in schema.splitlines():
        words = line.split(None, 2)
        if not words:
            continue
        if not line[0].isspace():
            members = out[line.strip()] = []
        elif words[0] in ("unique", "index") and words[2].startswith("("):
            names = [c.strip() for c in words[2].strip("()").split(",")]
            if words[0] == "unique":
                members.append(sa.UniqueConstraint(*names, name=words[1]))
            else:
                members.append(sa.Index(words[1], *names))
        else:
            members.append(column(line))
    return out


def create(conn: Connection, tables: Tables) -> None:
    """Create each table (name: its columns, constraints and indexes), in order."""
    meta = sa.MetaData()
    for name, items in tables.items():
        sa.Table(name, meta, *items)
    meta.create_all(conn)

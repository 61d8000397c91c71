"""Typed rows from database rows: the one conversion of the store's row classes.

:func:`typed` builds a dataclass or named tuple from the columns of a row named like its
fields, each value made the field's type the same way on both backends (raw reads hand back
``memoryview``, ``Decimal`` or, on SQLite, ISO text for timestamps): ``int``, ``float``,
``str`` and ``bytes`` fields are converted, ``datetime`` fields become aware UTC datetimes,
NULL stays ``None`` where the field allows it, and a dataclass field whose metadata is
:func:`json_tuple` or :func:`json_value` is decoded from its JSON text. Any other field takes
the value as read.
"""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from anchor.store.db import Database

__all__ = ["first_typed", "json_tuple", "json_value", "stored_utc", "typed"]

T = TypeVar("T")

_DECODE = "anchor.store.rows.decode"


def stored_utc(value: Any) -> datetime | None:
    """A timestamp as read (ISO text on SQLite, a datetime on PostgreSQL) as an aware UTC
    datetime; naive values are UTC."""
    if value is None:
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


_CASTS: dict[Any, Callable[[Any], Any]] = {
    int: int,
    float: float,
    str: str,
    bytes: bytes,
    datetime: stored_utc,
}


def json_tuple(each: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """The metadata (``dataclasses.field(metadata=...)``) of a field stored as a JSON list: a
    tuple of its items (``each(item)``)."""

    def decode(text: Any) -> tuple[Any, ...]:
        items = json.loads(text)
        return tuple(items) if each is None else tuple(each(i) for i in items)

    return {_DECODE: decode}


def json_value() -> dict[str, Any]:
    """The metadata of a field stored as JSON text, decoded as it is."""
    return {_DECODE: json.loads}


_Plan = tuple[tuple[str, Callable[[Any], Any] | None], ...]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    """(field name, conversion or None) for each field of ``cls``, in order (cached)."""
    if cls in _PLANS:
        return _PLANS[cls]
    hints = get_type_hints(cls)
    if dataclasses.is_dataclass(cls):
        decoders = {f.name: f.metadata.get(_DECODE) for f in dataclasses.fields(cls)}
    else:  # a NamedTuple
        decoders = dict.fromkeys(cls._fields)  # type: ignore[attr-defined]
    plan = []
    for name, decode in decoders.items():
        hint = hints[name]
        if get_origin(hint) in (Union, types.UnionType):
            hint = next(a for a in get_args(hint) if a is not type(None))
        plan.append((name, decode or _CASTS.get(hint)))
    _PLANS[cls] = tuple(plan)
    return _PLANS[cls]


def typed(cls: type[T], row: Any, **given: Any) -> T:
    """``cls`` from the columns of ``row`` named like its fields (see the module docstring);
    the fields in ``given`` as they are."""
    m = row._mapping
    values = dict(given)
    for name, convert in _plan(cls):
        if name not in values:
            v = m[name]
            values[name] = v if v is None or convert is None else convert(v)
    return cls(**values)


def first_typed(
    cls: type[T], db: Database, sql: str, params: dict[str, Any] | None = None
) -> T | None:
    """:func:`typed` of the first row of the read-only query ``sql``; None when it has none."""
    row = db.first(sql, params)
    return None if row is None else typed(cls, row)

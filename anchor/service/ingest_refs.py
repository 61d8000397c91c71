"""Ingest's reference check (``reference_checks = "strict"``): a record naming an unknown
instrument, order or trade is refused like an invalid one, its field named
(:mod:`anchor.core.references`; see :mod:`anchor.service.ingest`).

Per chunk: the records of the kinds that name something are read back from their canonical
JSON (the others are not touched), what they name and do not define themselves is looked up
once (:class:`anchor.store.references.ReferenceIndex`: markets and orders from memory, record
ids by index) together with what earlier chunks of the load defined, and each record with an
unknown reference leaves the chunk as a :class:`~anchor.core.prepare.Rejected` at its line.
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Callable, Container
from typing import Any, Final

from anchor.core.prepare import ACCOUNTS, CANONICAL, KIND, LINE, RECORD_ID, Prepared, Rejected
from anchor.core.references import REFERENCING_KINDS, Known, check_references, wanted
from anchor.service.ingest_load import Staged
from anchor.store.db import Database
from anchor.store.record_writer import RecordWriter
from anchor.store.references import reference_index

__all__ = ["MODES", "LoadReferences"]

MODES: Final = ("off", "strict")

_loads: Callable[[Any], Any]
try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a server dependency
    _loads = json.loads


class _Either:
    """Membership in either of two sets (without copying them)."""

    __slots__ = ("a", "b")

    def __init__(self, a: Container[str], b: Container[str]) -> None:
        self.a, self.b = a, b

    def __contains__(self, x: object) -> bool:
        return x in self.a or x in self.b


def _decode(canonical: str) -> Any:
    try:
        return _loads(canonical)
    except ValueError:  # orjson refuses integers past 64 bits
        return json.loads(canonical)


class LoadReferences:
    """The reference check of one load, inside its transaction (``committed``: the highest
    seq stored before the load)."""

    def __init__(self, db: Database, w: RecordWriter, committed: int) -> None:
        self.index = reference_index(db)
        self.raw, self.backend = w.raw, w.backend
        self.committed = committed
        # what the load's accepted records define (markets: instrument type)
        self.markets: dict[str, str] = {}
        self.orders: set[str] = set()

    def check(self, chunk: Staged) -> Staged:
        """``chunk`` without its records whose references are unknown (they join its bad
        lines, in line order)."""
        parsed = chunk.parsed
        objs = [_decode(p[CANONICAL]) if p[KIND] in REFERENCING_KINDS else None for p in parsed]
        if not any(o is not None for o in objs):
            return chunk
        want = wanted(objs)
        want.markets -= self.markets.keys()
        want.orders -= self.orders
        found = self.index.lookup(self.raw, self.backend, want, self.committed) if want else Known()
        known = Known(
            ChainMap(self.markets, dict(found.markets)),
            _Either(self.orders, found.orders),
            found.records,
        )
        verdicts = check_references(objs, known)
        kept: list[Prepared] = []
        refused: list[Rejected] = []
        for p, obj, unknown in zip(parsed, objs, verdicts, strict=True):
            if unknown is not None:
                refused.append(Rejected(p[LINE], unknown.field, unknown.problem))
                continue
            kept.append(p)
            if obj is None:
                continue
            if p[KIND] == "instrument":
                self.markets[obj["market"]] = obj["instrument_type"]
            elif p[KIND] == "order_event" and obj["action"] == "new":
                self.orders.add(obj["order_id"])
        if not refused:
            return chunk
        bad = sorted([*chunk.bad, *refused], key=lambda r: r.line)
        accounts = {a for p in kept for a in p[ACCOUNTS]}
        distinct = chunk.distinct or len({p[RECORD_ID] for p in kept}) == len(kept)
        return Staged(chunk.handled, kept, bad, accounts, distinct, None)

    def committed_load(self) -> None:
        """The load is committed: what it defined is known from now on."""
        self.index.add(self.markets, self.orders)

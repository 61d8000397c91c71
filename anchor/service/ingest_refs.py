"""Ingest's reference check (``reference_checks = "strict"``): a record naming an unknown
instrument, order or trade is refused like an invalid one, its field named
(:mod:`anchor.core.references`; see :mod:`anchor.service.ingest`).

Per chunk: what each record names and defines is read from the leaf order the validation
already built, on the validating thread (:func:`anchor.service.ingest_load.staged`; no JSON
is read again). On the database thread, what the chunk names and neither it nor an earlier
chunk of the load defines is looked up once (:class:`anchor.store.references.ReferenceIndex`:
markets and orders from memory, record ids by index). When everything is found -- the usual
chunk -- it goes on as it is; otherwise the records are checked one by one and each with an
unknown reference leaves the chunk as a :class:`~anchor.core.prepare.Rejected` at its line.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Container
from typing import Final

from anchor.core.prepare import ACCOUNTS, LEAF_ORDER, LINE, RECORD_ID, Prepared, Rejected
from anchor.core.references import (
    Known,
    Wanted,
    check_references,
    refs_of_leaf,
    resolves,
    wanted_of_leaves,
)
from anchor.service.ingest_load import Staged
from anchor.store.db import Database
from anchor.store.record_writer import RecordWriter
from anchor.store.references import reference_index

__all__ = ["MODES", "LoadReferences"]

MODES: Final = ("off", "strict")


class _Either:
    """Membership in either of two sets (without copying them)."""

    __slots__ = ("a", "b")

    def __init__(self, a: Container[str], b: Container[str]) -> None:
        self.a, self.b = a, b

    def __contains__(self, x: object) -> bool:
        return x in self.a or x in self.b


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
        want = chunk.refs  # read on the validating thread
        if want is None:
            want = wanted_of_leaves([p[LEAF_ORDER] for p in parsed])
        pending = Wanted(
            markets=want.markets - self.markets.keys(),
            options={m for m in want.options if m not in self.markets},
            orders=want.orders - self.orders,
            trades=want.trades,
            marks=want.marks,
        )
        found = self.index.lookup(self.raw, self.backend, pending, self.committed)
        known = Known(
            ChainMap(self.markets, dict(found.markets)),
            _Either(self.orders, found.orders),
            found.records,
        )
        if resolves(want, known):  # the usual chunk: no record to read one by one
            self.markets.update(want.defined_markets)
            self.orders |= want.defined_orders
            return chunk
        items = [refs_of_leaf(p[LEAF_ORDER]) for p in parsed]
        verdicts = check_references(items, known)
        kept: list[Prepared] = []
        refused: list[Rejected] = []
        for p, item, unknown in zip(parsed, items, verdicts, strict=True):
            if unknown is not None:
                refused.append(Rejected(p[LINE], unknown.field, unknown.problem))
                continue
            kept.append(p)
            if item is None:
                continue
            if item.defines_what == "market":
                self.markets[item.defines[0]] = item.defines[1]
            elif item.defines_what == "order":
                self.orders.add(item.defines[0])
        if not refused:
            return chunk
        bad = sorted([*chunk.bad, *refused], key=lambda r: r.line)
        accounts = {a for p in kept for a in p[ACCOUNTS]}
        distinct = chunk.distinct or len({p[RECORD_ID] for p in kept}) == len(kept)
        return Staged(chunk.handled, kept, bad, accounts, distinct, None, None)

    def committed_load(self, last_seq: int | None) -> None:
        """The load is committed (its records up to ``last_seq``): what it defined is known
        from now on."""
        self.index.add(self.markets, self.orders, self.committed, last_seq)

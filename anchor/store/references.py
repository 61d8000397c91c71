"""What the store already holds that records may reference (ingest's reference check,
:mod:`anchor.core.references`): instruments by market, ids of orders that had a ``new``,
and the kind of records by id.

Record ids are looked up by the unique index, one statement per chunk. Markets and order
ids are not columns: a :class:`ReferenceIndex` (one per process and database) keeps them in
memory, read once from the ``instrument`` and ``order_event`` records and then only from
records past its cursor (a range of the primary key). Memory: one string per order id
ever opened (about 100 bytes each).
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable, Collection
from typing import Any

from anchor.core.references import Known, Wanted
from anchor.store.db import Database, rows_in_parts

__all__ = ["ReferenceIndex", "reference_index"]

_loads: Callable[[Any], Any]
try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a server dependency
    _loads = json.loads

_PART = 900  # stays under SQLite's bound-parameter limit on any build
_SCAN = (
    "SELECT seq, kind, canonical FROM records WHERE seq > {p} AND seq <= {p}"
    " AND kind IN ('instrument', 'order_event') ORDER BY seq"
)


class ReferenceIndex:
    """Markets and order ids of one database, kept in memory by a process. Only what is
    committed enters it: :meth:`lookup` reads up to the seq a load started after, and a
    load's own definitions come in by :meth:`add` once it is committed."""

    def __init__(self) -> None:
        self.markets: dict[str, str] = {}  # market -> instrument type
        self.orders: set[str] = set()
        self.cursor = 0  # every record up to this seq has been read
        self.lock = threading.Lock()

    def _catch_up(self, raw: Any, backend: str, upto: int) -> None:
        if upto < self.cursor:  # a database emptied and filled again
            self.markets.clear()
            self.orders.clear()
            self.cursor = 0
        if upto == self.cursor:
            return
        p = "%s" if backend == "postgresql" else "?"
        cur = raw.cursor()
        try:
            cur.execute(_SCAN.format(p=p), (self.cursor, upto))
            for _, kind, canonical in cur.fetchall():
                obj = _loads(canonical)
                if kind == "instrument":
                    self.markets[obj["market"]] = obj["instrument_type"]
                elif obj["action"] == "new":
                    self.orders.add(obj["order_id"])
        finally:
            cur.close()
        self.cursor = upto

    def lookup(self, raw: Any, backend: str, want: Wanted, committed: int) -> Known:
        """What of ``want`` the store holds, through the DB-API connection ``raw`` of the
        load (``committed``: the highest seq stored when the load began; records of the
        load itself are read by id only)."""
        if not want:
            return Known()
        names = want.markets | want.options
        with self.lock:
            if (names - self.markets.keys()) or (want.orders - self.orders):
                self._catch_up(raw, backend, committed)
            markets = {m: self.markets[m] for m in names if m in self.markets}
            orders = want.orders & self.orders
        rids = want.record_ids
        records = record_kinds(raw, backend, rids) if rids else {}
        return Known(markets, orders, records)

    def add(
        self, markets: dict[str, str], orders: Collection[str], after: int, last: int | None
    ) -> None:
        """Definitions of a committed load (its records after seq ``after`` up to ``last``:
        when the index had read up to ``after``, it has now read up to ``last``)."""
        with self.lock:
            self.markets.update(markets)
            self.orders.update(orders)
            if last is not None and self.cursor == after:
                self.cursor = last


def record_kinds(raw: Any, backend: str, record_ids: Collection[str]) -> dict[str, str]:
    """``{record_id: kind}`` of those of ``record_ids`` stored (one statement on
    PostgreSQL; parts of :data:`_PART` ids on SQLite)."""
    ids = sorted(record_ids)
    out: dict[str, str] = {}
    cur = raw.cursor()
    try:
        if backend == "postgresql":
            cur.execute("SELECT record_id, kind FROM records WHERE record_id = ANY(%s)", (ids,))
            out.update((str(r), str(k)) for r, k in cur.fetchall())
        else:
            sql = "SELECT record_id, kind FROM records WHERE record_id IN ({marks})"
            out.update((str(r), str(k)) for r, k in rows_in_parts(cur, sql, ids, "?", _PART))
    finally:
        cur.close()
    return out


_INDEXES: weakref.WeakKeyDictionary[Database, ReferenceIndex] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def reference_index(db: Database) -> ReferenceIndex:
    """This process's index of ``db`` (one per :class:`Database` object: a process opens
    its database once)."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(db)
        if index is None:
            index = _INDEXES[db] = ReferenceIndex()
        return index

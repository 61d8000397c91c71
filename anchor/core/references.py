"""References between records: which instrument, order, trade or mark a record names, and
whether it is known (docs/records.md, "Books: references").

Pure. Ingest in ``reference_checks = "strict"`` mode refuses a record naming something
unknown, with the field named (:func:`check_references`); the books' replay
(:mod:`anchor.core.books`) flags the same as ``unknown_reference`` for a history ingested
without the check. What a record references:

* ``market`` of an ``order_event``, ``trade``, ``book_snapshot``, ``position`` or
  ``mark_price``: an ``instrument`` record for that market;
* ``order_id`` of an ``order_event`` ``amend`` / ``cancel`` / ``fill``: an order that had a
  ``new``; ``buy_order_id`` / ``sell_order_id`` of a ``trade``: likewise;
* ``reference`` of a ``journal`` entry: a ``trade``'s record id (``fee``,
  ``realized_pnl``), a ``mark_price``'s record id (``funding``), an option's market
  (``option_settlement``); other reasons name the exchange's own ids (not checked).

A reference to history before what the store holds is declared in the data: an order id or
record id written ``opening:<id>`` (:data:`OPENING`) is accepted as such; the replay then
says it starts from the declared opening snapshot. A market always needs its instrument
record (an instrument is a definition, not history: send it, as part of the opening
snapshot if need be).

The check works on records in sequence order: a record earlier in the same list counts as
known (unless it was itself refused). What the store already holds comes in as a
:class:`Known`, looked up once per chunk for the values :func:`wanted` lists.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

__all__ = [
    "OPENING",
    "REFERENCING_KINDS",
    "Known",
    "Unknown",
    "Wanted",
    "check_references",
    "is_opening",
    "wanted",
]

OPENING: Final = "opening:"  # a reference to history before what is held here
# the kinds whose records name or define something the check follows (others are skipped
# without being read)
REFERENCING_KINDS: Final = frozenset(
    {"instrument", "order_event", "trade", "book_snapshot", "position", "mark_price", "journal"}
)
_MARKET_KINDS: Final = frozenset(
    {"order_event", "trade", "book_snapshot", "position", "mark_price"}
)
# journal reason -> the kind of record its reference names
_JOURNAL_REFS: Final = {"fee": "trade", "realized_pnl": "trade", "funding": "mark_price"}


def is_opening(value: str) -> bool:
    """A reference declared as to history before what is held here."""
    return value.startswith(OPENING)


class Unknown(NamedTuple):
    """The first unknown reference of a record: the field, its value and why."""

    field: str
    value: str
    why: str

    @property
    def problem(self) -> str:
        """The text of the refusal (the field is named apart)."""
        return f"unknown reference {self.value!r}: {self.why}"


@dataclass
class Wanted:
    """What a list of records references and does not define earlier itself: to be looked
    up in the store."""

    markets: set[str] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)
    record_ids: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.markets or self.orders or self.record_ids)


@dataclass
class Known:
    """What is already known: instrument type by market, ids of orders that had a ``new``,
    and the kind of a record by its id (trades and marks are enough)."""

    markets: Mapping[str, str] = field(default_factory=dict)
    orders: Container[str] = field(default_factory=frozenset)
    records: Mapping[str, str] = field(default_factory=dict)


def _refs(obj: Mapping[str, Any]) -> Iterable[tuple[str, str, str]]:
    """``(field, value, what it names)`` of a record, in field order; what it names is
    ``market``, ``option`` (an option's market), ``order``, or a record kind."""
    kind = obj["kind"]
    if kind in _MARKET_KINDS:
        yield "market", obj["market"], "market"
        if kind == "order_event":
            if obj["action"] != "new":
                yield "order_id", obj["order_id"], "order"
        elif kind == "trade":
            yield "buy_order_id", obj["buy_order_id"], "order"
            yield "sell_order_id", obj["sell_order_id"], "order"
    elif kind == "journal":
        reason = obj["reason"]
        target = _JOURNAL_REFS.get(reason)
        if target is not None:
            yield "reference", obj["reference"], target
        elif reason == "option_settlement":
            yield "reference", obj["reference"], "option"


def wanted(objs: Iterable[Mapping[str, Any] | None]) -> Wanted:
    """The markets, order ids and record ids that ``objs`` (records in sequence order;
    ``None`` for one that names nothing) reference before defining them themselves."""
    out = Wanted()
    markets: set[str] = set()
    orders: set[str] = set()
    rids: set[str] = set()
    for obj in objs:
        if obj is None:
            continue
        for _, value, what in _refs(obj):
            if what == "market" or what == "option":
                if value not in markets:
                    out.markets.add(value)
            elif what == "order":
                if value not in orders and not is_opening(value):
                    out.orders.add(value)
            elif value not in rids and not is_opening(value):
                out.record_ids.add(value)
        kind = obj["kind"]
        if kind == "instrument":
            markets.add(obj["market"])
        elif kind == "order_event" and obj["action"] == "new":
            orders.add(obj["order_id"])
        elif kind == "trade" or kind == "mark_price":
            rids.add(obj["record_id"])
    return out


def check_references(
    objs: Sequence[Mapping[str, Any] | None], known: Known
) -> list[Unknown | None]:
    """For each of ``objs`` (records in sequence order, ``None`` for one that names
    nothing), its first unknown reference, or ``None``. A record earlier in ``objs``
    counts as known unless it was refused itself."""
    markets: dict[str, str] = {}
    orders: set[str] = set()
    rids: dict[str, str] = {}
    out: list[Unknown | None] = []
    for obj in objs:
        if obj is None:
            out.append(None)
            continue
        bad = None
        for name, value, what in _refs(obj):
            bad = _unknown(name, value, what, known, markets, orders, rids)
            if bad is not None:
                break
        out.append(bad)
        if bad is not None:
            continue
        kind = obj["kind"]
        if kind == "instrument":
            markets[obj["market"]] = obj["instrument_type"]
        elif kind == "order_event" and obj["action"] == "new":
            orders.add(obj["order_id"])
        elif kind == "trade" or kind == "mark_price":
            rids[obj["record_id"]] = kind
    return out


def _unknown(
    name: str,
    value: str,
    what: str,
    known: Known,
    markets: Mapping[str, str],
    orders: Container[str],
    rids: Mapping[str, str],
) -> Unknown | None:
    if what == "market" or what == "option":
        itype = markets.get(value) or known.markets.get(value)
        if itype is None:
            return Unknown(name, value, f"no instrument record for market {value}")
        if what == "option" and itype != "option":
            return Unknown(name, value, f"market {value} is a {itype}, not an option")
        return None
    if is_opening(value):
        return None
    if what == "order":
        if value in orders or value in known.orders:
            return None
        return Unknown(
            name, value, f"no order_event 'new' for order {value} (earlier history: {OPENING}<id>)"
        )
    kind = rids.get(value) or known.records.get(value)
    if kind is None:
        return Unknown(name, value, f"no {what} record {value} (earlier history: {OPENING}<id>)")
    if kind != what:
        return Unknown(name, value, f"record {value} is a {kind}, not a {what}")
    return None

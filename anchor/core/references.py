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

The check works on records in sequence order, each reduced to its :class:`Refs` (what it
names and what it defines) from its canonical object (:func:`refs_of`) or, without reading
any JSON, from the leaf order ingest already holds (:func:`refs_of_leaf`): a record earlier in
the same list counts as known (unless it was itself refused). What the store already holds
comes in as a :class:`Known`, looked up once per chunk for the values :func:`wanted` lists.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from anchor.core.schemas import (
    _SCHEMAS,
    ACTIONS,
    INSTRUMENT_TYPES,
    REASONS,
    SCHEMA_INDEX,
    SCHEMA_LIST,
)

__all__ = [
    "OPENING",
    "Known",
    "Refs",
    "Unknown",
    "Wanted",
    "check_references",
    "is_opening",
    "refs_of",
    "refs_of_leaf",
    "resolves",
    "wanted",
    "wanted_of_leaves",
]

OPENING: Final = "opening:"  # a reference to history before what is held here
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


class Refs(NamedTuple):
    """What one record names -- ``(field, value, what)``, ``what`` being ``market``,
    ``option`` (an option's market), ``order`` or a record kind -- and what it defines:
    ``(market, instrument type)`` for an instrument, ``(order id, "")`` for a ``new`` order,
    ``(record id, kind)`` for a trade or mark (``defines_what`` says which)."""

    names: tuple[tuple[str, str, str], ...]
    defines_what: str  # "market" | "order" | "record" | ""
    defines: tuple[str, str]


_NONE: Final = ("", "")


def refs_of(obj: Mapping[str, Any]) -> Refs | None:
    """The :class:`Refs` of a record's canonical object (None: it names and defines nothing)."""
    kind = obj["kind"]
    if kind in _MARKET_KINDS:
        market = ("market", obj["market"], "market")
        if kind == "order_event":
            if obj["action"] == "new":
                return Refs((market,), "order", (obj["order_id"], ""))
            return Refs((market, ("order_id", obj["order_id"], "order")), "", _NONE)
        if kind == "trade":
            return Refs(
                (
                    market,
                    ("buy_order_id", obj["buy_order_id"], "order"),
                    ("sell_order_id", obj["sell_order_id"], "order"),
                ),
                "record",
                (obj["record_id"], kind),
            )
        if kind == "mark_price":
            return Refs((market,), "record", (obj["record_id"], kind))
        return Refs((market,), "", _NONE)
    if kind == "journal":
        return _journal(obj["reason"], obj["reference"])
    if kind == "instrument":
        return Refs((), "market", (obj["market"], obj["instrument_type"]))
    return None


def _journal(reason: str, reference: str) -> Refs | None:
    target = _JOURNAL_REFS.get(reason)
    if target is not None:
        return Refs((("reference", reference, target),), "", _NONE)
    if reason == "option_settlement":
        return Refs((("reference", reference, "option"),), "", _NONE)
    return None


def _leaf_reader(key: tuple[str, int]) -> Any:
    """The reader of a leaf order of schema ``key``: (schema index, code, version, record
    id, then the fields in leaf order)."""
    kind = key[0]
    at = {f.name: 4 + i for i, f in enumerate(_SCHEMAS[key].fields)}
    if kind == "order_event":
        m, o, a = at["market"], at["order_id"], at["action"]
        new = ACTIONS.index("new")

        def order_event(lo: tuple[Any, ...]) -> Refs:
            if lo[a] == new:
                return Refs((("market", lo[m], "market"),), "order", (lo[o], ""))
            return Refs((("market", lo[m], "market"), ("order_id", lo[o], "order")), "", _NONE)

        return order_event
    if kind == "trade":
        m, b, s = at["market"], at["buy_order_id"], at["sell_order_id"]

        def trade(lo: tuple[Any, ...]) -> Refs:
            return Refs(
                (("market", lo[m], "market"), ("buy_order_id", lo[b], "order"),
                 ("sell_order_id", lo[s], "order")),
                "record",
                (lo[3], "trade"),
            )  # fmt: skip

        return trade
    if kind == "journal":
        r, ref = at["reason"], at["reference"]
        return lambda lo: _journal(REASONS[lo[r]], lo[ref])
    if kind == "instrument":
        m, t = at["market"], at["instrument_type"]
        return lambda lo: Refs((), "market", (lo[m], INSTRUMENT_TYPES[lo[t]]))
    if kind == "mark_price":
        m = at["market"]
        return lambda lo: Refs((("market", lo[m], "market"),), "record", (lo[3], kind))
    if kind in _MARKET_KINDS:
        m = at["market"]
        return lambda lo: Refs((("market", lo[m], "market"),), "", _NONE)
    return None


# by schema index: the reader of a leaf order, None for a kind that names nothing
_LEAF_READERS: Final = tuple(_leaf_reader(key) for key in SCHEMA_LIST)


def refs_of_leaf(leaf_order: tuple[Any, ...]) -> Refs | None:
    """The :class:`Refs` of a record from its leaf order (``Record.leaf_order``, the
    ``LEAF_ORDER`` of a prepared record): the same as :func:`refs_of` of its object."""
    reader = _LEAF_READERS[leaf_order[0]]
    return None if reader is None else reader(leaf_order)


@dataclass
class Wanted:
    """What a list of records references and does not define earlier itself (to be looked
    up in the store), and what it defines. ``options``: markets named as an option's;
    ``trades`` / ``marks``: record ids named as a trade's / a mark's. ``mismatch``: a name
    defined earlier in the list as something else (a trade named as a mark, a perpetual as
    an option): then only :func:`check_references` can say which record is refused."""

    markets: set[str] = field(default_factory=set)
    options: set[str] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)
    trades: set[str] = field(default_factory=set)
    marks: set[str] = field(default_factory=set)
    mismatch: bool = False
    defined_markets: dict[str, str] = field(default_factory=dict)  # market -> instrument type
    defined_orders: set[str] = field(default_factory=set)

    @property
    def record_ids(self) -> set[str]:
        return self.trades | self.marks

    def __bool__(self) -> bool:
        return bool(self.markets or self.options or self.orders or self.trades or self.marks)

    def option(self, market: str) -> None:
        """``market`` is named as an option's: wanted unless defined earlier (as an option)."""
        itype = self.defined_markets.get(market)
        if itype is None:
            self.options.add(market)
        elif itype != "option":
            self.mismatch = True

    def record(self, rid: str, what: str, rids: Mapping[str, str]) -> None:
        """``rid`` is named as a ``what`` ("trade" or "mark_price"): wanted unless one of
        ``rids`` (the records earlier in the list, by id) defines it (as that)."""
        kind = rids.get(rid)
        if kind is None:
            (self.trades if what == "trade" else self.marks).add(rid)
        elif kind != what:
            self.mismatch = True


@dataclass
class Known:
    """What is already known: instrument type by market, ids of orders that had a ``new``,
    and the kind of a record by its id (trades and marks are enough)."""

    markets: Mapping[str, str] = field(default_factory=dict)
    orders: Container[str] = field(default_factory=frozenset)
    records: Mapping[str, str] = field(default_factory=dict)


def wanted(items: Iterable[Refs | None]) -> Wanted:
    """What ``items`` (records in sequence order) reference before defining it themselves,
    and what they define."""
    out = Wanted()
    rids: dict[str, str] = {}
    for item in items:
        if item is not None:
            _add(out, item, rids)
    return out


def _add(out: Wanted, item: Refs, rids: dict[str, str]) -> None:
    markets, orders = out.defined_markets, out.defined_orders
    for _, value, what in item.names:
        if what == "market":
            if value not in markets:
                out.markets.add(value)
        elif what == "option":
            out.option(value)
        elif value.startswith(OPENING):
            continue
        elif what == "order":
            if value not in orders:
                out.orders.add(value)
        else:
            out.record(value, what, rids)
    _remember(item, markets, orders, rids)


def _remember(item: Refs, markets: dict[str, str], orders: set[str], rids: dict[str, str]) -> None:
    """What ``item`` defines becomes known to the records after it."""
    d = item.defines_what
    if d == "market":
        markets[item.defines[0]] = item.defines[1]
    elif d == "order":
        orders.add(item.defines[0])
    elif d == "record":
        rids[item.defines[0]] = item.defines[1]


def _at(kind: str, name: str) -> int:
    return 4 + [f.name for f in _SCHEMAS[(kind, 1)].fields].index(name)


_OE, _TR, _JO, _IN, _MP = (
    SCHEMA_INDEX[(k, 1)] for k in ("order_event", "trade", "journal", "instrument", "mark_price")
)
_MARKET_ONLY: Final = frozenset(SCHEMA_INDEX[(k, 1)] for k in ("book_snapshot", "position"))
_NAMES_NOTHING: Final = frozenset(SCHEMA_INDEX[(k, 1)] for k in ("balance",))
_OE_M, _OE_O, _OE_A = (_at("order_event", n) for n in ("market", "order_id", "action"))
_TR_M, _TR_B, _TR_S = (_at("trade", n) for n in ("market", "buy_order_id", "sell_order_id"))
_JO_R, _JO_REF = _at("journal", "reason"), _at("journal", "reference")
_IN_M, _IN_T = _at("instrument", "market"), _at("instrument", "instrument_type")
_MP_M = _at("mark_price", "market")
_BOOK_M, _POS_M = _at("book_snapshot", "market"), _at("position", "market")
_NEW: Final = ACTIONS.index("new")
# journal reason index -> what its reference names ("trade", "mark_price", "option")
_REASON_NAMES: Final = tuple(
    _JOURNAL_REFS.get(r, "option" if r == "option_settlement" else None) for r in REASONS
)


def wanted_of_leaves(leaf_orders: Iterable[tuple[Any, ...]]) -> Wanted:
    """:func:`wanted` of the records whose leaf orders these are, in one pass that builds
    nothing per record (what ingest runs on every chunk in strict mode)."""
    out = Wanted()
    markets, orders = out.defined_markets, out.defined_orders
    w_markets, w_orders = out.markets, out.orders
    rids: dict[str, str] = {}
    for lo in leaf_orders:
        k = lo[0]
        if k in _NAMES_NOTHING:
            continue
        if k == _OE:
            m = lo[_OE_M]
            if m not in markets:
                w_markets.add(m)
            o = lo[_OE_O]
            if lo[_OE_A] == _NEW:
                orders.add(o)
            elif o not in orders and not o.startswith(OPENING):
                w_orders.add(o)
        elif k == _TR:
            m = lo[_TR_M]
            if m not in markets:
                w_markets.add(m)
            for o in (lo[_TR_B], lo[_TR_S]):
                if o not in orders and not o.startswith(OPENING):
                    w_orders.add(o)
            rids[lo[3]] = "trade"
        elif k == _JO:
            what = _REASON_NAMES[lo[_JO_R]]
            if what is None:
                continue
            ref = lo[_JO_REF]
            if what == "option":
                out.option(ref)
            elif not ref.startswith(OPENING):
                out.record(ref, what, rids)
        elif k == _IN:
            markets[lo[_IN_M]] = INSTRUMENT_TYPES[lo[_IN_T]]
        elif k == _MP:
            m = lo[_MP_M]
            if m not in markets:
                w_markets.add(m)
            rids[lo[3]] = "mark_price"
        elif k in _MARKET_ONLY:
            m = lo[_BOOK_M if k == SCHEMA_INDEX[("book_snapshot", 1)] else _POS_M]
            if m not in markets:
                w_markets.add(m)
        else:  # a kind or version this pass does not know: the general way
            item = refs_of_leaf(lo)
            if item is not None:
                _add(out, item, rids)
    return out


def resolves(want: Wanted, known: Known) -> bool:
    """Whether ``known`` holds everything ``want`` names, each as what it is named as: then
    no record of the list is refused (each name is known or defined earlier in the list by
    a record that is not refused either), and :func:`check_references` need not run."""
    if want.mismatch:
        return False
    markets, orders, records = known.markets, known.orders, known.records
    return (
        all(m in markets for m in want.markets)
        and all(markets.get(m) == "option" for m in want.options)
        and all(o in orders for o in want.orders)
        and all(records.get(t) == "trade" for t in want.trades)
        and all(records.get(m) == "mark_price" for m in want.marks)
    )


def check_references(items: Sequence[Refs | None], known: Known) -> list[Unknown | None]:
    """For each of ``items`` (records in sequence order), its first unknown reference, or
    ``None``. A record earlier in ``items`` counts as known unless it was refused itself."""
    markets: dict[str, str] = {}
    orders: set[str] = set()
    rids: dict[str, str] = {}
    out: list[Unknown | None] = []
    for item in items:
        if item is None:
            out.append(None)
            continue
        bad = None
        for name, value, what in item.names:
            bad = _unknown(name, value, what, known, markets, orders, rids)
            if bad is not None:
                break
        out.append(bad)
        if bad is not None:
            continue
        _remember(item, markets, orders, rids)
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

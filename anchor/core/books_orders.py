"""The books' order side: orders, the order book rebuilt from order events, and the match
of every trade with its two fills.

Pure and streaming: it holds the open orders, the state of closed ones (to name a fill after
a cancel) and the fills and trade sides still waiting for their counterpart. Breaks go to
the ``emit`` callback (:class:`anchor.core.books_checks.Break`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anchor.core.books_checks import Break, OrderLine
from anchor.core.books_opening import OPENING, Opening

__all__ = ["OrderBooks"]

Emit = Callable[[Break], None]
_NO_LEVEL = (0, 0)  # a price level without orders


class _Order:
    __slots__ = ("account", "filled", "market", "price", "rids", "side", "size")

    def __init__(self, market: str, account: str, side: str, price: int, size: int) -> None:
        self.market = market
        self.account = account
        self.side = side
        self.price = price
        self.size = size
        self.filled = 0
        self.rids: list[str] = []


class OrderBooks:
    """Orders and books of every market, replayed event by event."""

    def __init__(self, emit: Emit, opening: Opening | None = None) -> None:
        self.emit = emit
        self.opening = opening  # takes order ids of earlier history (opening:<id>) as given
        self.open: dict[str, _Order] = {}
        self.closed: dict[str, str] = {}  # order id -> "cancelled" | "filled"
        # market -> (side, price) -> [quantity, order count]
        self.levels: dict[str, dict[tuple[str, int], list[int]]] = {}
        # fills waiting for their trade / trade sides waiting for their fill, per order id:
        # (quantity, price, record id, seq)
        self.fills_waiting: dict[str, list[tuple[int, int, str, int]]] = {}
        self.sides_waiting: dict[str, list[tuple[int, int, str, int]]] = {}
        self.seq = 0

    def _break(self, check: str, rids: tuple[str, ...], detail: str) -> None:
        self.emit(Break(check, rids, detail, self.seq))

    # ------------------------------------------------------------------ the book
    def _level(self, o: _Order, dq: int, dn: int) -> None:
        book = self.levels.setdefault(o.market, {})
        key = (o.side, o.price)
        lv = book.get(key)
        if lv is None:
            lv = book[key] = [0, 0]
        lv[0] += dq
        lv[1] += dn
        if lv[0] == 0 and lv[1] == 0:
            del book[key]

    def book_snapshot(self, rid: str, f: dict[str, Any]) -> None:
        market, side, price = f["market"], f["side"], int(f["price"])
        qty, count = int(f["quantity"]), int(f["order_count"])
        book = self.levels.get(market)
        lv = book.get((side, price), _NO_LEVEL) if book is not None else _NO_LEVEL
        if lv[0] != qty or lv[1] != count:
            self._break(
                "book_level",
                (rid,),
                f"{market} {side} {price}: snapshot {qty} in {count} orders, order events give"
                f" {lv[0]} in {lv[1]} orders",
            )

    # ------------------------------------------------------------------ order events
    def order_event(self, rid: str, f: dict[str, Any]) -> None:
        oid, action = f["order_id"], f["action"]
        price, qty = int(f["price"]), int(f["quantity"])
        if action == "new":
            if oid in self.open or oid in self.closed:
                self._break("duplicate_order", (rid,), f"order {oid} already exists")
                return
            new = _Order(f["market"], f["account"], f["side"], price, qty)
            new.rids.append(rid)
            if qty == 0:
                self.closed[oid] = "filled"
                return
            self.open[oid] = new
            self._level(new, qty, 1)
            return
        o = self.open.get(oid)
        if o is None:
            state = self.closed.get(oid)
            if state is None and self.opening is not None and oid.startswith(OPENING):
                self.opening.ref("order", oid)  # an order of earlier history: size unknown
                if action == "fill":
                    item = (qty, price, rid, self.seq)
                    self._match(oid, self.sides_waiting, self.fills_waiting, item)
            elif state is None:
                self._break("unknown_reference", (rid,), f"order_id {oid}: no such order")
            elif action == "fill" and state == "cancelled":
                self._break("fill_after_cancel", (rid,), f"order {oid} was cancelled; fill {qty}")
            elif action == "fill":
                self._break(
                    "fill_beyond_size", (rid,), f"order {oid} is fully filled; fill {qty} more"
                )
            else:
                self._break(action, (rid,), f"order {oid} is already {state}")
            return
        if (f["market"], f["account"], f["side"]) != (o.market, o.account, o.side):
            self._break(
                "order_mismatch",
                (o.rids[0], rid),
                f"order {oid} is {o.market}/{o.side}; this {action} says"
                f" {f['market']}/{f['side']} (or another account)",
            )
            return
        o.rids.append(rid)
        remaining = o.size - o.filled
        if action == "amend":
            if qty <= o.filled:
                self._break(
                    "amend",
                    tuple(o.rids),
                    f"order {oid}: amended to size {qty}, {o.filled} already filled",
                )
                return
            self._level(o, -remaining, -1)
            o.price, o.size = price, qty
            self._level(o, qty - o.filled, 1)
        elif action == "cancel":
            if qty != remaining:
                self._break(
                    "cancel",
                    tuple(o.rids),
                    f"order {oid}: cancels {qty}, remaining {o.size} - {o.filled} = {remaining}",
                )
            self._level(o, -remaining, -1)
            del self.open[oid]
            self.closed[oid] = "cancelled"
        else:  # fill
            if qty > remaining:
                self._break(
                    "fill_beyond_size",
                    tuple(o.rids),
                    f"order {oid}: size {o.size}, filled {o.filled} + {qty} = {o.filled + qty}",
                )
                qty = remaining
            o.filled += qty
            done = o.filled == o.size
            self._level(o, -qty, -1 if done else 0)
            if done:
                del self.open[oid]
                self.closed[oid] = "filled"
            self._match(oid, self.sides_waiting, self.fills_waiting, (qty, price, rid, self.seq))

    # ------------------------------------------------------------------ trades
    def trade(self, rid: str, f: dict[str, Any]) -> None:
        qty, price = int(f["quantity"]), int(f["price"])
        for oid, side, who in ((f["buy_order_id"], "buy", "buyer"), (f["sell_order_id"], "sell", "seller")):  # fmt: skip
            o = self.open.get(oid)
            if o is not None and (o.market, o.side, o.account) != (f["market"], side, f[who]):
                self._break(
                    "order_mismatch",
                    (o.rids[0], rid),
                    f"trade {rid}: {side} order {oid} is {o.market}/{o.side} of another account"
                    if o.account != f[who]
                    else f"trade {rid}: {side} order {oid} is {o.market}/{o.side}",
                )
            elif o is None and oid not in self.closed:
                if self.opening is not None and oid.startswith(OPENING):
                    self.opening.ref("order", oid)  # an order of earlier history
                else:
                    self._break(
                        "unknown_reference", (rid,), f"{side}_order_id {oid}: no such order"
                    )
            self._match(oid, self.fills_waiting, self.sides_waiting, (qty, price, rid, self.seq))

    @staticmethod
    def _match(
        oid: str,
        others: dict[str, list[tuple[int, int, str, int]]],
        mine: dict[str, list[tuple[int, int, str, int]]],
        item: tuple[int, int, str, int],
    ) -> None:
        waiting = others.get(oid)
        if waiting:
            for i, (q, p, _, _) in enumerate(waiting):
                if q == item[0] and p == item[1]:
                    del waiting[i]
                    if not waiting:
                        del others[oid]
                    return
        mine.setdefault(oid, []).append(item)

    def waiting(self) -> list[tuple[str, tuple[str, ...], str, int]]:
        """Every fill without its trade and every trade side without its fill:
        ``(check, record ids, arithmetic, seq)``."""
        out: list[tuple[str, tuple[str, ...], str, int]] = []
        for oid, items in self.fills_waiting.items():
            for q, p, rid, seq in items:
                out.append(
                    ("trade_fill", (rid,), f"fill of order {oid}: {q} at {p}, no trade", seq)
                )
        for oid, items in self.sides_waiting.items():
            for q, p, rid, seq in items:
                out.append(
                    (
                        "trade_fill",
                        (rid,),
                        f"trade {rid}: no fill of order {oid} for {q} at {p}",
                        seq,
                    )
                )
        return out

    def lines(self) -> list[OrderLine]:
        return [
            OrderLine(oid, o.market, o.account, o.side, o.price, o.size - o.filled, tuple(o.rids))
            for oid, o in sorted(self.open.items())
        ]

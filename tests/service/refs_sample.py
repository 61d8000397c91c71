"""A small consistent exchange history for the reference checks (issue 16, bad input), and
records that each name one unknown instrument, order, trade or mark."""

from __future__ import annotations

import json
from typing import Any

_TS = 1_700_000_000_000_000_000


def rec(kind: str, rid: str, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind, "version": 1, "record_id": rid, "ts_ns": str(_TS)}
    out.update({k: str(v) for k, v in fields.items()})
    return out


def instrument(market: str, itype: str = "perpetual", rid: str | None = None) -> dict[str, Any]:
    option = itype == "option"
    return rec(
        "instrument", rid or f"i-{market}", market=market, instrument_type=itype,
        base_asset="BTC", settlement_asset="USDC", contract_size=1,
        initial_margin_bps=0 if option else 1000, maintenance_margin_bps=0 if option else 500,
        expiry_ns=_TS + 10**15 if option else 0, strike=100 if option else 0,
        option_type="call" if option else "none",
    )  # fmt: skip


def order(rid: str, oid: str, account: str, action: str, side: str, qty: int,
          market: str = "PERP", price: int = 100) -> dict[str, Any]:  # fmt: skip
    return rec(
        "order_event", rid, market=market, order_id=oid, account=account, action=action,
        side=side, price=price, quantity=qty,
    )  # fmt: skip


def trade(rid: str, buy: str, sell: str, market: str = "PERP") -> dict[str, Any]:
    return rec(
        "trade", rid, market=market, buyer="alice", seller="bob", buy_order_id=buy,
        sell_order_id=sell, taker_side="buy", price=100, quantity=2, buyer_fee=2, seller_fee=1,
    )  # fmt: skip


def journal(rid: str, account: str, amount: int, reason: str, ref: str) -> dict[str, Any]:
    return rec(
        "journal", rid, account=account, asset="USDC", amount=amount, reason=reason,
        reference=ref,
    )  # fmt: skip


def mark(rid: str, market: str = "PERP", rate: int = 10**7) -> dict[str, Any]:
    return rec("mark_price", rid, market=market, mark_price=100, funding_rate=rate)


def book(rid: str, market: str = "PERP") -> dict[str, Any]:
    return rec("book_snapshot", rid, market=market, side="buy", price=100, quantity=0,
               order_count=0)  # fmt: skip


def position(rid: str, market: str = "PERP", collateral: int = 999_996) -> dict[str, Any]:
    return rec(
        "position", rid, account="alice", market=market, size=2, entry_price=100,
        collateral_asset="USDC", collateral=collateral, initial_margin=20, maintenance_margin=10,
    )  # fmt: skip


def history() -> list[dict[str, Any]]:
    """Two instruments, deposits, two orders matched by one trade with its fills and fees, a
    mark with its funding, snapshots: ``anchor books`` finds no break in it."""
    return [
        instrument("PERP"),
        instrument("OPT", "option"),
        journal("dep-a", "alice", 1_000_000, "deposit", "tx-a"),
        journal("dep-b", "bob", 1_000_000, "deposit", "tx-b"),
        order("o-1-new", "o-1", "alice", "new", "buy", 2),
        order("o-2-new", "o-2", "bob", "new", "sell", 2),
        trade("t-1", "o-1", "o-2"),
        order("o-1-fill", "o-1", "alice", "fill", "buy", 2),
        order("o-2-fill", "o-2", "bob", "fill", "sell", 2),
        journal("fee-a", "alice", -2, "fee", "t-1"),
        journal("fee-b", "bob", -1, "fee", "t-1"),
        journal("fee-x", "fees", 3, "fee", "t-1"),
        mark("m-1"),
        journal("fund-a", "alice", -2, "funding", "m-1"),
        journal("fund-b", "bob", 2, "funding", "m-1"),
        book("bk-1"),
        position("pos-a"),
    ]


# one record per kind of unknown reference: (record, field, value named, text of the why)
BAD: list[tuple[dict[str, Any], str, str, str]] = [
    (order("x-1", "o-9", "alice", "new", "buy", 1, market="NOPE"), "market", "NOPE",
     "no instrument record"),
    (order("x-2", "o-404", "alice", "cancel", "buy", 1), "order_id", "o-404", "no order_event"),
    (order("x-3", "o-405", "alice", "fill", "buy", 1), "order_id", "o-405", "no order_event"),
    (order("x-4", "o-406", "alice", "amend", "buy", 3), "order_id", "o-406", "no order_event"),
    (trade("x-5", "o-404", "o-2"), "buy_order_id", "o-404", "no order_event"),
    (trade("x-6", "o-1", "o-405"), "sell_order_id", "o-405", "no order_event"),
    (trade("x-7", "o-1", "o-2", market="NOPE"), "market", "NOPE", "no instrument record"),
    (book("x-8", market="NOPE"), "market", "NOPE", "no instrument record"),
    (position("x-9", market="NOPE"), "market", "NOPE", "no instrument record"),
    (mark("x-10", market="NOPE"), "market", "NOPE", "no instrument record"),
    (journal("x-11", "alice", -1, "fee", "t-404"), "reference", "t-404", "no trade record"),
    (journal("x-12", "alice", 5, "realized_pnl", "t-404"), "reference", "t-404",
     "no trade record"),
    (journal("x-13", "alice", -1, "funding", "m-404"), "reference", "m-404",
     "no mark_price record"),
    (journal("x-14", "alice", -1, "funding", "t-1"), "reference", "t-1",
     "is a trade, not a mark_price"),
    (journal("x-15", "alice", 1, "fee", "m-1"), "reference", "m-1", "is a mark_price, not a trade"),
    (journal("x-16", "alice", 1, "option_settlement", "PERP"), "reference", "PERP",
     "is a perpetual, not an option"),
    (journal("x-17", "alice", 1, "option_settlement", "NOPE"), "reference", "NOPE",
     "no instrument record"),
]  # fmt: skip

# accepted in strict mode: references declared as to earlier history, and good ones
DECLARED: list[dict[str, Any]] = [
    order("y-1", "opening:o-77", "alice", "fill", "buy", 1),
    order("y-2", "opening:o-78", "bob", "cancel", "sell", 4),
    trade("y-3", "opening:o-79", "opening:o-77"),
    journal("y-4", "alice", -1, "fee", "opening:t-70"),
    journal("y-5", "fees", 1, "fee", "opening:t-70"),
    journal("y-6", "alice", 3, "realized_pnl", "opening:t-70"),
    journal("y-7", "bob", -1, "funding", "opening:m-70"),
    journal("y-8", "insurance", 1, "funding", "opening:m-70"),
]


def ndjson(objs: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(o, separators=(",", ":")).encode() + b"\n" for o in objs)

"""Valid sample records for store and API tests."""

from __future__ import annotations

import json
from typing import Any


def balance(i: int, *, account: str | None = None, available: int | None = None) -> dict[str, Any]:
    return {
        "kind": "balance",
        "version": 1,
        "record_id": f"bal-{i}",
        "ts_ns": str(1_700_000_000_000_000_000 + i),
        "account": account if account is not None else f"acct-{i % 7}",
        "asset": "USDT",
        "available": str(1_000 * i if available is None else available),
        "locked": "0",
    }


def trade(i: int, *, buyer: str = "alice", seller: str = "bob") -> dict[str, Any]:
    return {
        "kind": "trade",
        "version": 1,
        "record_id": f"trd-{i}",
        "ts_ns": str(1_700_000_000_000_000_000 + i),
        "market": "BTC-USD",
        "buyer": buyer,
        "seller": seller,
        "buy_order_id": f"o-b-{i}",
        "sell_order_id": f"o-s-{i}",
        "taker_side": "buy",
        "price": "6500000",
        "quantity": str(i + 1),
        "buyer_fee": "10",
        "seller_fee": "-2",
    }


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def lines(records: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(r).encode() for r in records]


def mixed(n: int) -> list[dict[str, Any]]:
    """``n`` records alternating balances and trades."""
    return [
        trade(i, buyer=f"acct-{i % 5}", seller=f"acct-{(i + 1) % 5}") if i % 3 == 0 else balance(i)
        for i in range(n)
    ]

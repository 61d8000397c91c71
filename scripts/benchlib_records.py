"""The ingest benchmarks' record mix (scripts/bench_ingest.py, scripts/bench_ingest_refs.py):
record ``i`` of a kind at ``ts`` (its ts_ns), ``prefix`` before its record id, over 311
accounts and one market."""

from __future__ import annotations

from typing import Any


def trade(i: int, ts: str, buy_order: str, sell_order: str, prefix: str = "") -> dict[str, Any]:
    return {
        "kind": "trade", "version": 1, "record_id": f"{prefix}t-{i}", "ts_ns": ts,
        "market": "BTC-USD", "buyer": f"acct-{i % 311}", "seller": f"acct-{(i * 7) % 311}",
        "buy_order_id": buy_order, "sell_order_id": sell_order, "taker_side": "buy",
        "price": str(6_500_000 + i % 1000), "quantity": str(1 + i % 50),
        "buyer_fee": "12", "seller_fee": "-3",
    }  # fmt: skip


def new_order(i: int, ts: str, prefix: str = "") -> dict[str, Any]:
    return {
        "kind": "order_event", "version": 1, "record_id": f"{prefix}e-{i}", "ts_ns": ts,
        "market": "BTC-USD", "order_id": f"o-{i}", "account": f"acct-{i % 311}",
        "action": "new", "side": "sell", "price": str(6_500_000 + i % 1000),
        "quantity": str(1 + i % 50),
    }  # fmt: skip


def balance(i: int, ts: str, prefix: str = "") -> dict[str, Any]:
    return {
        "kind": "balance", "version": 1, "record_id": f"{prefix}b-{i}", "ts_ns": ts,
        "account": f"acct-{i % 311}", "asset": "USDT", "available": str(i * 1000),
        "locked": str(i % 7),
    }  # fmt: skip

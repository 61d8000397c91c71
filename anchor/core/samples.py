"""Deterministic sample exchange records (for demos, test vectors and benchmarks).

``sample_record_objs(n, seed)`` yields JSON-ready dicts of every kind, round-robin;
``sample_records(n, seed)`` parses them. Same seed, same records. These are valid one by
one, not a consistent history: :mod:`anchor.core.books_samples` generates an exchange
history whose books replay without a break.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from anchor.core.records import KINDS, Record, parse_record
from anchor.core.schemas import INSTRUMENT_TYPES, OPTION_TYPES, REASONS

__all__ = ["sample_record_objs", "sample_records"]

_MARKETS = ("BTC-PERP", "ETH-PERP", "SOL-PERP", "BTC-USD")
_ASSETS = ("USDC", "BTC", "ETH", "USDT")


def sample_record_objs(
    n: int,
    seed: int = 0,
    *,
    accounts: int = 100,
    id_prefix: str = "r",
    kinds: Sequence[str] = KINDS,
) -> Iterator[dict[str, Any]]:
    """``n`` valid record objects cycling through ``kinds`` (default: every kind)."""
    rnd = random.Random(seed)
    base_ts = 1_750_000_000_000_000_000
    for i in range(n):
        kind = kinds[i % len(kinds)]
        ts = base_ts + i * 1_000_000 + rnd.randrange(1_000_000)
        acc = f"acct-{rnd.randrange(accounts):05d}"
        market = rnd.choice(_MARKETS)
        price = str(rnd.randrange(1, 10**12))
        qty = str(rnd.randrange(1, 10**9))
        rid = f"{id_prefix}{seed}-{i:08d}"
        obj: dict[str, Any] = {"kind": kind, "version": 1, "record_id": rid, "ts_ns": str(ts)}
        if kind == "order_event":
            obj.update(
                market=market,
                order_id=f"o-{rnd.randrange(10**9)}",
                account=acc,
                action=rnd.choice(("new", "amend", "cancel", "fill")),
                side=rnd.choice(("buy", "sell")),
                price=price,
                quantity=qty,
            )
        elif kind == "book_snapshot":
            obj.update(
                market=market,
                side=rnd.choice(("buy", "sell")),
                price=price,
                quantity=qty,
                order_count=rnd.randrange(1, 500),
            )
        elif kind == "trade":
            other = f"acct-{rnd.randrange(accounts):05d}"
            obj.update(
                market=market,
                buyer=acc,
                seller=other,
                buy_order_id=f"o-{rnd.randrange(10**9)}",
                sell_order_id=f"o-{rnd.randrange(10**9)}",
                taker_side=rnd.choice(("buy", "sell")),
                price=price,
                quantity=qty,
                buyer_fee=str(rnd.randrange(-1000, 10**6)),
                seller_fee=str(rnd.randrange(-1000, 10**6)),
            )
        elif kind == "balance":
            obj.update(
                account=acc,
                asset=rnd.choice(_ASSETS),
                available=str(rnd.randrange(10**15)),
                locked=str(rnd.randrange(10**12)),
            )
        elif kind == "instrument":
            obj.update(_instrument(rnd, market))
        elif kind == "journal":
            obj.update(
                account=acc,
                asset=rnd.choice(_ASSETS),
                amount=str(rnd.randrange(-(10**12), 10**12)),
                reason=rnd.choice(REASONS),
                reference=f"ref-{rnd.randrange(10**9)}",
            )
        elif kind == "mark_price":
            obj.update(
                market=market, mark_price=price, funding_rate=str(rnd.randrange(-50_000, 50_000))
            )
        else:  # position
            obj.update(
                account=acc,
                market=market,
                size=str(rnd.randrange(-(10**9), 10**9)),
                entry_price=price,
                collateral_asset=rnd.choice(_ASSETS),
                collateral=str(rnd.randrange(10**15)),
                initial_margin=str(rnd.randrange(10**12)),
                maintenance_margin=str(rnd.randrange(10**11)),
            )
        yield obj


def _instrument(rnd: random.Random, market: str) -> dict[str, Any]:
    itype = rnd.choice(INSTRUMENT_TYPES)
    option = itype == "option"
    return {
        "market": market,
        "instrument_type": itype,
        "base_asset": rnd.choice(_ASSETS),
        "settlement_asset": rnd.choice(_ASSETS),
        "contract_size": str(rnd.randrange(1, 10**8)),
        "initial_margin_bps": rnd.randrange(0, 5000),
        "maintenance_margin_bps": rnd.randrange(0, 2500),
        "expiry_ns": str(1_760_000_000_000_000_000 if itype in ("future", "option") else 0),
        "strike": str(rnd.randrange(1, 10**12) if option else 0),
        "option_type": rnd.choice(OPTION_TYPES[1:]) if option else "none",
    }


def sample_records(n: int, seed: int = 0, **options: Any) -> list[Record]:
    """``n`` parsed sample records; ``options`` as :func:`sample_record_objs` takes them."""
    return [parse_record(o) for o in sample_record_objs(n, seed, **options)]

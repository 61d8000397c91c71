"""The books' state and arithmetic (used by :mod:`anchor.core.books`): an instrument as its
record defines it, a position (signed size, entry cost, realized PnL), and the integer rules
of docs/records.md ("Books") -- margin at a mark, funding, an option's payoff."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

FUNDING_SCALE: Final = 10**9  # funding_rate is in parts per 10^9 of the notional
MARGIN_SCALE: Final = 10_000  # margin rates are in basis points


class Instrument:
    __slots__ = ("base", "dated", "expired", "expiry", "im", "kind", "mm", "option", "rid",
                 "settle", "size", "strike")  # fmt: skip

    def __init__(self, rid: str, f: Mapping[str, Any]) -> None:
        self.rid = rid
        self.kind = f["instrument_type"]
        self.base = f["base_asset"]
        self.settle = f["settlement_asset"]
        self.size = int(f["contract_size"])
        self.im = int(f["initial_margin_bps"])
        self.mm = int(f["maintenance_margin_bps"])
        self.expiry = int(f["expiry_ns"])
        self.strike = int(f["strike"])
        self.option = f["option_type"]
        self.dated = self.kind == "future" and self.expiry > 0  # trades until its expiry
        self.expired = False  # a mark after the expiry was seen (open positions flagged once)


class Position:
    __slots__ = ("cost", "realized", "rids", "size")

    def __init__(self) -> None:
        self.size = 0
        self.cost = 0  # signed: sum of price x quantity of the open part (negative short)
        self.realized = 0
        self.rids: list[str] = []

    @property
    def entry(self) -> int:
        return abs(self.cost) // abs(self.size) if self.size else 0


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def margin(size: int, mark: int, bps: int) -> int:
    """``ceil(|size| x mark x bps / 10^4)``: a margin requirement at a mark price."""
    return _ceil_div(abs(size) * mark * bps, MARGIN_SCALE)


def funding_payment(size: int, mark: int, rate: int) -> int:
    """What a position receives (negative: pays) at a funding rate:
    ``floor(-size x mark x rate / 10^9)`` -- payers round up, the remainder goes to the
    insurance fund under the same reference."""
    return (-size * mark * rate) // FUNDING_SCALE


def option_payoff(inst: Instrument, settle_price: int) -> int:
    if inst.option == "call":
        return max(0, settle_price - inst.strike)
    return max(0, inst.strike - settle_price)

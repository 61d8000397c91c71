"""The books' checks: what a break is, the names of the checks, and the report.

A :class:`Break` names one check that failed, the record ids involved (each can be proven
with a proof bundle) and the arithmetic that does not add up, as text. The replay
(:mod:`anchor.core.books`) finds them; this module only describes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Final

from anchor.core.json_fields import json_fields

__all__ = [
    "CHECKS",
    "BalanceLine",
    "BooksReport",
    "Break",
    "OrderLine",
    "PositionLine",
]

# every check, by the name a break carries (docs/records.md, "Books")
CHECKS: Final = {
    "balance_snapshot": "a balance snapshot's available + locked differs from the replayed balance",
    "position_snapshot": "a position snapshot differs from the replayed position",
    "negative_balance": "a balance fell below zero",
    "journal_sign": "a deposit that is not positive or a withdrawal that is not negative",
    "conservation": "the entries of one reference and asset do not sum to zero (money created "
    "or destroyed)",
    "realized_pnl": "realized PnL entries of a trade differ from the PnL its fills realize",
    "funding": "a funding payment differs from size x mark x rate",
    "option_settlement": "an option settlement differs from size x payoff at expiry",
    "trade_fee": "the fee entries of a trade differ from the trade's fees",
    "trade_fill": "a trade without its two fills, or a fill without its trade",
    "unknown_reference": "a record names an instrument, order or trade never seen",
    "duplicate_order": "a new order reuses an order id",
    "fill_after_cancel": "a fill of an order already cancelled",
    "fill_beyond_size": "fills exceeding the order's size",
    "order_mismatch": "an event whose market, account or side differs from its order's",
    "amend": "an amend of a closed order, or below what is already filled",
    "cancel": "a cancel of a closed order, or of another size than what remains",
    "book_level": "a book snapshot level differs from the book rebuilt from order events",
    "margin": "collateral below maintenance margin at a mark price, no liquidation following",
    "expired": "a dated future's order event or trade after its expiry, or a position still"
    " open at its first mark after the expiry",
}


@dataclass(frozen=True, slots=True)
class Break:
    """One failed check: its name, the records involved and the arithmetic."""

    check: str
    record_ids: tuple[str, ...]
    detail: str
    seq: int = 0  # where the replay stood when it found the break

    def to_json(self) -> dict[str, Any]:
        return json_fields(self, "check record_ids detail seq")


class _Line:
    """A line of the books at the end of a replay; as JSON, its fields in order, amounts as
    decimal strings and the record ids as a list."""

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        return {f.name: _json_value(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


def _json_value(value: str | int | tuple[str, ...]) -> str | list[str]:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True, slots=True)
class BalanceLine(_Line):
    account: str
    asset: str
    balance: int
    record_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PositionLine(_Line):
    account: str
    market: str
    size: int
    entry_price: int
    realized_pnl: int
    record_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrderLine(_Line):
    order_id: str
    market: str
    account: str
    side: str
    price: int
    remaining: int
    record_ids: tuple[str, ...]


@dataclass(frozen=True)
class BooksReport:
    """What a replay found: counts, the per-asset totals, every break and (when asked)
    the books at the end of the replay."""

    records: int
    last_seq: int
    last_batch: int | None
    breaks: tuple[Break, ...]
    totals: dict[str, dict[str, int]]  # asset -> deposits, withdrawals, balances, ...
    balances: tuple[BalanceLine, ...] = ()
    positions: tuple[PositionLine, ...] = ()
    open_orders: tuple[OrderLine, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # what the replay took from a declared opening snapshot and earlier history (None: it
    # starts at the exchange's beginning; anchor.core.books_opening)
    opening: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.breaks

    def breaks_by_check(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for b in self.breaks:
            out[b.check] = out.get(b.check, 0) + 1
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        out = json_fields(self, "ok records last_seq last_batch breaks breaks_by_check")
        out["totals"] = {a: {k: str(v) for k, v in t.items()} for a, t in self.totals.items()}
        out.update(json_fields(self, "balances positions open_orders notes"))
        if self.opening is not None:
            out["opening"] = self.opening
        return out

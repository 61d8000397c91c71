"""A small exchange that writes a consistent history (for tests, the demo and benchmarks).

:func:`exchange_history` yields record objects of every kind that replay without a break:
instruments (a spot market, a perpetual and a call option), deposits, limit orders matched
by a price-time matching engine (fills, trades with taker fees and maker rebates), realized
PnL on the perpetual, mark prices with funding (the rounding remainder to the insurance
fund), cancels and amends, book / balance / position snapshots, withdrawals and, at the end,
the option's expiry and settlement. Same seed, same history.

The arithmetic the exchange must follow (PnL, funding, margins) is the core's own
(:mod:`anchor.core.books`): the engine feeds each record it writes to a
:class:`anchor.core.books.Replay` and pays what the replay expects.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from anchor.core.books import Replay, margin

__all__ = ["FEE_ACCOUNT", "INSURANCE_ACCOUNT", "exchange_history", "exchange_steps"]

FEE_ACCOUNT = "exchange-fees"
INSURANCE_ACCOUNT = "insurance-fund"
_BASE_TS = 1_760_000_000_000_000_000
_TAKER_BPS = 5  # taker fee, basis points of the notional
_MAKER_REBATE_BPS = 1
_SPOT, _PERP, _OPTION = "BTC-USDC", "BTC-PERP", "BTC-C-70000"
_MARKETS = (_SPOT, _PERP, _OPTION)


class _Engine:
    def __init__(self, seed: int, accounts: int, prefix: str) -> None:
        self.rnd = random.Random(seed)
        self.users = [f"user-{i:04d}" for i in range(accounts)]
        self.prefix = prefix
        self.n = 0
        self.orders = 0
        self.replay = Replay()
        self.out: list[dict[str, Any]] = []
        # market -> side -> resting [order id, account, price, remaining]
        self.book: dict[str, dict[str, list[list[Any]]]] = {
            m: {"buy": [], "sell": []} for m in _MARKETS
        }
        self.mid = {_SPOT: 60_000, _PERP: 60_000, _OPTION: 2_000}

    def emit(self, kind: str, **fields: Any) -> str:
        self.n += 1
        rid = f"{self.prefix}-{self.n:08d}"
        obj = {"kind": kind, "version": 1, "record_id": rid, "ts_ns": str(_BASE_TS + self.n)}
        obj.update({k: v if isinstance(v, str) else str(v) for k, v in fields.items()})
        self.replay.apply(self.n, None, obj)
        self.out.append(obj)
        return rid

    def journal(self, account: str, asset: str, amount: int, reason: str, ref: str) -> None:
        if amount:
            self.emit("journal", account=account, asset=asset, amount=amount, reason=reason,
                      reference=ref)  # fmt: skip

    # ------------------------------------------------------------------ set-up
    def open(self) -> None:
        none = {"expiry_ns": 0, "strike": 0, "option_type": "none"}
        self.emit("instrument", market=_SPOT, instrument_type="spot", base_asset="BTC",
                  settlement_asset="USDC", contract_size=1000, initial_margin_bps=0,
                  maintenance_margin_bps=0, **none)  # fmt: skip
        self.emit("instrument", market=_PERP, instrument_type="perpetual", base_asset="BTC",
                  settlement_asset="USDC", contract_size=1, initial_margin_bps=1000,
                  maintenance_margin_bps=500, **none)  # fmt: skip
        self.emit("instrument", market=_OPTION, instrument_type="option", base_asset="BTC",
                  settlement_asset="USDC", contract_size=1, initial_margin_bps=0,
                  maintenance_margin_bps=0, expiry_ns=_BASE_TS + 10**15, strike=70_000,
                  option_type="call")  # fmt: skip
        for i, u in enumerate(self.users):
            self.journal(u, "USDC", 50_000_000_000, "deposit", f"dep-usdc-{i}")
            self.journal(u, "BTC", 5_000_000, "deposit", f"dep-btc-{i}")

    # ------------------------------------------------------------------ orders
    def order(self, market: str) -> None:
        r = self.rnd
        account = r.choice(self.users)
        side = r.choice(("buy", "sell"))
        if market == _SPOT:  # keep both legs of a spot trade affordable
            if self.replay.balances.get((account, "BTC"), 0) < 100_000:
                side = "buy"
            elif self.replay.balances.get((account, "USDC"), 0) < 100_000_000:
                side = "sell"
        step = 1 if market == _OPTION else 5
        off = r.randrange(-6, 7) * step
        price = max(1, self.mid[market] + (off if side == "buy" else -off))
        qty = r.randrange(1, 20)
        self.orders += 1
        oid = f"o-{self.prefix}-{self.orders}"
        self.emit("order_event", market=market, order_id=oid, account=account, action="new",
                  side=side, price=price, quantity=qty)  # fmt: skip
        other = "sell" if side == "buy" else "buy"
        resting = self.book[market][other]
        left = qty
        while left and resting:
            best = min(resting, key=lambda o: (o[2] if side == "buy" else -o[2], o[4]))
            if (price < best[2]) if side == "buy" else (price > best[2]):
                break
            q = min(left, best[3])
            self.trade(market, side, (oid, account), best, q)
            left -= q
            best[3] -= q
            if best[3] == 0:
                resting.remove(best)
        if left:
            self.book[market][side].append([oid, account, price, left, self.n])

    def trade(self, market: str, side: str, taker: tuple[str, str], maker: list[Any],
              q: int) -> None:  # fmt: skip
        price = maker[2]
        oid, account = taker
        self.emit("order_event", market=market, order_id=maker[0], account=maker[1],
                  action="fill", side="sell" if side == "buy" else "buy", price=price,
                  quantity=q)  # fmt: skip
        self.emit("order_event", market=market, order_id=oid, account=account, action="fill",
                  side=side, price=price, quantity=q)  # fmt: skip
        notional = price * q
        taker_fee = notional * _TAKER_BPS // 10_000
        maker_fee = -(notional * _MAKER_REBATE_BPS // 10_000)
        buy, sell = (
            (taker, (maker[0], maker[1])) if side == "buy" else ((maker[0], maker[1]), taker)
        )
        buyer_fee, seller_fee = (taker_fee, maker_fee) if side == "buy" else (maker_fee, taker_fee)
        rid = self.emit("trade", market=market, buyer=buy[1], seller=sell[1],
                        buy_order_id=buy[0], sell_order_id=sell[0], taker_side=side,
                        price=price, quantity=q, buyer_fee=buyer_fee,
                        seller_fee=seller_fee)  # fmt: skip
        for who, fee in ((buy[1], buyer_fee), (sell[1], seller_fee)):
            self.journal(who, "USDC", -fee, "fee", rid)
        self.journal(FEE_ACCOUNT, "USDC", buyer_fee + seller_fee, "fee", rid)
        for (ref, who), (amount, *_) in list(self.replay.pnl.items()):
            self.journal(who, "USDC", amount, "realized_pnl", ref)

    def cancel_or_amend(self) -> None:
        r = self.rnd
        market = r.choice(_MARKETS)
        side = r.choice(("buy", "sell"))
        resting = self.book[market][side]
        if not resting:
            return
        o = r.choice(resting)
        if r.random() < 0.6:
            self.emit("order_event", market=market, order_id=o[0], account=o[1], action="cancel",
                      side=side, price=o[2], quantity=o[3])  # fmt: skip
            resting.remove(o)
        else:
            filled = self.replay.orders.open[o[0]].filled
            o[3] += r.randrange(1, 5)
            self.emit("order_event", market=market, order_id=o[0], account=o[1], action="amend",
                      side=side, price=o[2], quantity=filled + o[3])  # fmt: skip
            o[4] = self.n  # an amend loses time priority

    # ------------------------------------------------------------------ marks and snapshots
    def mark(self) -> None:
        self.mid[_PERP] = max(1000, self.mid[_PERP] + self.rnd.randrange(-50, 51))
        rate = self.rnd.randrange(-300, 301)
        rid = self.emit("mark_price", market=_PERP, mark_price=self.mid[_PERP], funding_rate=rate)
        paid = 0
        for (ref, who), (amount, *_) in list(self.replay.funding.items()):
            if ref == rid:
                self.journal(who, "USDC", amount, "funding", rid)
                paid += amount
        self.journal(INSURANCE_ACCOUNT, "USDC", -paid, "insurance_fund", rid)

    def snapshots(self) -> None:
        r = self.rnd
        rp = self.replay
        for _ in range(2):
            account, asset = r.choice(sorted(rp.balances))
            have = rp.balances[(account, asset)]
            locked = r.randrange(0, have + 1) if have > 0 else 0
            self.emit("balance", account=account, asset=asset, available=have - locked,
                      locked=locked)  # fmt: skip
        held = sorted(k for k, p in rp.positions.items() if p.size and k[1] == _PERP)
        if held:
            account, market = r.choice(held)
            p = rp.positions[(account, market)]
            mark = rp.marks.get(market, (0, ""))[0]
            self.emit("position", account=account, market=market, size=p.size,
                      entry_price=p.entry, collateral_asset="USDC",
                      collateral=rp.balances.get((account, "USDC"), 0),
                      initial_margin=margin(p.size, mark, 1000),
                      maintenance_margin=margin(p.size, mark, 500))  # fmt: skip
        market = r.choice(_MARKETS)
        levels: dict[tuple[str, int], list[int]] = {}
        for side, resting in self.book[market].items():
            for o in resting:
                lv = levels.setdefault((side, o[2]), [0, 0])
                lv[0] += o[3]
                lv[1] += 1
        for (side, price), (qty, count) in sorted(levels.items()):
            self.emit("book_snapshot", market=market, side=side, price=price, quantity=qty,
                      order_count=count)  # fmt: skip

    def close(self) -> None:
        """Withdrawals, then the option expires at a settlement mark of 71 000."""
        for i, u in enumerate(self.users[: max(1, len(self.users) // 3)]):
            have = self.replay.balances.get((u, "USDC"), 0)
            self.journal(u, "USDC", -(have // 10), "withdrawal", f"wd-{i}")
        for side in ("buy", "sell"):
            for o in list(self.book[_OPTION][side]):
                self.emit("order_event", market=_OPTION, order_id=o[0], account=o[1],
                          action="cancel", side=side, price=o[2], quantity=o[3])  # fmt: skip
            self.book[_OPTION][side].clear()
        mark = self.emit("mark_price", market=_OPTION, mark_price=71_000, funding_rate=0)
        del mark
        for (account, market), p in sorted(self.replay.positions.items()):
            if market == _OPTION and p.size:
                self.journal(account, "USDC", p.size * 1_000, "option_settlement", _OPTION)


def exchange_steps(
    steps: int, seed: int = 0, *, accounts: int = 12, prefix: str = "x"
) -> Iterator[list[dict[str, Any]]]:
    """The history of :func:`exchange_history`, one list per step of the engine (the opening,
    each step, the close): a history cut after any list replays without a break (a trade
    comes with its fee and PnL entries, a mark with its funding payments)."""
    e = _Engine(seed, accounts, prefix)
    e.open()
    yield e.out
    r = e.rnd
    for step in range(steps):
        e.out = []
        x = r.random()
        if x < 0.55:
            e.order(r.choice(_MARKETS) if r.random() < 0.9 else _OPTION)
        elif x < 0.75:
            e.cancel_or_amend()
        elif x < 0.85:
            e.mark()
        else:
            e.snapshots()
        if step % 50 == 49:
            e.mid[_SPOT] = e.mid[_PERP]
        if e.out:
            yield e.out
    e.out = []
    e.close()
    yield e.out


def exchange_history(
    steps: int, seed: int = 0, *, accounts: int = 12, prefix: str = "x"
) -> Iterator[dict[str, Any]]:
    """A consistent exchange history of about ``4 * steps`` records (objects, JSON-ready)."""
    for records in exchange_steps(steps, seed, accounts=accounts, prefix=prefix):
        yield from records

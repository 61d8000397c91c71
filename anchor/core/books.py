"""The books' replay: balances, positions, collateral and margin from the anchored records.

Pure and streaming: :func:`replay` (or :class:`Replay` fed record by record) reads records
in sequence order -- canonical JSON objects as the store and the backups hold them -- and
keeps only the current state: balances per account and asset, positions per account and
market (size, entry cost, realized PnL), open orders and book levels (in
:mod:`anchor.core.books_orders`), the last mark of each market, and the expectations still
open (a trade's fee and PnL entries, funding payments, an under-margined position). Every
check of docs/records.md ("Books") that fails is a :class:`anchor.core.books_checks.Break`
naming the record ids and the arithmetic. Integers only: amounts are in the smallest unit,
prices in settlement-asset units per contract, rates in parts per 10^9 (funding) and basis
points (margin).

``provenance=True`` also keeps, per balance, position and open order, the ids of the
records it derives from since the last snapshot that matched it (``anchor books
--at-batch``), so each line can be proven record by record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from anchor.core.books_checks import (
    BalanceLine,
    BooksReport,
    Break,
    PositionLine,
)
from anchor.core.books_opening import OPENING, Opening
from anchor.core.books_orders import OrderBooks
from anchor.core.books_state import (
    FUNDING_SCALE,
    MARGIN_SCALE,
    Instrument,
    Position,
    funding_payment,
    margin,
    option_payoff,
)

__all__ = ["FUNDING_SCALE", "MARGIN_SCALE", "Replay", "funding_payment", "margin", "replay"]

# reasons whose entries of one (reference, asset) sum to zero: money moves, never appears
_ZERO_SUM: Final = frozenset(
    {"fee", "funding", "liquidation", "insurance_fund", "transfer", "option_settlement"}
)
_KEEP_IDS: Final = 12  # record ids kept per open expectation (the first ones)


class Replay:
    """Books replayed record by record (:meth:`apply`), then :meth:`finish`."""

    def __init__(self, *, provenance: bool = False) -> None:
        self.provenance = provenance
        self.breaks: list[Break] = []
        self.opening = Opening()  # the declared opening snapshot and earlier history
        self.orders = OrderBooks(self.breaks.append, self.opening)
        self.instruments: dict[str, Instrument] = {}
        self.balances: dict[tuple[str, str], int] = {}
        self.bal_rids: dict[tuple[str, str], list[str]] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        # market -> account -> its open position (a mark price touches only these)
        self.holders: dict[str, dict[str, Position]] = {}
        self.marks: dict[str, tuple[int, str]] = {}  # market -> (mark price, record id)
        # open expectations, (reference, account) -> [amount still to come, record ids]
        self.fees: dict[tuple[str, str], list[Any]] = {}
        self.pnl: dict[tuple[str, str], list[Any]] = {}
        self.funding: dict[tuple[str, str], list[Any]] = {}
        self.groups: dict[tuple[str, str], list[Any]] = {}  # (reference, asset) -> sum, ids
        # (account, market) -> (mark record id, arithmetic, seq)
        self.under: dict[tuple[str, str], tuple[str, str, int]] = {}
        self.totals: dict[str, dict[str, int]] = {}
        self.unknown_markets: set[str] = set()
        self.records = 0
        self.seq = 0
        self.batch: int | None = None

    # ------------------------------------------------------------------ helpers
    def _break(self, check: str, rids: tuple[str, ...], detail: str) -> None:
        self.breaks.append(Break(check, rids, detail, self.seq))

    def _total(self, asset: str, name: str, amount: int) -> None:
        t = self.totals.get(asset)
        if t is None:
            t = self.totals[asset] = {"deposits": 0, "withdrawals": 0, "realized_pnl": 0}
        t[name] += amount

    def _add(self, account: str, asset: str, delta: int, rid: str) -> None:
        key = (account, asset)
        before = self.balances.get(key, 0)
        after = self.balances[key] = before + delta
        if self.provenance:
            self.bal_rids.setdefault(key, []).append(rid)
        if after < 0 <= before:
            self._break(
                "negative_balance",
                (rid,),
                f"{account} {asset}: {before} {delta:+d} = {after}",
            )

    def _instrument(self, market: str, rid: str) -> Instrument | None:
        inst = self.instruments.get(market)
        if inst is None and market not in self.unknown_markets:
            self.unknown_markets.add(market)
            self._break("unknown_reference", (rid,), f"market {market}: no instrument record")
        return inst

    def _expect(self, table: dict[tuple[str, str], list[Any]], key: tuple[str, str],
                amount: int, rid: str) -> None:  # fmt: skip
        """Add ``amount`` to what is still expected under ``key`` (a journal entry
        subtracts what it brings); the entry goes when it reaches zero. Each entry is
        ``[amount, record ids, seq where it opened]``."""
        e = table.get(key)
        if e is None:
            if amount:
                table[key] = [amount, [rid], self.seq]
            return
        e[0] += amount
        if len(e[1]) < _KEEP_IDS:
            e[1].append(rid)
        if e[0] == 0:
            del table[key]

    # ------------------------------------------------------------------ replay
    def apply(self, seq: int, batch_id: int | None, obj: Mapping[str, Any]) -> None:
        """Replay one record (its canonical JSON object) at ``seq`` of ``batch_id``."""
        self.seq = seq
        self.batch = batch_id
        self.records += 1
        self.orders.seq = seq
        kind = obj["kind"]
        rid = obj["record_id"]
        if self.opening.head:
            if not rid.startswith(OPENING):
                self.opening.head = False
            elif self.opening.snapshot(self, kind, rid, obj):
                return
        # the most frequent kinds first: a history is mostly journal entries and snapshots
        if kind == "journal":
            self._journal(rid, obj)
        elif kind == "book_snapshot":
            self.orders.book_snapshot(rid, obj)  # type: ignore[arg-type]
        elif kind == "order_event":
            self._check_market(obj["market"], rid, obj)
            self.orders.order_event(rid, obj)  # type: ignore[arg-type]
        elif kind == "trade":
            self._trade(rid, obj)
        elif kind == "balance":
            self._balance_snapshot(rid, obj)
        elif kind == "position":
            self._position_snapshot(rid, obj)
        elif kind == "mark_price":
            self._mark(rid, obj)
        elif kind == "instrument":
            self.instruments[obj["market"]] = Instrument(rid, obj)

    def _check_market(self, market: str, rid: str, f: Mapping[str, Any]) -> None:
        inst = self.instruments.get(market)
        if inst is None:
            self._instrument(market, rid)
        elif inst.dated:
            self._after_expiry(inst, rid, f)

    def _after_expiry(self, inst: Instrument, rid: str, f: Mapping[str, Any]) -> None:
        """A dated future trades until its expiry: an order event or trade after it breaks."""
        ts = int(f["ts_ns"])
        if ts > inst.expiry:
            self._break(
                "expired",
                (rid, inst.rid),
                f"{f['market']}: {f['kind']} at {ts}, after the future's expiry at {inst.expiry}",
            )

    def _position(self, account: str, market: str) -> Position:
        p = self.positions.get((account, market))
        if p is None:
            p = self.positions[(account, market)] = Position()
        return p

    def _fill(self, account: str, market: str, qty: int, price: int, rid: str) -> int:
        """A position takes a signed fill; the PnL it realizes (entry cost taken off
        pro rata, rounded down in size)."""
        p = self._position(account, market)
        if self.provenance:
            p.rids.append(rid)
        realized = 0
        if p.size == 0 or (p.size > 0) == (qty > 0):
            p.size += qty
            p.cost += qty * price
        else:
            closing = min(abs(qty), abs(p.size))
            sign = 1 if p.size > 0 else -1
            removed = sign * (abs(p.cost) * closing // abs(p.size))
            realized = sign * price * closing - removed
            p.cost -= removed
            p.size -= sign * closing
            p.realized += realized
            rest = abs(qty) - closing
            if p.size == 0:
                p.cost = 0
            if rest:
                p.size = -sign * rest
                p.cost = -sign * rest * price
        holders = self.holders.get(market)
        if holders is None:
            holders = self.holders[market] = {}
        if p.size:
            holders[account] = p
        else:
            holders.pop(account, None)
            self.under.pop((account, market), None)
        return realized

    def _trade(self, rid: str, f: Mapping[str, Any]) -> None:
        self.orders.trade(rid, f)  # type: ignore[arg-type]
        market = f["market"]
        inst = self._instrument(market, rid)
        if inst is None:
            return
        if inst.dated:
            self._after_expiry(inst, rid, f)
        buyer, seller = f["buyer"], f["seller"]
        qty, price = int(f["quantity"]), int(f["price"])
        settle = inst.settle
        if inst.kind == "spot":
            self._add(buyer, inst.base, qty * inst.size, rid)
            self._add(seller, inst.base, -qty * inst.size, rid)
        if inst.kind in ("spot", "option"):  # paid in full at the trade (an option's premium)
            self._add(buyer, settle, -qty * price, rid)
            self._add(seller, settle, qty * price, rid)
        if inst.kind != "spot":
            for account, signed in ((buyer, qty), (seller, -qty)):
                realized = self._fill(account, market, signed, price, rid)
                if inst.kind != "option":
                    self._expect(self.pnl, (rid, account), realized, rid)
        self._expect(self.fees, (rid, buyer), -int(f["buyer_fee"]), rid)
        self._expect(self.fees, (rid, seller), -int(f["seller_fee"]), rid)

    def _journal(self, rid: str, f: Mapping[str, Any]) -> None:
        account, asset, ref = f["account"], f["asset"], f["reference"]
        amount, reason = int(f["amount"]), f["reason"]
        key = (account, asset)
        balances = self.balances
        before = balances.get(key, 0)
        after = balances[key] = before + amount
        if self.provenance:
            self.bal_rids.setdefault(key, []).append(rid)
        if after < 0 <= before:
            self._break(
                "negative_balance", (rid,), f"{account} {asset}: {before} {amount:+d} = {after}"
            )
        if reason == "funding":  # the most frequent: one entry per position at each mark
            e = self.funding.get((ref, account))
            if e is not None:  # _expect inlined
                e[0] -= amount
                if len(e[1]) < _KEEP_IDS:
                    e[1].append(rid)
                if e[0] == 0:
                    del self.funding[(ref, account)]
            elif ref.startswith(OPENING):
                self.opening.ref("mark", ref)
        elif reason == "deposit" or reason == "withdrawal":
            if (amount > 0) != (reason == "deposit") or amount == 0:
                self._break("journal_sign", (rid,), f"{reason} of {amount} {asset} for {account}")
            self._total(asset, reason + "s", amount)
            return
        elif reason == "realized_pnl":
            self._total(asset, "realized_pnl", amount)
            if ref.startswith(OPENING):
                self.opening.ref("trade", ref)
            else:
                self._expect(self.pnl, (ref, account), -amount, rid)
            return
        elif reason == "fee" and (ref, account) in self.fees:
            self._expect(self.fees, (ref, account), -amount, rid)
        elif reason == "fee" and ref.startswith(OPENING):
            self.opening.ref("trade", ref)
        elif reason == "option_settlement":
            self._settle_option(rid, account, ref, amount)
        elif reason == "liquidation":
            for k in [k for k in self.under if k[0] == account]:
                del self.under[k]
        groups = self.groups
        g = groups.get((ref, asset))
        if g is None:
            if amount:
                groups[(ref, asset)] = [amount, [rid], self.seq]
            return
        g[0] += amount
        if len(g[1]) < _KEEP_IDS:
            g[1].append(rid)
        if g[0] == 0:
            del groups[(ref, asset)]

    def _settle_option(self, rid: str, account: str, market: str, amount: int) -> None:
        inst = self._instrument(market, rid)
        p = self.positions.get((account, market))
        mark = self.marks.get(market)
        if inst is None or inst.kind != "option" or p is None or mark is None:
            self._break(
                "option_settlement", (rid,), f"{account}: no option position in {market} to settle"
            )
            return
        payoff = option_payoff(inst, mark[0])
        expected = p.size * payoff
        if amount != expected:
            self._break(
                "option_settlement",
                (mark[1], rid),
                f"{account} {market}: size {p.size} x payoff {payoff} = {expected}, entry"
                f" says {amount}",
            )
        self._fill(account, market, -p.size, mark[0], rid)

    def _mark(self, rid: str, f: Mapping[str, Any]) -> None:
        market = f["market"]
        mark, rate = int(f["mark_price"]), int(f["funding_rate"])
        self.marks[market] = (mark, rid)
        inst = self._instrument(market, rid)
        if inst is None or inst.kind == "spot" or inst.kind == "option":
            return
        if inst.dated and int(f["ts_ns"]) > inst.expiry:  # settled: positions closed by now
            if not inst.expired:
                inst.expired = True
                for account, p in sorted(self.holders.get(market, {}).items()):
                    self._break(
                        "expired",
                        (rid, inst.rid),
                        f"{account} {market}: position {p.size} still open at mark {rid},"
                        f" after the future's expiry at {inst.expiry}",
                    )
            return
        if self.under:
            for (account, m), (mark_rid, detail, _) in list(self.under.items()):
                if m == market:
                    self._break(
                        "margin", (mark_rid, rid), detail + ", no liquidation before " + rid
                    )
                    del self.under[(account, m)]
        holders = self.holders.get(market)
        if not holders:
            return
        # the hot loop: every position of the market, in account order. Inlined:
        # funding_payment, margin and _expect (a new key takes [amount, [rid], seq]).
        funding, get_balance, settle, mm, seq = (
            self.funding,
            self.balances.get,
            inst.settle,
            inst.mm,
            self.seq,
        )
        for account in sorted(holders):
            p = holders[account]
            size = p.size
            value = size * mark
            if rate:
                key = (rid, account)
                pay = (-value * rate) // FUNDING_SCALE
                if key in funding:  # the same mark record id twice
                    self._expect(funding, key, pay, rid)
                elif pay:
                    funding[key] = [pay, [rid], seq]
            collateral = get_balance((account, settle), 0)
            equity = collateral + value - p.cost
            need = -((-(size if size > 0 else -size) * mark * mm) // MARGIN_SCALE)
            if equity < need:
                self.under[(account, market)] = (
                    rid,
                    f"{account} {market}: collateral {collateral} + size {p.size} x mark {mark}"
                    f" - cost {p.cost} = {equity} < maintenance {need}",
                    self.seq,
                )

    def _balance_snapshot(self, rid: str, f: Mapping[str, Any]) -> None:
        key = (f["account"], f["asset"])
        shown = int(f["available"]) + int(f["locked"])
        have = self.balances.get(key, 0)
        if shown != have:
            self._break(
                "balance_snapshot",
                (rid,),
                f"{key[0]} {key[1]}: available {f['available']} + locked {f['locked']} = {shown},"
                f" replay gives {have} (difference {shown - have:+d})",
            )
        elif self.provenance:
            self.bal_rids[key] = [rid]

    def _position_snapshot(self, rid: str, f: Mapping[str, Any]) -> None:
        account, market = f["account"], f["market"]
        p = self.positions.get((account, market)) or Position()
        inst = self.instruments.get(market)
        mark = self.marks.get(market, (0, ""))[0]
        want = {
            "size": p.size,
            "entry_price": p.entry,
            "collateral": self.balances.get((account, f["collateral_asset"]), 0),
            "initial_margin": margin(p.size, mark, inst.im) if inst else 0,
            "maintenance_margin": margin(p.size, mark, inst.mm) if inst else 0,
        }
        bad = [f"{k}: snapshot {f[k]}, replay {v}" for k, v in want.items() if int(f[k]) != v]
        if bad:
            self._break("position_snapshot", (rid,), f"{account} {market}: " + "; ".join(bad))
        elif self.provenance and (account, market) in self.positions:
            p.rids = [rid]

    # ------------------------------------------------------------------ the end
    def finish(self, *, complete: bool = True, settle_from: int | None = None) -> BooksReport:
        """The report. ``complete``: the history ends here, so every expectation still
        open (a fee, PnL or funding entry, a fill, a sum not back to zero, a liquidation)
        is a break; else (a prefix, ``--at-batch``) it is a note. ``settle_from``: those
        opened at or after this seq (the last batch: their entries may be in the next)
        are notes too."""
        notes: list[str] = [self.opening.note()] if self.opening.declared else []
        open_items: list[tuple[str, tuple[str, ...], str, int]] = []
        sums = (  # (check, what is still open, its detail from (ref, key, what is left))
            ("trade_fee", self.fees,
             "trade {} {}: fee entries differ from the trade's fee by {:+d}"),
            ("realized_pnl", self.pnl,
             "trade {} {}: realized PnL entries differ from the fills' PnL by {:+d}"),
            ("funding", self.funding,
             "mark {} {}: funding entries differ from size x mark x rate by {:+d}"),
            ("conservation", self.groups, "reference {} {}: entries sum to {:+d}, not 0"),
        )  # fmt: skip
        for check, still_open, detail in sums:
            for (ref, key), (left, rids, at) in still_open.items():
                open_items.append((check, tuple(rids), detail.format(ref, key, left), at))
        for mark_rid, detail, at in self.under.values():
            open_items.append(("margin", (mark_rid,), detail + ", no liquidation followed", at))
        open_items += self.orders.waiting()
        late = settle_from if complete and settle_from is not None else 0
        for check, rids, detail, at in sorted(open_items, key=lambda x: x[3]):
            if complete and (late == 0 or at < late):
                self.breaks.append(Break(check, rids, detail, at))
            else:
                notes.append(f"still open at seq {self.seq}: {check}: {detail}")
        totals = {a: dict(t) for a, t in sorted(self.totals.items())}
        for (_, asset), amount in self.balances.items():
            totals.setdefault(asset, {"deposits": 0, "withdrawals": 0, "realized_pnl": 0})
            totals[asset]["balances"] = totals[asset].get("balances", 0) + amount
        balances, positions, orders = [], [], []
        if self.provenance:
            balances = [
                BalanceLine(a, s, v, tuple(self.bal_rids.get((a, s), ())))
                for (a, s), v in sorted(self.balances.items())
            ]
            positions = [
                PositionLine(a, m, p.size, p.entry, p.realized, tuple(p.rids))
                for (a, m), p in sorted(self.positions.items())
                if p.size or p.realized
            ]
            orders = self.orders.lines()
        return BooksReport(
            records=self.records,
            last_seq=self.seq,
            last_batch=self.batch,
            breaks=tuple(sorted(self.breaks, key=lambda b: b.seq)),
            totals=totals,
            balances=tuple(balances),
            positions=tuple(positions),
            open_orders=tuple(orders),
            notes=tuple(notes),
            opening=self.opening.to_json() if self.opening.declared else None,
        )


def replay(
    items: Iterable[tuple[int, int | None, Mapping[str, Any]]],
    *,
    provenance: bool = False,
    complete: bool = True,
    settle_from: int | None = None,
) -> BooksReport:
    """Replay ``(seq, batch_id, canonical object)`` items in the order given (seq order)."""
    r = Replay(provenance=provenance)
    apply = r.apply
    for seq, batch_id, obj in items:
        apply(seq, batch_id, obj)
    return r.finish(complete=complete, settle_from=settle_from)

"""The books' replay (anchor.core.books): a consistent exchange history replays without a
break; each kind of break, injected into it, is named with its record ids; the arithmetic
of PnL, funding, margins and option settlement on small histories written out by hand."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from anchor.core.books import Replay, funding_payment, margin, replay
from anchor.core.books_checks import CHECKS, BooksReport
from anchor.core.books_samples import FEE_ACCOUNT, exchange_history
from anchor.core.records import parse_record

Objs = list[dict[str, Any]]


def _replay(objs: Objs, **kw: Any) -> BooksReport:
    # through the core's parser: the replay reads canonical objects, as the store holds them
    canon = [parse_record(o).canonical_obj() for o in objs]
    return replay(((i + 1, None, o) for i, o in enumerate(canon)), **kw)


@pytest.fixture(scope="module")
def history() -> Objs:
    return list(exchange_history(700, seed=7))


def _checks(report: BooksReport) -> set[str]:
    return {b.check for b in report.breaks}


def _named(report: BooksReport, check: str, rid: str) -> str:
    """The detail of the break ``check`` naming ``rid``; fails when there is none."""
    for b in report.breaks:
        if b.check == check and rid in b.record_ids:
            return b.detail
    raise AssertionError(f"no {check} break naming {rid}: {[b.to_json() for b in report.breaks]}")


def test_a_consistent_history_has_no_break(history: Objs) -> None:
    kinds = {o["kind"] for o in history}
    assert kinds == {"instrument", "journal", "order_event", "trade", "balance", "position",
                     "book_snapshot", "mark_price"}  # fmt: skip
    reasons = {o["reason"] for o in history if o["kind"] == "journal"}
    assert {"deposit", "withdrawal", "fee", "funding", "realized_pnl", "insurance_fund",
            "option_settlement"} <= reasons  # fmt: skip
    actions = {o["action"] for o in history if o["kind"] == "order_event"}
    assert actions == {"new", "amend", "cancel", "fill"}
    report = _replay(history)
    assert report.ok, [b.to_json() for b in report.breaks[:5]]
    usdc = report.totals["USDC"]
    assert usdc["balances"] == usdc["deposits"] + usdc["withdrawals"] + usdc["realized_pnl"]
    assert usdc["withdrawals"] < 0 < usdc["deposits"]


def _first(objs: Objs, pred: Callable[[dict[str, Any]], bool]) -> int:
    return next(i for i, o in enumerate(objs) if pred(o))


def _inject(history: Objs, edit: Callable[[Objs], str]) -> tuple[BooksReport, str]:
    objs = copy.deepcopy(history)
    rid = edit(objs)
    return _replay(objs), rid


def _bumped(
    history: Objs, pred: Callable[[dict[str, Any]], bool], name: str, delta: int
) -> tuple[BooksReport, str]:
    """The replay of ``history`` with ``name`` of the first record ``pred`` accepts raised by
    ``delta``, and that record's id."""

    def edit(objs: Objs) -> str:
        i = _first(objs, pred)
        objs[i][name] = str(int(objs[i][name]) + delta)
        return objs[i]["record_id"]

    return _inject(history, edit)


@pytest.mark.parametrize(
    ("kind", "name", "delta", "check", "detail"),
    [
        ("balance", "available", 1, "balance_snapshot", "difference +1"),
        ("book_snapshot", "quantity", 2, "book_level", "order events give"),
    ],
)
def test_a_snapshot_that_disagrees_with_the_replay(
    history: Objs, kind: str, name: str, delta: int, check: str, detail: str
) -> None:
    report, rid = _bumped(history, lambda o: o["kind"] == kind, name, delta)
    assert detail in _named(report, check, rid)
    assert _checks(report) == {check}


def test_a_created_asset_breaks_conservation(history: Objs) -> None:
    def edit(objs: Objs) -> str:
        i = _first(objs, lambda o: o["kind"] == "trade")
        objs.insert(i + 1, {"kind": "journal", "version": 1, "record_id": "made-up",
                            "ts_ns": "1", "account": "user-0001", "asset": "USDC",
                            "amount": "1000", "reason": "transfer", "reference": "tx-9"})  # fmt: skip
        return "made-up"

    report, rid = _inject(history, edit)
    assert "sum to +1000, not 0" in _named(report, "conservation", rid)


def test_a_missing_deposit_is_named_by_the_next_snapshot(history: Objs) -> None:
    def edit(objs: Objs) -> str:
        snap = _first(objs, lambda o: o["kind"] == "balance")
        account, asset = objs[snap]["account"], objs[snap]["asset"]
        dep = _first(
            objs,
            lambda o: (
                o["kind"] == "journal"
                and o["reason"] == "deposit"
                and (o["account"], o["asset"]) == (account, asset)
            ),
        )
        del objs[dep]
        return objs[snap - 1]["record_id"]

    report, rid = _inject(history, edit)
    detail = _named(report, "balance_snapshot", rid)
    assert "difference +" in detail


def test_a_fill_beyond_its_order(history: Objs) -> None:
    def edit(objs: Objs) -> str:
        news = {
            o["order_id"]: o for o in objs if o["kind"] == "order_event" and o["action"] == "new"
        }
        i = _first(
            objs,
            lambda o: (
                o["kind"] == "order_event"
                and o["action"] == "fill"
                and o["quantity"] == news[o["order_id"]]["quantity"]
            ),
        )
        objs[i]["quantity"] = str(int(objs[i]["quantity"]) + 1)
        return objs[i]["order_id"]

    report, oid = _inject(history, edit)
    assert any(b.check == "fill_beyond_size" and oid in b.detail for b in report.breaks)


def test_a_fill_after_cancel(history: Objs) -> None:
    def edit(objs: Objs) -> str:
        i = _first(objs, lambda o: o["kind"] == "order_event" and o["action"] == "cancel")
        fill = dict(objs[i], action="fill", record_id="late-fill", quantity="1")
        objs.insert(i + 1, fill)
        return "late-fill"

    report, rid = _inject(history, edit)
    assert "was cancelled" in _named(report, "fill_after_cancel", rid)


def test_a_trade_fee_entry_that_differs_from_the_trade(history: Objs) -> None:
    def paid_fee(o: dict[str, Any]) -> bool:
        return (
            o["kind"] == "journal"
            and o["reason"] == "fee"
            and o["account"] != FEE_ACCOUNT
            and int(o["amount"]) < 0
        )

    report, rid = _bumped(history, paid_fee, "amount", 1)
    assert "by -1" in _named(report, "trade_fee", rid)
    assert "sum to +1" in _named(report, "conservation", rid)


def test_a_funding_payment_that_creates_money(history: Objs) -> None:
    report, rid = _bumped(
        history, lambda o: o["kind"] == "journal" and o["reason"] == "funding", "amount", 500
    )
    assert "by -500" in _named(report, "funding", rid)
    assert "sum to +500" in _named(report, "conservation", rid)


def test_a_trade_without_its_fill(history: Objs) -> None:
    def edit(objs: Objs) -> str:
        i = _first(objs, lambda o: o["kind"] == "trade")
        del objs[i - 1]  # the taker's fill
        return objs[i - 1]["record_id"]

    report, rid = _inject(history, edit)
    assert "no fill of order" in _named(report, "trade_fill", rid)


# --------------------------------------------------------------------------- by hand
def _rec(kind: str, rid: str, **f: Any) -> dict[str, Any]:
    return {"kind": kind, "version": 1, "record_id": rid, "ts_ns": "1",
            **{k: str(v) for k, v in f.items()}}  # fmt: skip


PERP = _rec("instrument", "i1", market="P", instrument_type="perpetual", base_asset="BTC",
            settlement_asset="USD", contract_size=1, initial_margin_bps=1000,
            maintenance_margin_bps=500, expiry_ns=0, strike=0, option_type="none")  # fmt: skip


def _j(rid: str, account: str, amount: int, reason: str, ref: str) -> dict[str, Any]:
    return _rec("journal", rid, account=account, asset="USD", amount=amount, reason=reason,
                reference=ref)  # fmt: skip


def _order(rid: str, oid: str, account: str, action: str, side: str, price: int, q: int) -> dict[str, Any]:  # fmt: skip
    return _rec("order_event", rid, market="P", order_id=oid, account=account, action=action,
                side=side, price=price, quantity=q)  # fmt: skip


def _match(n: int, buyer: str, seller: str, price: int, q: int) -> Objs:
    b, s = f"b{n}", f"s{n}"
    return [
        _order(f"nb{n}", b, buyer, "new", "buy", price, q),
        _order(f"ns{n}", s, seller, "new", "sell", price, q),
        _order(f"fb{n}", b, buyer, "fill", "buy", price, q),
        _order(f"fs{n}", s, seller, "fill", "sell", price, q),
        _rec(
            "trade",
            f"t{n}",
            market="P",
            buyer=buyer,
            seller=seller,
            buy_order_id=b,
            sell_order_id=s,
            taker_side="sell",
            price=price,
            quantity=q,
            buyer_fee=0,
            seller_fee=0,
        ),
    ]


def test_perpetual_pnl_funding_and_snapshots_by_hand() -> None:
    objs = [PERP, _j("d1", "a", 10_000, "deposit", "x1"), _j("d2", "b", 10_000, "deposit", "x2")]
    objs += _match(1, "a", "b", 100, 3)  # a long 3 at 100, b short 3
    objs += _match(2, "a", "b", 130, 1)  # a long 4, cost 430: entry floor(430/4) = 107
    objs.append(_rec("position", "p1", account="a", market="P", size=4, entry_price=107,
                     collateral_asset="USD", collateral=10_000, initial_margin=0,
                     maintenance_margin=0))  # fmt: skip
    objs += _match(3, "b", "a", 120, 3)  # a sells 3 of 4: cost off floor(430*3/4)=322
    # a realizes 120*3 - 322 = 38; b (short 4, cost -430) buys 3 back: -(120*3) + 322 = -38
    objs += [_j("r1", "a", 38, "realized_pnl", "t3"), _j("r2", "b", -38, "realized_pnl", "t3")]
    rate = 1_000_000  # 0.1 %: a (long 1) pays, b (short 1) receives
    objs.append(_rec("mark_price", "m1", market="P", mark_price=121, funding_rate=rate))
    pay_a, pay_b = funding_payment(1, 121, rate), funding_payment(-1, 121, rate)
    assert (pay_a, pay_b) == (-1, 0)  # -0.121 rounds down, 0.121 rounds down
    objs += [_j("f1", "a", pay_a, "funding", "m1"), _j("f2", "ins", 1, "insurance_fund", "m1")]
    objs.append(_rec("balance", "bal", account="a", asset="USD", available=10_037, locked=0))
    objs.append(_rec("position", "p2", account="a", market="P", size=1, entry_price=108,
                     collateral_asset="USD", collateral=10_037, initial_margin=margin(1, 121, 1000),
                     maintenance_margin=margin(1, 121, 500)))  # fmt: skip
    report = _replay(objs, provenance=True)
    assert report.ok, [b.to_json() for b in report.breaks]
    (pa, pb) = report.positions
    assert (pa.account, pa.size, pa.entry_price, pa.realized_pnl) == ("a", 1, 108, 38)
    assert (pb.account, pb.size, pb.realized_pnl) == ("b", -1, -38)
    assert pa.record_ids == ("p2",)  # since the last matching snapshot
    assert {(x.account, x.balance) for x in report.balances} == {("a", 10_037), ("b", 9_962), ("ins", 1)}  # fmt: skip
    wrong = [o if o.get("record_id") != "r1" else dict(o, amount="39") for o in objs]
    assert "by -1" in _named(_replay(wrong), "realized_pnl", "r1")


def test_under_margined_without_liquidation_is_flagged() -> None:
    objs = [PERP, _j("d1", "a", 100, "deposit", "x1"), _j("d2", "b", 10_000, "deposit", "x2")]
    objs += _match(1, "a", "b", 100, 10)  # a long 10 at 100 with 100 of collateral
    objs.append(_rec("mark_price", "m1", market="P", mark_price=90, funding_rate=0))
    # equity 100 + 10*90 - 1000 = 0 < ceil(10*90*500/10^4) = 45
    tail = [_rec("mark_price", "m2", market="P", mark_price=90, funding_rate=0)]
    report = _replay(objs + tail)
    detail = _named(report, "margin", "m1")
    assert "= 0 < maintenance 45" in detail and "m2" in detail
    assert _checks(report) == {"margin"}
    # the liquidation: the position is taken over at 90 (a realizes -100, b +100), a fee
    # to the insurance fund would follow under the liquidation's reference
    closing = [
        *_match(2, "b", "a", 90, 10),
        _j("r1", "a", -100, "realized_pnl", "t2"),
        _j("r2", "b", 100, "realized_pnl", "t2"),
        _j("l1", "a", 0, "liquidation", "liq-1"),
    ]
    report = _replay(objs + closing + tail)
    assert report.ok, [b.to_json() for b in report.breaks]


def test_order_rules_by_hand() -> None:
    objs = [PERP, _order("n1", "o1", "a", "new", "buy", 100, 5),
            _order("f1", "o1", "a", "fill", "buy", 100, 2),
            _order("a1", "o1", "a", "amend", "buy", 100, 2),  # not above what is filled
            _order("c1", "o1", "a", "cancel", "buy", 100, 4),  # 3 remain
            _order("n2", "o1", "a", "new", "buy", 100, 1),
            _order("x1", "o9", "a", "cancel", "buy", 100, 1)]  # fmt: skip
    report = _replay(objs)
    assert "amended to size 2, 2 already filled" in _named(report, "amend", "a1")
    assert "cancels 4, remaining 5 - 2 = 3" in _named(report, "cancel", "c1")
    _named(report, "duplicate_order", "n2")
    _named(report, "unknown_reference", "x1")
    _named(report, "trade_fill", "f1")  # a fill without its trade


def test_option_settlement_by_hand() -> None:
    opt = _rec("instrument", "i2", market="C", instrument_type="option", base_asset="BTC",
               settlement_asset="USD", contract_size=1, initial_margin_bps=0,
               maintenance_margin_bps=0, expiry_ns=5, strike=100, option_type="call")  # fmt: skip
    objs = [opt, _j("d1", "a", 1000, "deposit", "x1"), _j("d2", "b", 1000, "deposit", "x2")]
    objs += [dict(o, market="C") for o in _match(1, "a", "b", 7, 2)]  # premium 14
    objs.append(_rec("mark_price", "m1", market="C", mark_price=112, funding_rate=0))
    objs += [_j("s1", "a", 24, "option_settlement", "C"), _j("s2", "b", -24, "option_settlement", "C")]  # fmt: skip
    report = _replay(objs, provenance=True)
    assert report.ok, [b.to_json() for b in report.breaks]
    assert {(x.account, x.balance) for x in report.balances} == {("a", 1010), ("b", 990)}
    assert all(p.size == 0 for p in report.positions)
    wrong = [
        *objs[:-2],
        _j("s1", "a", 30, "option_settlement", "C"),
        _j("s2", "b", -30, "option_settlement", "C"),
    ]
    assert "2 x payoff 12 = 24, entry says 30" in _named(_replay(wrong), "option_settlement", "s1")


def test_a_dated_future_trades_until_its_expiry_and_is_closed_by_then() -> None:
    fut = dict(PERP, record_id="i3", instrument_type="future", expiry_ns="100")
    objs = [fut, _j("d1", "a", 10_000, "deposit", "x1"), _j("d2", "b", 10_000, "deposit", "x2")]
    objs += _match(1, "a", "b", 100, 2)  # a long 2, b short 2 (ts 1: before the expiry)
    objs += _match(2, "b", "a", 110, 2)  # closed at the settlement price 110, ts 1
    objs += [_j("r1", "a", 20, "realized_pnl", "t2"), _j("r2", "b", -20, "realized_pnl", "t2")]
    settle = _rec("mark_price", "m1", market="P", mark_price=110, funding_rate=1_000_000)
    settle["ts_ns"] = "101"  # after the expiry: no funding, no position may be left
    report = _replay([*objs, settle])
    assert report.ok, [b.to_json() for b in report.breaks]
    # a position left open is named at the first mark after the expiry, once
    left_open = [*objs[:8], settle, dict(settle, record_id="m2")]
    report = _replay(left_open)
    detail = _named(report, "expired", "m1")
    assert "a P: position 2 still open at mark m1" in detail
    assert [b.check for b in report.breaks].count("expired") == 2  # a and b, at m1 only
    # an order event or a trade after the expiry
    late = copy.deepcopy(objs)
    for o in late[8:13]:
        o["ts_ns"] = "101"
    report = _replay([*late, settle])
    assert "after the future's expiry at 100" in _named(report, "expired", "t2")
    _named(report, "expired", "nb2")


def test_a_prefix_reports_open_expectations_as_notes(history: Objs) -> None:
    i = _first(history, lambda o: o["kind"] == "trade" and o["buyer_fee"] != "0")
    r = Replay(provenance=True)
    for n, o in enumerate(history[: i + 1]):
        r.apply(n + 1, 1, parse_record(o).canonical_obj())
    report = r.finish(complete=False)
    assert report.ok and any("trade_fee" in n for n in report.notes)
    assert report.open_orders and all(o.record_ids for o in report.open_orders)


def test_every_check_is_documented() -> None:
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "records.md").read_text()
    for name in CHECKS:
        assert f"`{name}`" in text, name

"""The demo's feed (anchor.core.exchange_feed): runs of the small exchange, each cut after any
step and continued by the next run in the same books, replay without a break -- through the
core's parser, as the store holds them -- and a break injected into them is still named."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

from anchor.core.books import replay
from anchor.core.books_checks import BooksReport
from anchor.core.exchange_feed import demo_feed, walk_in_records
from anchor.core.records import parse_record

Objs = list[dict[str, Any]]


def _run(tag: str, steps: int, *, steps_per_round: int = 120, accounts: int = 6) -> Objs:
    feed = demo_feed(tag, accounts=accounts, steps_per_round=steps_per_round)
    return [obj for step in itertools.islice(feed, steps) for obj in step]


def _replay(objs: Objs) -> BooksReport:
    canon = [parse_record(o).canonical_obj() for o in objs]
    return replay((i + 1, None, o) for i, o in enumerate(canon))


def test_runs_cut_anywhere_continue_the_same_books_without_a_break() -> None:
    # three runs of one database: stopped mid-round, after two whole rounds, at the start
    first, second, third = _run("d1", 77), _run("d2", 260), _run("d3", 1)
    books = first + walk_in_records("d1") + second + walk_in_records("d2") + third
    report = _replay(books)
    assert report.ok, report.breaks[:5]
    assert report.notes == ()
    reasons = Counter(o["reason"] for o in books if o["kind"] == "journal")
    for reason in ("deposit", "fee", "funding", "withdrawal", "option_settlement"):
        assert reasons[reason] > 0, reasons
    kinds = Counter(o["kind"] for o in books)
    assert kinds["trade"] and kinds["mark_price"] and kinds["balance"] and kinds["book_snapshot"]
    # every run and round has accounts and markets of its own; record ids never repeat
    assert len({o["record_id"] for o in books}) == len(books)
    markets = {o["market"] for o in books if o["kind"] == "instrument"}
    assert {"BTC-PERP@d1.0", "BTC-PERP@d2.0", "BTC-PERP@d2.1", "BTC-C-70000@d3.0"} <= markets
    assert all(o["account"].endswith(("@d1.0", "@d1", "@d2.0", "@d2.1", "@d2.2", "@d2", "@d3.0"))
               for o in books if "account" in o)  # fmt: skip


def test_the_demo_default_names_fit_the_record_fields() -> None:
    # the demo's run tag (d + hex seconds) and a round number far ahead still parse
    tag = "d6928a3f0"
    objs = _run(tag, 3, accounts=300) + walk_in_records(tag)
    for obj in objs:
        parse_record(obj)
    far = next(itertools.islice(demo_feed(tag, accounts=2, steps_per_round=0), 9_998, None))
    parse_record(far[0])
    assert far[0]["market"].endswith("@d6928a3f0.4999")


def test_a_break_in_the_feed_is_named() -> None:
    books = _run("d1", 150)
    snap = next(o for o in books if o["kind"] == "balance")
    snap["available"] = str(int(snap["available"]) + 1)
    report = _replay(books)
    assert [(b.check, b.record_ids) for b in report.breaks] == [
        ("balance_snapshot", (snap["record_id"],))
    ]


def test_a_run_stopped_after_any_step_leaves_nothing_open() -> None:
    steps = list(itertools.islice(demo_feed("d1", accounts=4, steps_per_round=40), 90))
    for cut in range(1, len(steps) + 1, 7):
        books = [o for step in steps[:cut] for o in step] + _run("d2", 3, accounts=4)
        report = _replay(books)
        assert report.ok and report.notes == (), (cut, report.breaks[:3], report.notes[:3])

"""The demo's exchange feed: consistent books that keep going (``anchor demo``).

:func:`demo_feed` yields the records of a small exchange step by step, without end, in
*rounds*: each round is one whole history of :func:`anchor.core.books_samples.exchange_steps`
-- instruments, deposits, orders matched by the engine, trades with fees, funding on the
perpetual, snapshots, then withdrawals and the option's expiry and settlement -- and the
next round opens the next one. Every account, market and reference a round writes is named
after the round (``user-0007@<tag>``, ``BTC-PERP@<tag>``), so rounds and runs never share a
balance or a position: the books of a database that several demo runs fed (each with its
own run tag) replay without a break, whatever step each run stopped at.

:func:`walk_in_records` are a few records that stand on their own (a deposit and the
balance snapshot that follows it, per walk-in account): the demo's sample file for trying
``anchor ingest``, consistent with the books too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from anchor.core.books_samples import exchange_steps

__all__ = ["demo_feed", "renamed", "walk_in_records"]

_NAMES = ("account", "buyer", "seller", "market")
_WALK_IN_TS = 1_760_000_000_000_000_000


def renamed(obj: dict[str, Any], tag: str, prefix: str) -> dict[str, Any]:
    """``obj`` with its accounts and markets named after ``tag``; a journal entry's
    reference too unless it is a record id of this history (``prefix-...``)."""
    out = dict(obj)
    for key in _NAMES:
        if key in out:
            out[key] = f"{out[key]}@{tag}"
    ref = out.get("reference")
    if ref is not None and not ref.startswith(prefix + "-"):
        out["reference"] = f"{ref}@{tag}"
    return out


def demo_feed(
    run_tag: str, *, accounts: int, steps_per_round: int = 1000
) -> Iterator[list[dict[str, Any]]]:
    """The records of one demo run, one list per step of the exchange, without end. A run
    cut after any list leaves books without a break (nothing a step opens is left open)."""
    round_no = 0
    while True:
        tag = f"{run_tag}.{round_no}"
        for step in exchange_steps(steps_per_round, round_no, accounts=accounts, prefix=tag):
            yield [renamed(obj, tag, tag) for obj in step]
        round_no += 1


def walk_in_records(run_tag: str, n: int = 10) -> list[dict[str, Any]]:
    """``2 * n`` records: per walk-in account, a USDC deposit and then its balance snapshot."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        account = f"walk-in-{i}@{run_tag}"
        amount = str(1_000_000 * (i + 1))
        base = {"version": 1, "ts_ns": str(_WALK_IN_TS + i)}
        out.append(base | {"kind": "journal", "record_id": f"{run_tag}-file-{2 * i}",
                           "account": account, "asset": "USDC", "amount": amount,
                           "reason": "deposit", "reference": f"walk-in-{i}@{run_tag}"})  # fmt: skip
        out.append(base | {"kind": "balance", "record_id": f"{run_tag}-file-{2 * i + 1}",
                           "account": account, "asset": "USDC", "available": amount,
                           "locked": "0"})  # fmt: skip
    return out

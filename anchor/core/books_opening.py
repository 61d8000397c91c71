"""The books' opening: a history that does not start at the exchange's beginning
(docs/records.md, "Books: references").

Two declarations, both in the data (no field of any kind changes):

* the **opening snapshot**: the records at the head of the history whose record ids begin
  with ``opening:`` (:data:`anchor.core.references.OPENING`). A ``balance`` or ``position``
  among them sets the replayed state (a balance to ``available + locked``, a position to its
  ``size`` at ``entry_price``) instead of being checked against it; instruments and ``new``
  orders (with the quantity still open) are replayed as usual. Once a record without the
  prefix is replayed the opening is over: a later ``opening:`` snapshot is checked like any;
* a **reference to earlier history**: an order id or a journal ``reference`` written
  ``opening:<id>``. The replay takes it as given instead of flagging ``unknown_reference``
  (an order's events are matched with their trades but not checked against a size it never
  saw; a trade's realized PnL entries are not checked against fills it never saw).

The report says so: a note, and an ``opening`` section in its JSON (what the snapshot set,
the references taken as given).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from anchor.core.references import OPENING

if TYPE_CHECKING:
    from anchor.core.books import Replay

__all__ = ["OPENING", "Opening"]

_KEEP: Final = 12  # ids kept per list of the report


class Opening:
    """What a replay took from the declared opening snapshot and earlier history."""

    def __init__(self) -> None:
        self.head = True  # still in the opening snapshot
        self.records = 0
        self.kinds: dict[str, int] = {}
        self.balances: dict[tuple[str, str], int] = {}
        self.refs: dict[str, list[Any]] = {}  # what -> [count, first ids]

    def snapshot(self, r: Replay, kind: str, rid: str, f: Mapping[str, Any]) -> bool:
        """A record of the opening snapshot: True when it was taken as state (nothing more
        to replay), False when it is replayed as usual."""
        self.records += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind == "balance":
            key = (f["account"], f["asset"])
            amount = int(f["available"]) + int(f["locked"])
            r.balances[key] = amount
            if r.provenance:
                r.bal_rids[key] = [rid]
            t = r.totals.setdefault(key[1], {"deposits": 0, "withdrawals": 0, "realized_pnl": 0})
            t["opening"] = t.get("opening", 0) + amount - self.balances.get(key, 0)
            self.balances[key] = amount
            return True
        if kind == "position":
            account, market = f["account"], f["market"]
            r.positions.pop((account, market), None)
            r.holders.get(market, {}).pop(account, None)
            r._fill(account, market, int(f["size"]), int(f["entry_price"]), rid)
            return True
        return False

    def ref(self, what: str, value: str) -> None:
        """A reference to earlier history (``what``: ``order``, ``trade`` or ``mark``)."""
        e = self.refs.get(what)
        if e is None:
            e = self.refs[what] = [0, []]
        e[0] += 1
        if len(e[1]) < _KEEP and value not in e[1]:
            e[1].append(value)

    @property
    def declared(self) -> bool:
        return bool(self.records or self.refs)

    def note(self) -> str:
        parts = []
        if self.records:
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.kinds.items()))
            parts.append(
                f"the replay starts from the declared opening snapshot ({self.records}"
                f" {OPENING} records: {kinds})"
            )
        if self.refs:
            refs = ", ".join(f"{n} to {what}s" for what, (n, _) in sorted(self.refs.items()))
            parts.append(f"references to history before it taken as given ({refs})")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot_records": self.records,
            "snapshot_kinds": dict(sorted(self.kinds.items())),
            "balances": [
                {"account": a, "asset": s, "balance": str(v)}
                for (a, s), v in sorted(self.balances.items())
            ],
            "references": {
                what: {"count": n, "ids": list(ids)} for what, (n, ids) in sorted(self.refs.items())
            },
        }

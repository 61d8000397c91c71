"""json_fields: keys in the order given, renamed and dotted attributes, plain values."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from anchor.core.json_fields import json_fields


@dataclass(frozen=True)
class _Part:
    line: int
    problem: str


class _Report:
    minimum = 2
    parts = (_Part(1, "bad"),)
    named = (SimpleNamespace(to_json=lambda: {"named": "a"}),)
    counts = SimpleNamespace(count=3, ids=(7, 8))
    note = None

    def total(self) -> int:
        return self.counts.count + self.minimum


def test_keys_in_order_renamed_dotted_and_plain() -> None:
    keys = "note min total ids parts named"
    got = json_fields(_Report(), keys, rename={"min": "minimum", "ids": "counts.ids"})
    assert list(got.items()) == [
        ("note", None),
        ("min", 2),
        ("total", 5),
        ("ids", [7, 8]),
        ("parts", [{"line": 1, "problem": "bad"}]),
        ("named", [{"named": "a"}]),
    ]

"""Hypothesis strategies for records of every kind, valid and nearly valid, read from the
core's own schema tables (a new kind or field is generated without touching this file)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from anchor.core.records import parse_record
from anchor.core.schemas import _INT_RANGE, _SCHEMAS, FieldSpec
from anchor.errors import RecordError

ID_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
# values no field takes, or takes only at its edges
JUNK: list[Any] = [
    None, True, False, 1.5, -0.0, [], {}, "", " ", "-", "+1", "1.0", "1e3", "0x10", "007", "-0",
    "é", "a b", "a\x7f", "a\x00", "٣", "9" * 81, 2**256, -(2**255) - 1, "0x" + "g" * 64,
    "0X" + "ab" * 32, "0x" + "ab" * 31, "buy ", "Sell",
]  # fmt: skip


def _int_value(lo: int, hi: int) -> st.SearchStrategy[Any]:
    edges = st.sampled_from([lo, hi, 0 if lo <= 0 <= hi else lo, lo + 1, hi - 1])
    n = st.one_of(edges, st.integers(lo, hi))
    return n.flatmap(lambda v: st.sampled_from([v, str(v)]))


def _hex32() -> st.SearchStrategy[str]:
    raw = st.one_of(st.just(b"\x00" * 32), st.binary(min_size=32, max_size=32))
    return st.tuples(raw, st.booleans()).map(
        lambda t: "0x" + (t[0].hex().upper() if t[1] else t[0].hex())
    )


def _field(f: FieldSpec) -> st.SearchStrategy[Any]:
    if f.tag in _INT_RANGE:
        return _int_value(*_INT_RANGE[f.tag])
    if f.tag == "id":
        return st.text(ID_CHARS, min_size=1, max_size=f.max_len)
    if f.tag == "account":  # few distinct accounts, so records share them
        return st.one_of(st.sampled_from(["alice", "bob", "c" * 23, "d" * 24, 'q"\\']),
                         st.text(ID_CHARS, min_size=1, max_size=128))  # fmt: skip
    if f.tag == "enum":
        return st.sampled_from(f.choices)
    return _hex32()


@st.composite
def record_objs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record of any kind, as a dict (values as JSON strings or numbers)."""
    (kind, version), s = draw(st.sampled_from(sorted(_SCHEMAS.items())))
    obj: dict[str, Any] = {
        "kind": kind,
        "version": draw(st.sampled_from([version, str(version)])),
        "record_id": draw(st.text(ID_CHARS, min_size=1, max_size=128)),
    }
    for f in s.fields:
        if f.optional and draw(st.booleans()):
            continue
        obj[f.name] = draw(_field(f))
    keys = list(obj)
    order = draw(st.permutations(keys))
    return {k: obj[k] for k in order}


@st.composite
def near_records(draw: st.DrawFn) -> dict[str, Any]:
    """A record with up to two fields replaced, dropped or added: mostly invalid."""
    obj = draw(record_objs())
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*obj, "ext", "extra", "seq", "Kind"]))
        action = draw(st.integers(0, 2))
        if action == 0:
            obj.pop(key, None)
        else:
            obj[key] = draw(st.sampled_from(JUNK))
    return obj


def as_text(obj: dict[str, Any], style: int) -> str | bytes:
    """``obj`` as JSON text in one of a few layouts (compact, spaced, bytes, a duplicate key)."""
    if style == 0:
        return json.dumps(obj, separators=(",", ":"))
    if style == 1:
        return json.dumps(obj).encode()
    if style == 2:
        return json.dumps(obj, indent=1)
    body = json.dumps(obj, separators=(",", ":"))
    k = next(iter(obj), "kind")
    return body[:-1] + f',{json.dumps(k)}:"x"}}' if len(body) > 2 else body


def reference(obj: Any) -> tuple[tuple[Any, ...], bytes, tuple[str, ...]] | None:
    """What every fast path must give for ``obj``: ``(leaf_order, canonical JSON,
    accounts)`` of ``parse_record(obj)``, or None when the core refuses it."""
    try:
        r = parse_record(obj)
    except RecordError:
        return None
    return r.leaf_order, r.canonical_json(), r.accounts()

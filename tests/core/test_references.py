"""The pure reference check (anchor.core.references): what a record names, what is looked up,
what an earlier record of the list defines, and the ``opening:`` declaration."""

from __future__ import annotations

from anchor.core.records import parse_record
from anchor.core.references import (
    Known,
    Refs,
    Unknown,
    check_references,
    refs_of,
    refs_of_leaf,
    wanted,
    wanted_of_leaves,
)
from tests.service.refs_sample import BAD, DECLARED, history, journal, order


def _objs(records: list[dict[str, object]]) -> list[Refs | None]:
    """Each record's refs, read both ways (its object, its leaf order): the same."""
    out = []
    for r in records:
        rec = parse_record(r)
        got = refs_of(rec.canonical_obj())
        assert got == refs_of_leaf(rec.leaf_order), r
        out.append(got)
    leaves = [parse_record(r).leaf_order for r in records]
    assert wanted_of_leaves(leaves) == wanted(out)  # ingest's one pass: the same
    return out


def test_a_consistent_history_names_nothing_unknown() -> None:
    objs = _objs(history())
    assert check_references(objs, Known()) == [None] * len(objs)
    assert not wanted(objs)  # everything it names, it defines first


def test_each_bad_record_names_its_field() -> None:
    known = Known({"PERP": "perpetual", "OPT": "option"}, {"o-1", "o-2"},
                  {"t-1": "trade", "m-1": "mark_price"})  # fmt: skip
    for obj, field, value, why in BAD:
        got = check_references(_objs([obj]), known)[0]
        assert isinstance(got, Unknown) and (got.field, got.value) == (field, value), got
        assert why in got.why
    assert check_references(_objs(DECLARED), known) == [None] * len(DECLARED)


def test_what_is_looked_up() -> None:
    objs = _objs([order("a", "o-1", "x", "fill", "buy", 1),
                  order("b", "o-2", "x", "new", "buy", 1),
                  order("c", "o-2", "x", "cancel", "buy", 1),
                  order("d", "opening:o-3", "x", "cancel", "buy", 1),
                  journal("e", "x", 1, "fee", "t-1"),
                  journal("f", "x", 1, "funding", "opening:m-1"),
                  journal("g", "x", 1, "deposit", "tx-1")])  # fmt: skip
    w = wanted(objs)
    assert (w.markets, w.orders, w.record_ids) == ({"PERP"}, {"o-1"}, {"t-1"})
    assert [None if u is None else u.field for u in check_references(objs, Known())] == [
        "market", "market", "market", "market", "reference", None, None
    ]  # fmt: skip


def test_a_name_defined_earlier_as_something_else() -> None:
    """A trade's id named as a mark's, a perpetual named as an option's, in the same list:
    ``wanted`` cannot settle it (``mismatch``), the full check names the record."""
    from anchor.core.references import resolves

    base = history()
    for bad, field in (
        (journal("z-1", "alice", -1, "funding", "t-1"), "reference"),
        (journal("z-2", "alice", 1, "option_settlement", "PERP"), "reference"),
        (order("z-3", "o-1", "alice", "fill", "buy", 1, market="OPT"), None),  # fine
    ):
        items = _objs([*base, bad])
        want = wanted(items)
        assert want.mismatch == (field is not None)
        assert resolves(want, Known()) == (field is None)
        got = check_references(items, Known())
        assert got[:-1] == [None] * len(base)
        assert (got[-1] and got[-1].field) == field

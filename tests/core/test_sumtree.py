"""The liabilities sum tree (anchor.core.sumtree): paths, bounds, refusals, and the native
accelerator byte-identical to the pure Python reference."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from anchor.core import sumtree as st
from anchor.core.hashing import keccak256
from anchor.core.native import pure_python, use_native

SECRET = bytes(range(32))
ASSETS = ("BTC", "ETH", "USDC")


def _entries(n: int, *, start: int = 0) -> list[st.LiabilityEntry]:
    return [
        st.LiabilityEntry(
            f"user-{i}",
            keccak256(b"commitment %d" % i),
            (i * 7 % 5, i * 1000, (i % 3) * 10**30),
            (f"bal-{i}-btc", "", f"bal-{i}-usdc"),
        )
        for i in range(start, start + n)
    ]


def _build(entries: list[st.LiabilityEntry], *, pad_to: int = 64, round_id: int = 3) -> st.SumTree:
    return st.build_sum_tree(
        round_id, st.RoundInput.from_entries(ASSETS, entries), secret=SECRET, pad_to=pad_to
    )


@pytest.fixture
def python_only() -> Iterator[None]:
    with pure_python():
        yield


def _check_all(tree: st.SumTree, entries: list[st.LiabilityEntry]) -> None:
    for i, e in enumerate(entries):
        p = tree.positions[i]
        root, totals = st.process_path(
            tree.round_id,
            e.commitment,
            st.derive(SECRET, st.Label.SALT, p),
            st.records_hash(e.record_ids),
            e.balances,
            p,
            tree.path(p),
        )
        assert root == tree.root and totals == tree.totals


def test_every_account_proves_its_leaf_and_the_totals_are_the_sums() -> None:
    entries = _entries(37)
    tree = _build(entries)
    assert tree.leaf_count == 64 and tree.depth == 6
    assert tree.totals == tuple(sum(e.balances[a] for e in entries) for a in range(3))
    assert len(set(tree.positions)) == 37
    _check_all(tree, entries)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 64, 65])
def test_native_and_python_give_the_same_bytes(n: int) -> None:
    entries = _entries(n)
    native = _build(entries, pad_to=4)
    with pure_python():
        reference = _build(entries, pad_to=4)
        block = st.block_levels(
            3, 3, SECRET, 0, native.leaf_count, dict(zip(native.positions, entries, strict=True))
        )
    assert native.levels == reference.levels and native.positions == reference.positions
    assert block[-1][0] == native.root


def test_a_block_rebuilt_from_its_accounts_matches_the_tree() -> None:
    entries = _entries(40)
    tree = _build(entries)
    real = {p: e for p, e in zip(tree.positions, entries, strict=True) if 16 <= p < 32}
    levels = st.block_levels(3, 3, SECRET, 16, 16, real)
    assert levels[0][0] == tree.levels[0][0][16 * 32 : 32 * 32]
    assert levels[-1][0] == tree.node_hash(4, 1)


def test_padding_hides_the_count_and_the_order_is_secret() -> None:
    small, large = _build(_entries(3), pad_to=1024), _build(_entries(900), pad_to=1024)
    assert small.leaf_count == large.leaf_count == 1024
    other = st.build_sum_tree(
        3, st.RoundInput.from_entries(ASSETS, _entries(3)), secret=b"\x01" * 32, pad_to=1024
    )
    assert other.positions != small.positions and other.root != small.root
    p = st.padding_leaf(SECRET, 3, 0 if 0 not in small.positions else 1, 3)
    assert p[2] in [small.node_hash(0, i) for i in range(1024)]


def test_salts_and_leaves_change_every_round() -> None:
    entries = _entries(5)
    one = _build(entries, round_id=1)
    two = st.build_sum_tree(
        2, st.RoundInput.from_entries(ASSETS, entries), secret=b"\x07" * 32, pad_to=64
    )
    assert not set(one.levels[0][0][i : i + 32] for i in range(0, 64 * 32, 32)) & set(
        two.levels[0][0][i : i + 32] for i in range(0, 64 * 32, 32)
    )


@pytest.mark.parametrize("native", [True, False])
def test_a_negative_balance_is_refused(native: bool) -> None:
    use_native(native)
    try:
        bad = [*_entries(3), st.LiabilityEntry("neg", b"\x09" * 32, (1, -5, 0), ("a", "b", "c"))]
        with pytest.raises(st.SumTreeError, match="negative"):
            _build(bad)
    finally:
        use_native(True)


@pytest.mark.parametrize("native", [True, False])
def test_a_balance_or_a_sum_that_overflows_is_refused(native: bool) -> None:
    use_native(native)
    try:
        big = [st.LiabilityEntry("big", b"\x09" * 32, (1 << 128, 0, 0), ("a", "b", "c"))]
        with pytest.raises(st.SumTreeError, match="2\\^128"):
            _build(big)
        # sums: the bound holds for any tree of valid leaves; a forged level does not pass
        na = 1
        top = (st.MAX_SUM).to_bytes(32, "big")
        with pytest.raises(st.SumTreeError, match="overflow"):
            st.subtree_levels(b"\x01" * 64, top + (1).to_bytes(32, "big"), na)
    finally:
        use_native(True)


def test_two_users_on_one_leaf_are_refused() -> None:
    a, b = _entries(2)
    twin = st.LiabilityEntry("user-twin", a.commitment, b.balances, b.record_ids)
    with pytest.raises(st.SumTreeError, match="two leaves for one account"):
        _build([a, b, twin])


def test_a_path_with_a_negative_or_overflowing_sibling_sum_is_refused() -> None:
    entries = _entries(4)
    tree = _build(entries, pad_to=4)
    e, p = entries[0], tree.positions[0]
    path = tree.path(p)
    args = (3, e.commitment, st.derive(SECRET, 1, p), st.records_hash(e.record_ids), e.balances, p)
    for forged in (-1, st.MAX_SUM + 1, (1 << 256) - 5):
        bad = [st.PathStep(path[0].hash, (forged, *path[0].sums[1:])), *path[1:]]
        with pytest.raises(st.SumTreeError):
            st.process_path(*args, bad)
    # a sibling sum that does not match what its parent committed to: the root changes
    shifted = [st.PathStep(path[0].hash, (path[0].sums[0] - 1, *path[0].sums[1:])), *path[1:]]
    root, _totals = st.process_path(*args, shifted)
    assert root != tree.root


def test_round_and_position_are_bound() -> None:
    entries = _entries(4)
    tree = _build(entries, pad_to=4)
    e, p = entries[1], tree.positions[1]
    salt = st.derive(SECRET, 1, p)
    rec = st.records_hash(e.record_ids)
    root, _ = st.process_path(4, e.commitment, salt, rec, e.balances, p, tree.path(p))
    assert root != tree.root  # replayed under another round id
    with pytest.raises(st.SumTreeError):
        st.process_path(3, e.commitment, salt, rec, e.balances, 4, tree.path(p))


def test_python_permutation_matches_native(python_only: None) -> None:
    reference = list(st.permutation(SECRET, 300))
    use_native(True)
    assert list(st.permutation(SECRET, 300)) == reference
    assert sorted(reference) == list(range(300))

"""The C accelerator gives exactly the bytes of the pure Python path (when it is built)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from anchor.core import prepare
from anchor.core.hashing import keccak256
from anchor.core.merkle import MerkleTree
from anchor.core.native import native, native_available, pure_python, use_native
from anchor.core.records import account_commitment, parse_record
from anchor.core.samples import sample_record_objs, sample_records
from anchor.core.seal import leaf_hash_buffer, seal
from anchor.errors import RecordError
from tests.core.accel import needs_native

pytestmark = needs_native


def test_accelerator_is_built_when_expected() -> None:
    """With ANCHOR_REQUIRE_NATIVE=1 (the test command) a missing or broken build fails here,
    and every parity test fails instead of being skipped."""
    assert native_available(), "the C accelerator did not build (see the pip install output)"
    mod = native()
    assert mod is not None and hasattr(mod, "fast_chunk")
    assert prepare._accelerator() is mod  # the record fast path is set up


@pytest.fixture
def both() -> Iterator[None]:
    yield
    use_native(True)


def _python(fn, *args):  # type: ignore[no-untyped-def]
    with pure_python():
        return fn(*args)


def test_keccak_matches_tiny_keccak_on_all_lengths_around_the_rate() -> None:
    mod = native()
    assert mod is not None
    rnd = random.Random(1)
    for n in [*range(0, 300), 1000, 4096]:
        data = rnd.randbytes(n)
        assert mod.keccak256(data) == keccak256(data), n


def test_seal_is_byte_identical(both: None) -> None:
    rnd = random.Random(2)
    for n, seed in ((1, 1), (2, 2), (5, 3), (97, 4), (3000, 5), (20000, 6)):
        records = sample_records(n, seed=seed, accounts=50)
        commits = {
            a: account_commitment(a, rnd.randbytes(32)) for r in records for a in r.accounts()
        }
        seqs = [rnd.randrange(2**64) for _ in records]
        fast = seal(records, seqs, commits)
        slow = _python(seal, records, seqs, commits)
        assert fast.nodes_bytes() == slow.nodes_bytes(), n
        assert list(fast.order) == list(slow.order)
        assert fast.tree_order_of_inputs() == slow.tree_order_of_inputs()
        assert fast.proof(n // 2) == slow.proof(n // 2)


def test_extreme_values_and_long_strings(both: None) -> None:
    base = next(o for o in sample_record_objs(5, seed=1) if o["kind"] == "trade")
    objs = [
        dict(base, record_id="x" * 128, buy_order_id="y" * 128, price=str(2**256 - 1),
             buyer_fee=str(-(2**255)), seller_fee=str(2**255 - 1), ts_ns=str(2**64 - 1),
             ext="0x" + "ff" * 32),
        dict(base, record_id="a", buy_order_id="b" * 31, sell_order_id="c" * 32, market="d" * 32,
             price="0", quantity="0", buyer_fee="-1", seller_fee="0"),
    ]  # fmt: skip
    records = [parse_record(o) for o in objs]
    commits = {a: bytes([i]) * 32 for i, a in enumerate({a for r in records for a in r.accounts()})}
    seqs = [0, 2**64 - 1]
    assert leaf_hash_buffer(records, seqs, commits) == _python(
        leaf_hash_buffer, records, seqs, commits
    )


def test_duplicate_leaves_keep_oz_order(both: None) -> None:
    rnd = random.Random(3)
    pool = [rnd.randbytes(32) for _ in range(7)]
    leaves = [pool[rnd.randrange(7)] for _ in range(5000)]
    # same first two bytes, different tails: the in-bucket sort decides
    leaves += [b"\xab\xcd" + rnd.randbytes(30) for _ in range(300)]
    fast = MerkleTree.from_leaves(leaves)
    slow = _python(MerkleTree.from_leaves, leaves)
    assert fast.nodes_bytes() == slow.nodes_bytes()
    assert list(fast.order) == list(slow.order)


def test_missing_commitment_falls_back_to_the_precise_error(both: None) -> None:
    records = sample_records(3, seed=9)
    with pytest.raises(RecordError, match="no commitment"):
        leaf_hash_buffer(records, [1, 2, 3], {})


def test_one_and_two_threads_agree(both: None) -> None:
    mod = native()
    assert mod is not None
    leaves = [random.Random(4).randbytes(32) for _ in range(50000)]
    two = MerkleTree.from_leaves(leaves).nodes_bytes()
    mod.set_threads(1)
    try:
        one = MerkleTree.from_leaves(leaves).nodes_bytes()
    finally:
        mod.set_threads(2)
    assert one == two


def test_scalar_avx2_and_avx512_paths_agree(both: None) -> None:
    mod = native()
    assert mod is not None
    rnd = random.Random(12)
    records = sample_records(3001, seed=12, accounts=40)
    commits = {a: account_commitment(a, rnd.randbytes(32)) for r in records for a in r.accounts()}
    seqs = list(range(3001))
    results = []
    try:
        for level in (0, 1, 2):
            mod.set_simd(level)
            tree = seal(records, seqs, commits)
            results.append((tree.nodes_bytes(), bytes(tree.order)))
    finally:
        mod.set_simd(-1)
    assert results[0] == results[1] == results[2]
    assert results[0][0] == _python(seal, records, seqs, commits).nodes_bytes()


def test_commitment_table_matches_the_dict_for_any_key_shape(both: None) -> None:
    # the native sealer copies short ASCII account ids into a C table and asks the dict for
    # anything else: ids around the inline limit (23), keys that are equal but not the same
    # objects as the records' ids, and odd extra dict entries must all give the same leaves
    base = next(o for o in sample_record_objs(5, seed=1) if o["kind"] == "trade")
    names = ["a", "b" * 22, "c" * 23, "d" * 24, "e" * 60, "f-1", "g:2"]
    objs = [
        dict(base, record_id=f"t{i}", buyer=names[i % 7], seller=names[(i + 3) % 7])
        for i in range(40)
    ]
    records = [parse_record(o) for o in objs]
    rnd = random.Random(5)
    commits: dict[str, bytes] = {"".join(list(a)): rnd.randbytes(32) for a in names}
    commits["é"] = b"\x00" * 31  # never looked up; not copied into the table
    seqs = list(range(40))
    fast = leaf_hash_buffer(records, seqs, commits)
    assert fast == _python(leaf_hash_buffer, records, seqs, commits)
    del commits["c" * 23]
    with pytest.raises(RecordError, match="no commitment"):
        leaf_hash_buffer(records, seqs, commits)

"""The proof GET's one-call bundle writer (anchor.core.proof_render): the accelerator's bytes
are those of the pure writer (``make_bundle(...).to_json()``) for records of every kind, and
its search of a stored tree finds the path the careful search finds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchor.core import proof_render
from anchor.core.hashing import keccak256
from anchor.core.merkle import MerkleTree, process_proof
from anchor.core.native import native, use_native
from anchor.core.prepare import parse_canonical
from anchor.core.proof import AnchorInfo, make_bundle
from anchor.core.proof_render import path_nodes, read_stored, render_bundle, stored_path
from anchor.core.records import account_commitment, leaf_hashes, parse_record
from anchor.errors import InputError
from tests.core.accel import needs_native
from tests.core.bundles import FINAL_ANCHOR, make_batch
from tests.core.strategies import record_objs

pytestmark = needs_native

PENDING = AnchorInfo(chain_id=5, contract="0x" + "ab" * 20, status="pending")
SECOND = AnchorInfo(
    chain_id=10,
    contract="0x" + "cd" * 20,
    tx_hash=b"\x07" * 32,
    block_number=2**40,
    block_hash=b"\x08" * 32,
    status="included",
)


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the calls of the pure path from render_bundle."""
    calls = [0]

    def counted(*args: Any, **kw: Any) -> Any:
        calls[0] += 1
        return make_bundle(*args, **kw)

    monkeypatch.setattr(proof_render, "make_bundle", counted)
    yield calls


def _case(obj: dict[str, Any], rnd: random.Random) -> tuple[Any, ...]:
    record = parse_record(obj)
    salts = {a: rnd.randbytes(32) for a in record.accounts()}
    commitments = {a: account_commitment(a, s) for a, s in salts.items()}
    seq = rnd.choice([0, 1, rnd.randrange(1 << 63), (1 << 64) - 1])
    leaf = leaf_hashes([(record, seq)], commitments)[0]
    path = [rnd.randbytes(32) for _ in range(rnd.randrange(0, 24))]
    return record, salts, commitments, seq, path, process_proof(leaf, path)


def _reference(record: Any, seq: int, comm: Any, salts: Any, path: Any, root: bytes,
               batch_id: int, anchor: Any, anchors: Any) -> tuple[bytes, bytes]:  # fmt: skip
    use_native(False)
    try:
        b = make_bundle(record, seq, comm, salts, path, root, batch_id, anchor, anchors=anchors)
    finally:
        use_native(True)
    return b.to_json(), b.leaf


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj=record_objs(), seed=st.integers(0, 2**32), variant=st.integers(0, 3))
def test_native_bundle_is_the_pure_writers(obj: dict[str, Any], seed: int, variant: int) -> None:
    rnd = random.Random(seed)
    record, salts, comm, seq, path, root = _case(obj, rnd)
    text = record.canonical_json().decode("ascii")
    stored = read_stored(text)
    assert stored.record() == parse_canonical(text) == record
    assert stored.kind == record.kind and stored.accounts == record.accounts()
    anchor, anchors = [
        (None, None), (FINAL_ANCHOR, None), (PENDING, None), (None, [SECOND, FINAL_ANCHOR])
    ][variant]  # fmt: skip
    batch_id = rnd.choice([1, rnd.randrange(1 << 40)])
    want = _reference(record, seq, comm, {}, path, root, batch_id, anchor, anchors)
    assert native() is not None
    got = render_bundle(stored, seq, comm, {}, path, root, batch_id, anchor, anchors=anchors)
    assert got == want
    packed = render_bundle(stored, seq, comm, {}, b"".join(path), root, batch_id, anchor,
                           anchors=anchors)  # fmt: skip
    assert packed == want
    if record.accounts():  # a disclosed salt: the pure writer, the same bytes
        one = {record.accounts()[0]: salts[record.accounts()[0]]}
        want = _reference(record, seq, comm, one, path, root, batch_id, anchor, anchors)
        assert render_bundle(stored, seq, comm, one, path, root, batch_id, anchor,
                             anchors=anchors) == want  # fmt: skip


def test_samples_take_the_native_path(fallbacks: list[int]) -> None:
    batch = make_batch(200, seed=3)
    for i, record in enumerate(batch.records):
        stored = read_stored(record.canonical_json().decode("ascii"))
        path = batch.tree.proof(batch.positions[i])
        args = (batch.seqs[i], batch.commitments, {}, path, batch.tree.root, 9, FINAL_ANCHOR)
        want = make_bundle(record, *args)
        assert render_bundle(stored, *args) == (want.to_json(), want.leaf)
    assert fallbacks[0] == 0


def test_what_does_not_verify_is_refused_the_same_way(fallbacks: list[int]) -> None:
    batch = make_batch(20, seed=4)
    record = batch.records[0]
    stored = read_stored(record.canonical_json().decode("ascii"))
    path = batch.tree.proof(batch.positions[0])
    with pytest.raises(InputError, match="does not lead"):
        render_bundle(stored, batch.seqs[0], batch.commitments, {}, path, keccak256(b"x"), 1)
    with pytest.raises(InputError, match="does not lead"):
        render_bundle(stored, batch.seqs[0] + 1, batch.commitments, {}, path, batch.tree.root, 1)
    assert fallbacks[0] == 2  # the accelerator declined: the pure path named the error
    assert path_nodes(b"".join(path)) == path


def _chunks(tree: MerkleTree, per: int) -> dict[int, bytes]:
    nodes = tree.nodes_bytes()
    return {
        no: nodes[no * per * 32 : (no + 1) * per * 32] for no in range(len(nodes) // 32 // per + 1)
    }


@pytest.mark.parametrize("n", [1, 2, 3, 50, 257])
def test_stored_path_finds_the_path(n: int) -> None:
    leaves = [keccak256(i.to_bytes(4, "big")) for i in range(n)]
    tree = MerkleTree.from_leaves(leaves)
    per = 7
    full = _chunks(tree, per)
    cache: dict[int, bytes] = {}
    for k in range(n):
        for _ in range(100):
            got = stored_path(cache, per, n, tree.leaf(k))
            if type(got) is not list:
                break
            assert got and all(no not in cache for no in got)
            cache.update({no: full[no] for no in got})
        assert got == b"".join(tree.proof(k))
    assert stored_path(full, per, n, keccak256(b"absent")) is None
    short = dict(full)
    short[0] = short[0][:40]
    assert stored_path(short, per, n, tree.leaf(0)) in (None, b"".join(tree.proof(0)))
    use_native(False)
    try:
        assert stored_path(full, per, n, tree.leaf(0)) is None  # no accelerator: careful path
    finally:
        use_native(True)

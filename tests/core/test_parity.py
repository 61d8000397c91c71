"""Every accelerated path gives exactly the bytes of the pure one, on hypothesis-generated
records of every kind: the record fast path (C ``fast_parts``/``fast_chunk`` vs
``_fast_parts_py`` vs ``parse_record``), leaf hashing (C vs Python), the tree (C vs Python,
sizes from 1), the bundle serializer (vs ``json.dumps``) and the bundle parser (fast vs
strict). With ANCHOR_REQUIRE_NATIVE=1 a missing accelerator fails these tests."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchor.core.leaves import encode_leaf, leaf_hash, leaf_hash_buffer
from anchor.core.merkle import MerkleTree
from anchor.core.native import native
from anchor.core.native import pure_python as pure
from anchor.core.prepare import _fast_parts_py, parse_canonical, prepare_records
from anchor.core.proof import AnchorInfo, make_bundle, parse_bundle
from anchor.core.proof_parse import _parse_fast, _parse_strict
from anchor.core.records import Record, account_commitment, parse_record
from anchor.errors import ProofFormatError, RecordError
from tests.core.accel import needs_native
from tests.core.strategies import as_text, near_records, record_objs, reference

pytestmark = needs_native
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T = TypeVar("T")


def both(fn: Callable[[], T]) -> tuple[T, T]:
    """(accelerated, pure) results of ``fn``; the accelerator must be on for the first."""
    assert native() is not None
    fast = fn()
    with pure():
        slow = fn()
    return fast, slow


def _commitments(records: list[Record], seed: int) -> dict[str, bytes]:
    rnd = random.Random(seed)
    return {a: account_commitment(a, rnd.randbytes(32)) for r in records for a in r.accounts()}


@SETTINGS
@given(obj=st.one_of(record_objs(), near_records()))
def test_record_fast_paths_agree_with_each_other_and_the_core(obj: dict[str, Any]) -> None:
    mod = native()
    assert mod is not None
    ref = reference(obj)
    c, py = mod.fast_parts(obj), _fast_parts_py(obj)
    assert c == py
    assert py is None or py == ref


@SETTINGS
@given(obj=record_objs())
def test_every_plain_valid_record_takes_the_fast_path(obj: dict[str, Any]) -> None:
    mod = native()
    assert mod is not None
    ref = reference(obj)
    assert ref is not None
    assert mod.fast_parts(obj) == _fast_parts_py(obj) == ref


def _parsed(fn: Callable[[str], Record], text: str) -> tuple[Any, ...]:
    """What ``fn(text)`` gives, comparably: the record's parts, or the error's."""
    try:
        r = fn(text)
    except RecordError as exc:
        return ("error", exc.field, exc.problem)
    fields = tuple((k, type(v), v) for k, v in r.fields.items())
    return (r.kind, r.version, r.record_id, fields, r.leaf_order, r.canonical_json())


@SETTINGS
@given(obj=st.one_of(record_objs(), near_records()), style=st.integers(0, 4))
def test_parse_canonical_is_parse_record(obj: dict[str, Any], style: int) -> None:
    """The proof GET's reader of stored records: the same record (or error) as the core's,
    natively and in pure Python, for canonical texts and any other."""
    texts = [as_text(obj, style)]
    ref = reference(obj)
    if ref is not None:
        texts.append(ref[1].decode("ascii"))  # the canonical text, as stored
    for raw in texts:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        want = _parsed(parse_record, text)
        fast, slow = both(lambda t=text: _parsed(parse_canonical, t))  # type: ignore[misc]
        assert fast == slow == want


@settings(max_examples=60, deadline=None)
@given(
    objs=st.lists(st.one_of(record_objs(), near_records()), min_size=1, max_size=12),
    styles=st.lists(st.integers(0, 4), min_size=12, max_size=12),
)
def test_prepare_records_native_equals_pure(objs: list[dict[str, Any]], styles: list[int]) -> None:
    items: list[Any] = [o if s == 4 else as_text(o, s) for o, s in zip(objs, styles, strict=False)]
    items.append("  ")  # a blank line
    for loads in (orjson.loads, json.loads):
        fast, slow = both(lambda: prepare_records(items, 7, loads=loads))  # noqa: B023
        assert fast == slow
    for item, got in zip(items, fast, strict=True):
        ref = reference(item) if item != "  " else None
        if ref is None:
            assert got is None or type(got) is not tuple
        else:
            assert type(got) is tuple
            assert (got[7], got[4].encode(), got[6]) == ref


@settings(max_examples=60, deadline=None)
@given(
    objs=st.lists(record_objs(), min_size=1, max_size=40),
    seqs=st.lists(st.integers(0, 2**64 - 1), min_size=40, max_size=40),
    seed=st.integers(0, 2**32),
)
def test_leaf_hashes_native_equal_pure(
    objs: list[dict[str, Any]], seqs: list[int], seed: int
) -> None:
    records = [parse_record(o) for o in objs]
    seqs = seqs[: len(records)]
    com = _commitments(records, seed)
    expected = b"".join(
        leaf_hash(encode_leaf(r, s, com)) for r, s in zip(records, seqs, strict=True)
    )
    orders: list[Any] = [r.leaf_order for r in records]
    for items in (records, orders):
        fast, slow = both(lambda: leaf_hash_buffer(items, seqs, com))  # noqa: B023
        assert fast == slow == expected


@settings(max_examples=120, deadline=None)
@given(
    n=st.one_of(st.integers(1, 3), st.integers(1, 70), st.integers(1, 3000)),
    dupes=st.integers(0, 5),
    seed=st.integers(0, 2**32),
)
def test_trees_native_equal_pure(n: int, dupes: int, seed: int) -> None:
    rnd = random.Random(seed)
    leaves = [rnd.randbytes(32) for _ in range(n)]
    leaves += [leaves[rnd.randrange(n)] for _ in range(min(dupes, n))]  # equal leaves: stable
    buf = b"".join(leaves)
    (f1, f2), (s1, s2) = both(
        lambda: (MerkleTree.from_leaf_buffer(buf), MerkleTree.from_leaves(leaves))
    )
    for fast, slow in ((f1, s1), (f2, s2), (f1, s2)):
        assert fast.nodes_bytes() == slow.nodes_bytes()
        assert list(fast.order) == list(slow.order)
    k = rnd.randrange(len(leaves))
    assert f1.proof(k) == s1.proof(k)


@settings(max_examples=80, deadline=None)
@given(
    objs=st.lists(record_objs(), min_size=1, max_size=9),
    pick=st.integers(0, 8),
    status=st.sampled_from(["pending", "included", "final"]),
    disclose=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_bundles_serialize_like_json_dumps_and_parse_both_ways(
    objs: list[dict[str, Any]], pick: int, status: str, disclose: bool, seed: int
) -> None:
    rnd = random.Random(seed)
    records = [parse_record(o) for o in objs]
    salts_all = {a: rnd.randbytes(32) for r in records for a in r.accounts()}
    com = {a: account_commitment(a, s) for a, s in salts_all.items()}
    seqs = [rnd.randrange(2**64) for _ in records]
    tree = MerkleTree.from_leaf_buffer(leaf_hash_buffer(records, seqs, com))
    i = pick % len(records)
    r = records[i]
    salts = {a: salts_all[a] for a in r.accounts()[:1]} if disclose else {}
    anchor = (
        AnchorInfo()
        if status == "pending"
        else AnchorInfo(
            rnd.randrange(2**64),
            "0x" + rnd.randbytes(20).hex(),
            rnd.randbytes(32),
            rnd.randrange(2**64),
            rnd.randbytes(32),
            status,
        )
    )
    k = tree.tree_order_of_inputs()[i]
    bundle = make_bundle(
        r, seqs[i], com, salts, tree.proof(k), tree.root, rnd.randrange(2**64), anchor
    )
    raw = bundle.to_json()
    assert raw == (json.dumps(bundle.to_obj(), indent=2) + "\n").encode()
    assert _parse_fast(raw) == _parse_strict(raw) == parse_bundle(raw) == bundle
    # an edited byte: the fast path accepts nothing the strict path refuses
    at = rnd.randrange(len(raw))
    edited = raw[:at] + bytes([rnd.randrange(32, 127)]) + raw[at + 1 :]
    try:
        strict = _parse_strict(edited)
    except ProofFormatError:
        strict = None
    try:
        fast = _parse_fast(edited)
    except Exception:
        fast = None
    assert fast is None or fast == strict

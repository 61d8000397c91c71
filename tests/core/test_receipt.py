"""The receipt leaf is exactly OpenZeppelin's standard leaf of ``abi.encode(uint8 255, uint16 1,
string recordId, uint64 seq, bytes32 leaf)`` (checked with eth-abi, an independent encoder),
through the C accelerator and the pure Python path alike; a signed load's per-record
receipts agree with build_receipts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account

from anchor.core.hashing import keccak256
from anchor.core.native import native_available, use_native
from anchor.core.receipt import (
    build_receipts,
    receipt_in_load,
    receipt_leaf,
    receipt_leaves,
    sign_load,
    verify_receipt,
)
from anchor.errors import InputError

KEY = "0x" + "4b" * 32


def _reference(rid: str, leaf: bytes, seq: int) -> bytes:
    types = ["uint8", "uint16", "string", "uint64", "bytes32"]
    return keccak256(keccak256(abi_encode(types, [255, 1, rid, seq, leaf])))


@pytest.fixture(params=["native", "python"])
def path(request: pytest.FixtureRequest) -> Iterator[str]:
    assert native_available()  # the build is expected to produce the accelerator
    use_native(request.param == "native")
    try:
        yield str(request.param)
    finally:
        use_native(True)


@pytest.mark.parametrize("length", [1, 2, 31, 32, 33, 63, 64, 65, 128])
def test_receipt_leaves_match_the_abi_encoder(length: int, path: str) -> None:
    ids = [("x" * length)[:-1] + chr(ord("a") + i % 26) for i in range(7)]
    leaves = b"".join(hashlib.sha256(i.encode()).digest() for i in ids)
    first = 2**64 - 7 if length == 128 else 1 + length
    got = receipt_leaves(ids, leaves, first)
    want = b"".join(
        _reference(rid, leaves[32 * i : 32 * i + 32], first + i) for i, rid in enumerate(ids)
    )
    assert got == want
    assert receipt_leaf(ids[3], leaves[96:128], first + 3) == want[96:128]
    assert receipt_leaf("é-ü", leaves[:32], 5) == _reference("é-ü", leaves[:32], 5)


def test_receipt_leaves_refuse_bad_input(path: str) -> None:
    with pytest.raises(InputError):
        receipt_leaves(["a", "b"], bytes(32), 1)
    with pytest.raises(InputError):
        receipt_leaves(["a"], bytes(32), 2**64)


def test_signed_load_gives_the_same_receipts_as_build_receipts() -> None:
    acct = Account.from_key(KEY)

    def sign(digest: bytes) -> bytes:
        return bytes(acct.unsafe_sign_hash(digest).signature)

    entries = [(f"r-{i}", hashlib.sha256(bytes([i])).digest(), 40 + i) for i in range(37)]
    rleaves = receipt_leaves([e[0] for e in entries], b"".join(e[1] for e in entries), 40)
    load, tree = sign_load(rleaves, 40, 1_700_000_000, 1_700_003_600, sign, acct.address)
    built = build_receipts(entries, 1_700_000_000, 1_700_003_600, sign, acct.address)
    for entry, want in zip(entries, built, strict=True):
        got = receipt_in_load(load, tree, *entry)
        assert got == want
        assert verify_receipt(got, acct.address) == acct.address.lower()
    assert load.to_obj()["count"] == 37 and load.signature == built[0].signature
    with pytest.raises(InputError):
        receipt_in_load(load, tree, "r-0", entries[1][1], 40)  # not this record's leaf
    with pytest.raises(InputError):
        sign_load(rleaves, 40, 10, 9, sign, acct.address)  # deadline before ingest

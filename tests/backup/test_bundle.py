"""The bundle format: deterministic, strict, and rebuilding exactly the sealed root."""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any

import orjson
import pytest

from anchor.backup.bundle import (
    FORMAT,
    Bundle,
    BundleFormatError,
    Receipt,
    content_name,
    decode_bundle,
    decode_receipt,
    encode_bundle,
    encode_receipt,
    rebuild,
)
from anchor.backup.source import bundle_from_db, list_batches
from tests.backup.helpers import fill


def _bundle(db: Any, sizes: list[int] | None = None) -> tuple[Bundle, bytes, Any]:
    batch = fill(db, sizes or [40])[-1]
    with db.connect(write=False) as conn:
        row = next(b for b in list_batches(conn) if b.id == batch.id)
        bundle, _ = bundle_from_db(conn, row)
    return bundle, encode_bundle(bundle), batch


def _body(data: bytes) -> list[bytes]:
    return zlib.decompress(data, 31).split(b"\n")


def _regzip(lines: list[bytes]) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(b"\n".join(lines)) + c.flush()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_round_trip_deterministic_and_rebuilds_the_sealed_root(db: Any) -> None:
    bundle, data, batch = _bundle(db)
    assert encode_bundle(bundle) == data  # deterministic bytes, so a stable content name
    back = decode_bundle(data)
    assert back.records == bundle.records and back.seqs == bundle.seqs
    assert dict(back.salts) == dict(bundle.salts)
    rebuilt = rebuild(back)
    assert rebuilt.root == batch.root
    assert rebuilt.leaves == sorted(rebuilt.leaves) and rebuilt.in_tree_order
    lines = _body(data)
    header = orjson.loads(lines[0])
    assert header["format"] == FORMAT and header["batch_id"] == batch.id
    assert header["leaf_encodings"]["balance/1"][:4] == ["uint8", "uint16", "string", "uint64"]
    assert lines[-1] == b""  # final newline
    assert "salt" not in repr(bundle) and bundle.salts[next(iter(bundle.salts))].hex() not in repr(
        bundle
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_strict_parsing(db: Any) -> None:
    _, data, _ = _bundle(db, [12])
    lines = _body(data)
    with pytest.raises(BundleFormatError, match="trailing data"):
        decode_bundle(data + b"x")
    with pytest.raises(BundleFormatError):
        decode_bundle(data[:-5])  # truncated gzip
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 1
    with pytest.raises(BundleFormatError):
        decode_bundle(bytes(bad))
    # unknown format version
    header = orjson.loads(lines[0])
    header["format"] = "ledger-anchor-backup/2"
    with pytest.raises(BundleFormatError, match="unknown format"):
        decode_bundle(_regzip([orjson.dumps(header), *lines[1:]]))
    # an extra line before the trailer
    with pytest.raises(BundleFormatError):
        decode_bundle(_regzip([*lines[:-2], lines[-3], *lines[-2:]]))
    # an unknown header field
    header = orjson.loads(lines[0])
    header["comment"] = "x"
    with pytest.raises(BundleFormatError, match="unknown or missing"):
        decode_bundle(_regzip([orjson.dumps(header), *lines[1:]]))
    # a line after the trailer
    with pytest.raises(BundleFormatError):
        decode_bundle(_regzip([*lines[:-1], b"{}", b""]))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_rebuild_refuses_altered_reordered_or_noncanonical_records(db: Any) -> None:
    bundle, _, batch = _bundle(db, [20])
    # an amount changed: parses, canonical, but a different root
    recs = list(bundle.records)
    i = next(i for i, r in enumerate(recs) if b'"kind":"balance"' in r)
    obj = orjson.loads(recs[i])
    obj["available"] = str(int(obj["available"]) + 1)
    recs[i] = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    assert rebuild(replace(bundle, records=recs)).root != batch.root
    # the same record spelled differently (spaces): not canonical
    recs = list(bundle.records)
    recs[i] = recs[i].replace(b",", b", ", 1)
    with pytest.raises(BundleFormatError, match="canonical"):
        rebuild(replace(bundle, records=recs))
    # two records swapped: not in tree order (noted), same root
    recs, seqs = list(bundle.records), list(bundle.seqs)
    recs[0], recs[1] = recs[1], recs[0]
    seqs[0], seqs[1] = seqs[1], seqs[0]
    swapped = rebuild(replace(bundle, records=recs, seqs=seqs))
    assert not swapped.in_tree_order and swapped.root == batch.root
    # a salt missing
    salts = dict(bundle.salts)
    salts.pop(next(iter(salts)))
    with pytest.raises(BundleFormatError, match="salt"):
        rebuild(replace(bundle, salts=salts))
    # a wrong seq gives another leaf
    seqs = list(bundle.seqs)
    seqs[0] = bundle.last_seq + 1
    assert rebuild(replace(bundle, seqs=seqs, last_seq=bundle.last_seq + 1)).root != batch.root


def test_receipt_round_trip_and_strictness() -> None:
    r = Receipt(
        batch_id=3,
        bundle="ab" * 32,
        root=b"\x01" * 32,
        leaf_count=9,
        chain_id=31337,
        contract="0x" + "11" * 20,
        tx_hash=b"\x02" * 32,
        block_number=12,
        block_hash=b"\x03" * 32,
        state="final",
    )
    data = encode_receipt(r)
    assert decode_receipt(data) == r
    assert len(content_name(data)) == 64
    with pytest.raises(BundleFormatError):
        decode_receipt(data + b"{}\n")
    obj = orjson.loads(data)
    obj["extra"] = 1
    with pytest.raises(BundleFormatError):
        decode_receipt(orjson.dumps(obj) + b"\n")

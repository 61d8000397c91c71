"""Records: validation, canonical form, commitments, ABI leaves (byte-identical to eth_abi)."""

from __future__ import annotations

import json
import random
from typing import Any

import eth_abi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchor.core.hashing import keccak256
from anchor.core.records import (
    KIND_CODES,
    KINDS,
    Record,
    account_commitment,
    encode_leaf,
    encode_leaf_redacted,
    leaf_hash,
    leaf_hashes,
    leaf_types,
    leaf_values,
    leaf_values_json,
    parse_record,
    parse_redacted,
    redact,
)
from anchor.core.samples import sample_record_objs, sample_records
from anchor.errors import InputError, RecordError

TRADE: dict[str, Any] = {
    "kind": "trade",
    "version": 1,
    "record_id": "T-1",
    "ts_ns": "1750000000000000000",
    "market": "BTC-PERP",
    "buyer": "alice",
    "seller": "bob",
    "buy_order_id": "o-1",
    "sell_order_id": "o-2",
    "taker_side": "buy",
    "price": "6500000",
    "quantity": "7",
    "buyer_fee": "-3",
    "seller_fee": "5",
}
SALTS = {"alice": bytes(range(32)), "bob": bytes(range(32, 64))}
COMMITS = {a: account_commitment(a, s) for a, s in SALTS.items()}


def _one_of_each() -> list[dict[str, Any]]:
    objs = list(sample_record_objs(len(KINDS), seed=5))
    assert [o["kind"] for o in objs] == list(KINDS)
    return objs


def _commitments(records: list[Record]) -> dict[str, bytes]:
    rnd = random.Random(1)
    return {a: account_commitment(a, rnd.randbytes(32)) for r in records for a in r.accounts()}


# ------------------------------------------------------------------ parsing and canonical form


def test_every_kind_parses_and_has_its_code() -> None:
    for obj in _one_of_each():
        rec = parse_record(obj)
        assert rec.kind == obj["kind"] and rec.version == 1 and rec.record_id == obj["record_id"]
        types = leaf_types(rec.kind, rec.version)
        assert types[:4] == ("uint8", "uint16", "string", "uint64")
        values = leaf_values(rec, 9, _commitments([rec]))
        assert values[0] == KIND_CODES[rec.kind] and values[1] == 1 and values[3] == 9
    assert sorted(KIND_CODES.values()) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_same_record_same_bytes_whatever_key_order_or_number_spelling() -> None:
    a = parse_record(TRADE)
    shuffled = dict(reversed(list(TRADE.items())))
    spelled = dict(shuffled, quantity=7, price="0006500000", ts_ns=1750000000000000000, version="1")
    b = parse_record(json.dumps(spelled, indent=3).encode())
    c = parse_record(json.dumps(shuffled))
    assert a.canonical_json() == b.canonical_json() == c.canonical_json()
    assert a == b == c and hash(a) == hash(b)
    assert encode_leaf(a, 1, COMMITS) == encode_leaf(b, 1, COMMITS)
    # the canonical JSON parses back to the same record, and is a fixed point
    assert parse_record(a.canonical_json()).canonical_json() == a.canonical_json()


def test_canonical_json_shape() -> None:
    rec = parse_record(TRADE)
    text = rec.canonical_json()
    obj = json.loads(text)
    assert list(obj) == sorted(obj)
    assert b" " not in text
    assert obj["quantity"] == "7" and obj["version"] == 1
    assert "ext" not in obj  # zero ext omitted
    assert "seq" not in obj and "salt" not in text.decode()


def test_ext_zero_is_the_same_as_absent_and_nonzero_changes_the_leaf() -> None:
    zero = parse_record(dict(TRADE, ext="0x" + "00" * 32))
    assert zero == parse_record(TRADE)
    upper = parse_record(dict(TRADE, ext="0x" + "AB" * 32))
    lower = parse_record(dict(TRADE, ext="0x" + "ab" * 32))
    assert upper == lower
    assert json.loads(upper.canonical_json())["ext"] == "0x" + "ab" * 32
    assert encode_leaf(upper, 1, COMMITS) != encode_leaf(zero, 1, COMMITS)


def test_accounts_of_a_trade_and_a_self_trade() -> None:
    assert parse_record(TRADE).accounts() == ("alice", "bob")
    assert parse_record(dict(TRADE, seller="alice")).accounts() == ("alice",)


def test_position_size_may_be_negative() -> None:
    obj = next(o for o in _one_of_each() if o["kind"] == "position")
    rec = parse_record(dict(obj, size="-5"))
    assert rec.fields["size"] == -5


BAD: list[tuple[str, Any, str, str]] = [
    # (what, mutated field value or special, expected field, expected words in problem)
    ("float", ("quantity", 7.5), "quantity", "float"),
    ("float integral", ("quantity", 7.0), "quantity", "float"),
    ("exponent", ("quantity", "7e3"), "quantity", "decimal string"),
    ("json exponent", ("price", "RAW:1e3"), "price", "float"),
    ("NaN", ("price", "RAW:NaN"), "price", "float"),
    ("Infinity", ("price", "RAW:-Infinity"), "price", "float"),
    ("decimal point", ("price", "10.5"), "price", "decimal string"),
    ("plus sign", ("price", "+10"), "price", "decimal string"),
    ("spaces", ("price", " 10"), "price", "decimal string"),
    ("hex amount", ("price", "0x10"), "price", "decimal string"),
    ("unicode digits", ("price", "１２"), "price", "decimal string"),
    ("boolean", ("quantity", True), "quantity", "boolean"),
    ("null", ("quantity", None), "quantity", "null"),
    ("negative", ("quantity", "-1"), "quantity", "negative"),
    ("negative int", ("price", -1), "price", "negative"),
    ("uint256 overflow", ("price", str(2**256)), "price", "out of range"),
    ("int256 overflow", ("buyer_fee", str(2**255)), "buyer_fee", "out of range"),
    ("int256 underflow", ("buyer_fee", str(-(2**255) - 1)), "buyer_fee", "below"),
    ("uint64 overflow", ("ts_ns", 2**64), "ts_ns", "out of range"),
    ("over-long id", ("record_id", "x" * 129), "record_id", "too long"),
    ("over-long market", ("market", "M" * 33), "market", "too long"),
    ("over-long account", ("buyer", "a" * 129), "buyer", "too long"),
    ("empty id", ("record_id", ""), "record_id", "empty"),
    ("space in id", ("buy_order_id", "o 1"), "buy_order_id", "printable ASCII"),
    ("non-ascii id", ("market", "BTC€"), "market", "printable ASCII"),
    ("control char", ("seller", "bob\n"), "seller", "printable ASCII"),
    ("number as id", ("buyer", 12), "buyer", "string"),
    ("bad enum", ("taker_side", "long"), "taker_side", "one of"),
    ("bad hex short", ("ext", "0x1234"), "ext", "bad hex"),
    ("bad hex chars", ("ext", "0x" + "zz" * 32), "ext", "bad hex"),
    ("bad hex no prefix", ("ext", "ab" * 32), "ext", "bad hex"),
    ("hex not string", ("ext", 5), "ext", "hex"),
    ("unknown field", ("colour", "red"), "colour", "unknown field"),
    ("seq is not input", ("seq", 5), "seq", "unknown field"),
    ("unknown kind", ("kind", "swap"), "kind", "unknown kind"),
    ("unknown version", ("version", 2), "version", "unknown version"),
    ("version float", ("version", 1.0), "version", "float"),
]


@pytest.mark.parametrize(("what", "change", "field", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_values_are_rejected_naming_the_field(
    what: str, change: tuple[str, Any], field: str, words: str
) -> None:
    name, value = change
    obj = dict(TRADE)
    if isinstance(value, str) and value.startswith("RAW:"):
        obj[name] = "@@"
        text = json.dumps(obj).replace('"@@"', value[4:])
        with pytest.raises(RecordError) as exc:
            parse_record(text)
    else:
        obj[name] = value
        with pytest.raises(RecordError) as exc:
            parse_record(obj)
        # the JSON route says the same
        if not isinstance(value, float):
            with pytest.raises(RecordError) as exc2:
                parse_record(json.dumps(obj, ensure_ascii=False).encode())
            assert exc2.value.field == field
    assert exc.value.field == field, what
    assert words in exc.value.problem, (what, exc.value.problem)
    assert str(exc.value).startswith(f"{field}: ")


@pytest.mark.parametrize("missing", [k for k in TRADE])
def test_missing_fields_are_rejected(missing: str) -> None:
    obj = {k: v for k, v in TRADE.items() if k != missing}
    with pytest.raises(RecordError) as exc:
        parse_record(obj)
    assert exc.value.field == missing and "missing" in exc.value.problem


def test_non_utf8_bad_json_duplicates_and_non_objects() -> None:
    good = json.dumps(TRADE).encode()
    with pytest.raises(RecordError, match="UTF-8") as exc:
        parse_record(good.replace(b"alice", b"al\xffce"))
    assert exc.value.field == "record"
    with pytest.raises(RecordError, match="not valid JSON"):
        parse_record(good[:-1])
    with pytest.raises(RecordError, match="not valid JSON"):
        parse_record(good + b" {}")
    with pytest.raises(RecordError) as exc:
        parse_record(good[:-1] + b', "price": "1"}')
    assert exc.value.field == "price" and "duplicate" in exc.value.problem
    with pytest.raises(RecordError, match="JSON object"):
        parse_record(b"[1, 2]")
    with pytest.raises(RecordError, match="JSON object"):
        parse_record("null")
    with pytest.raises(RecordError):
        parse_record(b"[" * 100000)
    assert isinstance(RecordError("x", "y"), InputError)


def test_record_error_names_the_line_when_given() -> None:
    err = RecordError("price", "must not be negative", line=3)
    assert str(err) == "line 3: price: must not be negative"


# ------------------------------------------------------------------ commitments and privacy


def test_commitment_is_keccak_of_salt_then_utf8_account() -> None:
    salt = bytes(range(32))
    assert account_commitment("alice", salt) == keccak256(salt + b"alice")
    assert account_commitment("alice", salt) != account_commitment("alice", bytes(32))
    with pytest.raises(ValueError):
        account_commitment("alice", b"short")


def test_leaf_holds_no_account_id_only_commitments() -> None:
    rec = parse_record(TRADE)
    enc = encode_leaf(rec, 3, COMMITS)
    assert b"alice" not in enc and b"bob" not in enc
    assert COMMITS["alice"] in enc and COMMITS["bob"] in enc
    with pytest.raises(RecordError, match="no commitment"):
        encode_leaf(rec, 3, {"alice": COMMITS["alice"]})


def test_redacted_record_round_trip_gives_the_same_leaf() -> None:
    rec = parse_record(TRADE)
    red = redact(rec, COMMITS)
    text = red.canonical_json()
    assert b"alice" not in text and b"bob" not in text
    again = parse_redacted(text)
    assert again == red
    assert encode_leaf_redacted(again, 77) == encode_leaf(rec, 77, COMMITS)
    with pytest.raises(RecordError) as exc:
        parse_redacted(rec.canonical_json())  # account ids where commitments belong
    assert exc.value.field == "buyer"


# ------------------------------------------------------------------ ABI encoding


def test_encode_leaf_equals_eth_abi_for_samples() -> None:
    records = sample_records(200, seed=3)
    commits = _commitments(records)
    for seq, rec in enumerate(records):
        types = list(leaf_types(rec.kind, rec.version))
        values = leaf_values(rec, seq, commits)
        assert encode_leaf(rec, seq, commits) == eth_abi.encode(types, list(values))


_ident = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)


@settings(max_examples=150, deadline=None)
@given(
    rid=_ident.filter(lambda s: len(s) <= 128),
    market=_ident.filter(lambda s: len(s) <= 32),
    oid=_ident.filter(lambda s: len(s) <= 128),
    price=st.integers(0, 2**256 - 1),
    qty=st.integers(0, 2**256 - 1),
    fee=st.integers(-(2**255), 2**255 - 1),
    ts=st.integers(0, 2**64 - 1),
    seq=st.integers(0, 2**64 - 1),
    ext=st.binary(min_size=32, max_size=32),
)
def test_encode_leaf_equals_eth_abi_property(
    rid: str, market: str, oid: str, price: int, qty: int, fee: int, ts: int, seq: int, ext: bytes
) -> None:
    obj = dict(
        TRADE,
        record_id=rid,
        market=market,
        buy_order_id=oid,
        price=str(price),
        quantity=qty,
        buyer_fee=str(fee),
        ts_ns=ts,
        ext="0x" + ext.hex(),
    )
    rec = parse_record(obj)
    types = list(leaf_types("trade", 1))
    values = leaf_values(rec, seq, COMMITS)
    encoded = encode_leaf(rec, seq, COMMITS)
    assert encoded == eth_abi.encode(types, list(values))
    assert leaf_hash(encoded) == keccak256(keccak256(encoded))
    assert parse_record(rec.canonical_json()) == rec


def test_leaf_values_json_and_batch_hashes() -> None:
    rec = parse_record(TRADE)
    vals = leaf_values(rec, 5, COMMITS)
    js = leaf_values_json(vals)
    assert js[:4] == ["3", "1", "T-1", "5"]
    assert js[6] == "0x" + COMMITS["alice"].hex()
    assert all(isinstance(v, str) for v in js)
    recs = sample_records(20, seed=9)
    commits = _commitments(recs)
    items = [(r, i + 1) for i, r in enumerate(recs)]
    assert leaf_hashes(items, commits) == [leaf_hash(encode_leaf(r, s, commits)) for r, s in items]


def test_seq_must_be_uint64() -> None:
    rec = parse_record(TRADE)
    for bad in (-1, 2**64, True):
        with pytest.raises(RecordError) as exc:
            encode_leaf(rec, bad, COMMITS)
        assert exc.value.field == "seq"


def test_docs_list_the_leaf_encodings_and_the_example_parses() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "records.md").read_text()
    documented = re.findall(r"leafEncoding: `([a-z0-9,]+)`", text)
    assert documented == [",".join(leaf_types(k, 1)) for k in KINDS]
    example = re.search(r"```json\n(.*?)```", text, re.S)
    assert example is not None
    assert parse_record(example.group(1)).kind == "balance"


def test_records_pickle_and_copy() -> None:
    import copy
    import pickle

    rec = parse_record(TRADE)
    again = pickle.loads(pickle.dumps(rec))
    assert again == rec and again.leaf_order == rec.leaf_order
    assert copy.deepcopy(rec) == rec
    red = redact(rec, COMMITS)
    assert pickle.loads(pickle.dumps(red)) == red


def test_replace_keeps_the_native_view_consistent() -> None:
    import dataclasses

    rec = parse_record(TRADE)
    other = dataclasses.replace(rec, record_id="T-2")
    assert other.leaf_order[3] == "T-2"


def test_hostile_nesting_and_size_are_refused_even_in_a_small_stack_thread() -> None:
    """json's C scanner recurses per level; a deep input must be refused before it runs,
    whatever the thread's stack (server worker threads are not the main thread)."""
    import threading

    errors: list[BaseException] = []

    def hostile() -> None:
        for data in (b"[" * 60_000, b'{"a":' * 20_000 + b"1" + b"}" * 20_000, b" " * 70_000):
            try:
                parse_record(data)
            except RecordError as exc:
                errors.append(exc)

    threading.stack_size(256 * 1024)
    try:
        worker = threading.Thread(target=hostile)
        worker.start()
        worker.join()
    finally:
        threading.stack_size(0)
    assert [e.field for e in errors] == ["record"] * 3
    assert "nested too deeply" in str(errors[0]) and "too large" in str(errors[2])

"""Proof bundle v1: building, canonical serialization, strict parsing, privacy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from anchor.core.hashing import keccak256
from anchor.core.proof import FORMAT, AnchorInfo, ProofBundle, make_bundle, parse_bundle
from anchor.core.records import parse_record
from anchor.errors import InputError, ProofFormatError
from tests.core.bundles import FINAL_ANCHOR, make_batch

BATCH = make_batch()
TRADE_I = next(
    i for i, r in enumerate(BATCH.records) if r.kind == "trade" and len(r.accounts()) == 2
)


def _trade_bundle() -> ProofBundle:
    return BATCH.bundle(TRADE_I, anchor=FINAL_ANCHOR, batch_id=4)


def test_round_trip_is_exact() -> None:
    for i in range(len(BATCH.records)):
        b = BATCH.bundle(i)
        text = b.to_json()
        again = parse_bundle(text)
        assert again == b and again.to_json() == text
        assert parse_bundle(text.decode()) == b
        assert parse_bundle(text.rstrip(b"\n")) == b  # the final newline is optional


def test_bundle_fields_and_order() -> None:
    b = _trade_bundle()
    obj = json.loads(b.to_json())
    assert list(obj) == [
        "format", "batchId", "seq", "record", "accounts", "leafEncoding", "value", "leaf",
        "proof", "root", "anchor", "checksum",
    ]  # fmt: skip
    assert obj["format"] == FORMAT == "ledger-anchor-proof/1"
    assert obj["batchId"] == 4 and obj["seq"] == BATCH.seqs[TRADE_I]
    assert obj["anchor"] == {
        "chainId": 31337,
        "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
        "txHash": "0x" + "ab" * 32,
        "blockNumber": 12,
        "blockHash": "0x" + "cd" * 32,
        "status": "final",
    }
    assert len(obj["leafEncoding"]) == len(obj["value"])
    pending = json.loads(BATCH.bundle(0).to_json())["anchor"]
    assert pending == {
        "chainId": None, "contract": None, "txHash": None, "blockNumber": None,
        "blockHash": None, "status": "pending",
    }  # fmt: skip


def test_only_the_requesters_salt_and_no_other_account_id() -> None:
    rec = BATCH.records[TRADE_I]
    buyer, seller = rec.fields["buyer"], rec.fields["seller"]
    b = BATCH.bundle(TRADE_I, owner=buyer)
    text = b.to_json().decode()
    assert buyer in text and BATCH.salts[buyer].hex() in text
    assert seller not in text and BATCH.salts[seller].hex() not in text
    assert BATCH.commitments[seller].hex() in text  # the counterparty only as a commitment
    assert [a.field for a in b.accounts] == ["buyer"]
    anon = BATCH.bundle(TRADE_I, owner=None).to_json().decode()
    assert buyer not in anon and seller not in anon and '"accounts": []' in anon


def test_make_bundle_refuses_inconsistent_input() -> None:
    rec = BATCH.records[TRADE_I]
    buyer = rec.fields["buyer"]
    proof = BATCH.tree.proof(BATCH.positions[TRADE_I])
    seq = BATCH.seqs[TRADE_I]
    with pytest.raises(InputError, match="salt"):
        make_bundle(rec, seq, BATCH.commitments, {buyer: bytes(32)}, proof, BATCH.tree.root, 1)
    with pytest.raises(InputError, match="does not mention"):
        make_bundle(rec, seq, BATCH.commitments, {"nobody": bytes(32)}, proof, BATCH.tree.root, 1)
    with pytest.raises(InputError, match="proof"):
        make_bundle(rec, seq + 1, BATCH.commitments, {}, proof, BATCH.tree.root, 1)
    with pytest.raises(ProofFormatError, match="needs"):
        AnchorInfo(status="final")
    with pytest.raises(ProofFormatError):
        AnchorInfo(status="done")


def test_with_anchor_refreshes_the_checksum() -> None:
    b = BATCH.bundle(1)
    c = b.with_anchor(FINAL_ANCHOR)
    assert c.checksum != b.checksum and c.checksum == c.computed_checksum()
    assert parse_bundle(c.to_json()).anchor == FINAL_ANCHOR


def _mutated(change: Any) -> bytes:
    obj = json.loads(_trade_bundle().to_json())
    change(obj)
    return (json.dumps(obj, indent=2) + "\n").encode()


BAD_BUNDLES: list[tuple[str, Any, str]] = [
    ("unknown format", lambda o: o.update(format="something/1"), "unknown format"),
    (
        "unknown version",
        lambda o: o.update(format="ledger-anchor-proof/9"),
        "unsupported format version",
    ),
    (  # v2 lists "anchors" (issue 18): a v1 body relabelled v2 is refused
        "v1 body as v2",
        lambda o: o.update(format="ledger-anchor-proof/2"),
        "missing field 'anchors'",
    ),
    ("missing field", lambda o: o.pop("proof"), "missing field 'proof'"),
    ("unknown field", lambda o: o.update(extra=1), "unknown field 'extra'"),
    ("missing anchor field", lambda o: o["anchor"].pop("txHash"), "missing field anchor.txHash"),
    ("unknown anchor field", lambda o: o["anchor"].update(x=1), "unknown field anchor.x"),
    (
        "uppercase hex",
        lambda o: o.update(leaf=o["leaf"].upper().replace("0X", "0x")),
        "leaf: malformed hex",
    ),
    ("short hex", lambda o: o.update(root=o["root"][:-2]), "root: malformed hex"),
    ("no 0x", lambda o: o.update(root=o["root"][2:] + "00"), "root: malformed hex"),
    ("bad proof hex", lambda o: o["proof"].__setitem__(0, "0xzz"), "proof[0]: malformed hex"),
    ("bad salt hex", lambda o: o["accounts"][0].update(salt="0x1"), "accounts[0].salt"),
    ("bad address", lambda o: o["anchor"].update(contract="0x1234"), "anchor.contract"),
    ("bad status", lambda o: o["anchor"].update(status="mined"), "anchor.status"),
    ("final without tx", lambda o: o["anchor"].update(txHash=None), "needs"),
    ("seq as string", lambda o: o.update(seq="5"), "seq must be"),
    ("negative batch", lambda o: o.update(batchId=-1), "batchId must be"),
    ("float seq", lambda o: o.update(seq=1.5), "non-integer"),
    ("bad record", lambda o: o["record"].update(price="1.5"), "record.price"),
    ("record account in clear", lambda o: o["record"].update(buyer="alice"), "record.buyer"),
    (
        "not an account field",
        lambda o: o["accounts"][0].update(field="market"),
        "accounts[0].field",
    ),
    ("proof not a list", lambda o: o.update(proof="0x00"), "proof must be"),
    ("value not strings", lambda o: o.update(value=[1, 2]), "value must be"),
]


@pytest.mark.parametrize(("what", "change", "words"), BAD_BUNDLES, ids=[b[0] for b in BAD_BUNDLES])
def test_strict_parsing(what: str, change: Any, words: str) -> None:
    with pytest.raises(ProofFormatError) as exc:
        parse_bundle(_mutated(change))
    assert words in str(exc.value), (what, str(exc.value))


def test_trailing_data_reformatting_and_garbage_are_rejected() -> None:
    text = _trade_bundle().to_json()
    with pytest.raises(ProofFormatError, match="trailing data"):
        parse_bundle(text + b"{}")
    with pytest.raises(ProofFormatError, match="canonical"):
        parse_bundle(text + b"\n")
    with pytest.raises(ProofFormatError, match="canonical"):
        parse_bundle(json.dumps(json.loads(text)).encode())  # compact re-serialization
    with pytest.raises(ProofFormatError, match="UTF-8"):
        parse_bundle(b"\xff" + text)
    with pytest.raises(ProofFormatError, match="not valid JSON"):
        parse_bundle(b"")
    with pytest.raises(ProofFormatError, match="JSON object"):
        parse_bundle(b"[]")
    with pytest.raises(ProofFormatError, match="duplicate"):
        parse_bundle(text.replace(b'"seq"', b'"batchId"', 1))
    with pytest.raises(ProofFormatError, match="too large"):
        parse_bundle(b" " * (2 << 20))
    # past the interpreter's 4,300-digit limit json raises a bare ValueError
    with pytest.raises(ProofFormatError, match="number too long"):
        parse_bundle(b'{"seq": 1' + b"0" * 5000 + b"}")


def test_salts_are_not_in_repr() -> None:
    b = _trade_bundle()
    assert b.accounts[0].salt.hex() not in repr(b.accounts[0])


def test_record_in_bundle_reparses_to_the_same_leaf_values() -> None:
    b = _trade_bundle()
    rec = BATCH.records[TRADE_I]
    obj = json.loads(b.to_json())["record"]
    for name in ("buyer", "seller"):
        obj[name] = rec.fields[name]
    assert parse_record(obj) == rec


def test_fast_serializer_equals_json_dumps() -> None:
    for i in range(len(BATCH.records)):
        for anchor in (None, FINAL_ANCHOR):
            b = BATCH.bundle(i, anchor=anchor)
            assert b.to_json() == (json.dumps(b.to_obj(), indent=2) + "\n").encode()
            body = json.dumps(b._obj(with_checksum=False), indent=2) + "\n"
            assert b.checksum == keccak256(body.encode())

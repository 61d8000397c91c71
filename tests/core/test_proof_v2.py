"""Proof bundle v2 (issue 18): one bundle listing the anchors on several chains. Byte layout
(json.dumps-identical, canonical), strict parse of every member, v1 unchanged beside it."""

from __future__ import annotations

import json

import pytest

from anchor.core.proof import FORMAT, FORMAT_V2, AnchorInfo, parse_bundle
from anchor.core.proof_bundle import MAX_ANCHORS
from anchor.core.proof_json import parse_bundle_value
from anchor.core.verify import verify_bundle
from anchor.errors import ProofFormatError
from tests.core.bundles import make_batch

A = AnchorInfo(1, "0x" + "ab" * 20, b"\x01" * 32, 10, b"\x02" * 32, "final")
B = AnchorInfo(10, "0x" + "cd" * 20, b"\x03" * 32, 99, b"\x04" * 32, "included")
P = AnchorInfo(8453, "0x" + "ef" * 20, status="pending")


def v2(anchors=(B, A, P)):  # type: ignore[no-untyped-def]
    return make_batch(8).bundle(3).with_anchors(anchors)


def test_v2_lists_every_anchor_sorted_and_serializes_like_json_dumps() -> None:
    bundle = v2()
    assert bundle.format == FORMAT_V2
    assert [a.chain_id for a in bundle.anchors] == [1, 10, 8453]
    assert bundle.anchor == A  # the most advanced one
    data = bundle.to_json()
    assert data == (json.dumps(bundle.to_obj(), indent=2) + "\n").encode()
    obj = json.loads(data)
    assert "anchor" not in obj and [a["chainId"] for a in obj["anchors"]] == [1, 10, 8453]
    assert obj["anchors"][2] == {
        "chainId": 8453,
        "contract": "0x" + "ef" * 20,
        "txHash": None,
        "blockNumber": None,
        "blockHash": None,
        "status": "pending",
    }
    parsed = parse_bundle(data)
    assert parsed == bundle and parsed.to_json() == data
    assert parse_bundle_value(json.dumps(obj)) == bundle  # any formatting, same value
    verify_bundle(parsed)  # the math and the checksum cover the anchors


def test_v1_is_unchanged_beside_it() -> None:
    bundle = make_batch(8).bundle(3, anchor=A)
    assert bundle.format == FORMAT and bundle.all_anchors == (A,)
    data = bundle.to_json()
    assert b'"anchor": {' in data and b'"anchors"' not in data
    assert parse_bundle(data) == bundle


def _edit(obj_change):  # type: ignore[no-untyped-def]
    obj = json.loads(v2().to_json())
    obj_change(obj)
    return (json.dumps(obj, indent=2) + "\n").encode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o["anchors"].reverse(), "increasing chainId"),
        (lambda o: o["anchors"].append(dict(o["anchors"][0])), "increasing chainId"),
        (lambda o: o.update(anchors=[]), "1 to 16"),
        (lambda o: o.update(anchors=[o["anchors"][0]] * (MAX_ANCHORS + 1)), "1 to 16"),
        (lambda o: o["anchors"][1].update(chainId=None), "chainId"),
        (lambda o: o["anchors"][2].update(contract=None), "chainId and contract"),
        (lambda o: o["anchors"][1].update(status="mined"), r"anchors\[1\].status"),
        (lambda o: o["anchors"][0].update(txHash="0x12"), r"anchors\[0\].txHash"),
        (lambda o: o["anchors"][0].pop("blockHash"), r"anchors\[0\].blockHash"),
        (lambda o: o["anchors"][0].update(status="final", txHash=None), r"anchors\[0\]: status"),
        (lambda o: o.update(anchor=o.pop("anchors")[0]), "anchor"),
        (lambda o: o.update(format="ledger-anchor-proof/3"), "unsupported format version"),
    ],
)
def test_malformed_v2_is_refused_naming_the_member(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProofFormatError, match=message):
        parse_bundle(_edit(change))


def test_a_tampered_anchor_breaks_the_checksum() -> None:
    from anchor.errors import VerificationError

    data = _edit(lambda o: o["anchors"][0].update(blockNumber=11))
    with pytest.raises(VerificationError) as caught:
        verify_bundle(parse_bundle(data))
    assert caught.value.step == "checksum"

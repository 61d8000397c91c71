"""The committed vectors: regenerated identically by scripts/gen_vectors.py, valid ones
verify, broken ones fail (in Python and with the real @openzeppelin/merkle-tree in node)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import eth_abi
import pytest

from anchor.core.merkle import MerkleTree, verify_multiproof, verify_proof
from anchor.core.proof import parse_bundle
from anchor.core.proof_json import parse_bundle_value
from anchor.core.records import (
    KINDS,
    account_commitment,
    encode_leaf,
    leaf_hash,
    leaf_types,
    leaf_values,
    leaf_values_json,
    parse_record,
)
from anchor.core.verify import verify_bundle
from anchor.errors import AnchorError, ProofFormatError, VerificationError
from tests.core.ozjs import run_node
from tests.fixtures.paths import ROOT

VECTORS = Path(__file__).parent
BROKEN_INDEX: dict[str, Any] = json.loads((VECTORS / "broken" / "index.json").read_text())
EXPECTED_BROKEN = {
    "wrong-leaf", "modified-sibling", "truncated-proof", "extra-element", "swapped-order",
}  # fmt: skip


def _gen() -> Any:
    spec = importlib.util.spec_from_file_location(
        "gen_vectors", ROOT / "scripts" / "gen_vectors.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _b(h: str) -> bytes:
    return bytes.fromhex(h[2:])


def test_committed_vectors_equal_what_the_script_generates() -> None:
    files = _gen().generate()
    assert len(files) >= 20
    for rel, data in files.items():
        assert (VECTORS / rel).read_bytes() == data, (
            f"tests/vectors/{rel} is stale: run scripts/gen_vectors.py"
        )
    committed = {str(p.relative_to(VECTORS)) for p in VECTORS.rglob("*.json")}
    assert committed == set(files)


def test_record_vectors() -> None:
    cases = json.loads((VECTORS / "records.json").read_text())["cases"]
    kinds = set()
    for c in cases:
        rec = parse_record(c["input"])
        kinds.add(rec.kind)
        assert rec.canonical_json().decode() == c["canonical"]
        assert parse_record(c["canonical"]) == rec
        commits = {a: account_commitment(a, _b(s)) for a, s in c["salts"].items()}
        assert {a: "0x" + x.hex() for a, x in commits.items()} == c["commitments"]
        values = leaf_values(rec, c["seq"], commits)
        assert list(leaf_types(rec.kind, rec.version)) == c["leafEncoding"]
        assert leaf_values_json(values) == c["value"]
        enc = encode_leaf(rec, c["seq"], commits)
        assert enc == _b(c["encoded"]) == eth_abi.encode(c["leafEncoding"], list(values))
        assert leaf_hash(enc) == _b(c["leaf"])
    assert kinds == set(KINDS)


def test_tree_vectors() -> None:
    for t in json.loads((VECTORS / "trees.json").read_text())["trees"]:
        leaves = [_b(x) for x in t["leaves"]]
        tree = MerkleTree.from_leaves(leaves)
        assert tree.root == _b(t["root"])
        assert [tree.node(i) for i in range(2 * len(leaves) - 1)] == [_b(x) for x in t["nodes"]]
        for k, proof in enumerate(t["proofs"]):
            assert tree.proof(k) == [_b(x) for x in proof]
            assert verify_proof(tree.root, tree.leaf(k), [_b(x) for x in proof])
        mp = t["multiproof"]
        assert verify_multiproof(
            tree.root, [_b(x) for x in mp["leaves"]], [_b(x) for x in mp["proof"]], mp["proofFlags"]
        )


def test_valid_bundles_verify() -> None:
    files = sorted((VECTORS / "bundles").glob("*.json"))
    assert len(files) == len(KINDS) + 2  # one per kind, a pending one, a reformatted one
    for f in files:
        b = parse_bundle_value(f.read_bytes())
        assert verify_bundle(b) == b.root
        if "reformatted" in f.name:
            # the same bundle pretty-printed: the verifiers read JSON values, but the
            # canonical-bytes parser (what the service stores and serves) refuses it
            with pytest.raises(ProofFormatError):
                parse_bundle(f.read_bytes())
            canon = (VECTORS / "bundles" / f.name.replace("-reformatted", "")).read_bytes()
            assert b.to_json() == canon
        else:
            assert parse_bundle(f.read_bytes()) == b


def test_broken_vectors_are_named_after_what_they_catch() -> None:
    names = {n.removesuffix(".json") for n in BROKEN_INDEX}
    assert names >= EXPECTED_BROKEN
    assert {p.name for p in (VECTORS / "broken").glob("*.json")} - {"index.json"} == set(
        BROKEN_INDEX
    )


@pytest.mark.parametrize("name", sorted(BROKEN_INDEX))
def test_broken_bundles_fail_at_their_step(name: str) -> None:
    expect = BROKEN_INDEX[name]
    data = (VECTORS / "broken" / name).read_bytes()
    with pytest.raises(AnchorError) as exc:
        verify_bundle(parse_bundle_value(data))
    assert exc.value.exit_code == expect["exit"]
    if expect["exit"] == 1:
        assert isinstance(exc.value, VerificationError) and exc.value.step == expect["step"]
    else:
        assert isinstance(exc.value, ProofFormatError)
    if expect["ozRejects"]:
        # the raw Merkle check (what any OZ-compatible tool does) rejects it too
        obj = json.loads(data)
        leaf = leaf_hash(eth_abi.encode(obj["leafEncoding"], _abi_values(obj)))
        assert not verify_proof(_b(obj["root"]), leaf, [_b(p) for p in obj["proof"]])


def _abi_values(obj: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for t, v in zip(obj["leafEncoding"], obj["value"], strict=True):
        out.append(_b(v) if t == "bytes32" else v if t == "string" else int(v))
    return out


def test_vectors_with_openzeppelin_in_node() -> None:
    report = run_node("check_vectors.js", args=[VECTORS])
    assert report["failures"] == []
    assert report["counts"]["bundles"] == len(KINDS) + 2
    assert report["counts"]["broken"] == sum(
        1 for e in BROKEN_INDEX.values() if e["ozRejects"] is not None
    )
    assert report["counts"]["records"] >= 10 and report["counts"]["trees"] >= 8


def test_verify_bundles_script_accepts_bundles_as_they_are() -> None:
    """tests/js/verify_bundles.js is what the service interop tests run on live bundles."""
    files = sorted((VECTORS / "bundles").glob("*.json"))
    broken = VECTORS / "broken" / "wrong-leaf.json"
    report = run_node("verify_bundles.js", args=[*files, broken])
    assert [r["verify"] for r in report] == [True] * len(files) + [False]
    assert all(r["leafMatches"] for r in report[:-1]) and report[-1]["error"] is None

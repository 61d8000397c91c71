"""Our trees, proofs, multiproofs and bundles against the real @openzeppelin/merkle-tree 1.0.8.

Random trees of every size 1..128 and of 34 further sizes up to 2,600 (powers of two and
their neighbours included; OZ needs ~0.17 ms per leaf, so not every size) are built by OZ's SimpleMerkleTree from our leaf hashes: the
whole node array must be identical. Trees of real records go through StandardMerkleTree
with their leafEncoding and values, and a mixed-kind batch is verified leaf by leaf with
StandardMerkleTree.verify. Every size is batched into one node run.
"""

from __future__ import annotations

import random
from typing import Any

from anchor.core import records as core_records
from anchor.core.merkle import MerkleTree
from anchor.core.samples import sample_records
from tests.core.ozjs import run_node


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def _sizes(rnd: random.Random) -> list[int]:
    edges = [255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 2000, 2047, 2048, 2049, 2600]
    return [*range(1, 129), *sorted(rnd.sample(range(129, 2600), 20)), *edges]


def _picks(rnd: random.Random, n: int, k: int) -> list[int]:
    return list(range(n)) if n <= k else rnd.sample(range(n), k)


def _case(rnd: random.Random, tree: MerkleTree, n: int, leaf_or_value: Any) -> dict[str, Any]:
    inv = tree.tree_order_of_inputs()
    proofs = _picks(rnd, n, 24 if n > 64 else n)
    multis = [rnd.sample(range(n), rnd.randint(1, min(n, 12))) for _ in range(3)]
    ours_multis = []
    for m in multis:
        mp = tree.multiproof([inv[i] for i in m])
        ours_multis.append(
            {
                "leaves": [leaf_or_value(tree.order[k]) for k in mp.indices],
                "proof": [_h(p) for p in mp.proof],
                "proofFlags": list(mp.proof_flags),
            }
        )
    return {
        "proofs": proofs,
        "multis": multis,
        "ours": {
            "root": _h(tree.root),
            "proofs": {str(i): [_h(p) for p in tree.proof(inv[i])] for i in proofs},
            "multis": ours_multis,
        },
    }


def _check(tree: MerkleTree, n: int, case: dict[str, Any], got: dict[str, Any]) -> None:
    inv = tree.tree_order_of_inputs()
    assert got["root"] == _h(tree.root), n
    if got["tree"] is not None:
        assert got["tree"] == [_h(tree.node(i)) for i in range(2 * n - 1)], n
    assert got["treeIndex"] == [tree.leaf_position(inv[i]) for i in range(n)], n
    for i in case["proofs"]:
        assert got["proofs"][str(i)] == case["ours"]["proofs"][str(i)], (n, i)
    for m, oz in zip(case["multis"], got["multis"], strict=True):
        mp = tree.multiproof([inv[i] for i in m])
        assert oz["proof"] == [_h(p) for p in mp.proof], n
        assert oz["proofFlags"] == list(mp.proof_flags), n
    assert got["oursValid"] and all(got["oursValid"]), n


def test_random_trees_of_sizes_1_to_2600_match_oz() -> None:
    rnd = random.Random(20240601)
    simple_trees: list[tuple[MerkleTree, int, dict[str, Any]]] = []
    for n in _sizes(rnd):
        leaves = [rnd.randbytes(32) for _ in range(n)]
        tree = MerkleTree.from_leaves(leaves)
        case = _case(rnd, tree, n, lambda i, leaves=leaves: _h(leaves[i]))
        case["leaves"] = [_h(x) for x in leaves]
        simple_trees.append((tree, n, case))

    records = sample_records(1000, seed=77, accounts=40)
    salts = {a: rnd.randbytes(32) for r in records for a in r.accounts()}
    commits = {a: core_records.account_commitment(a, s) for a, s in salts.items()}
    standard_trees: list[tuple[MerkleTree, int, dict[str, Any]]] = []
    for kind in ("trade", "position", "balance", "order_event", "book_snapshot"):
        of_kind = [r for r in records if r.kind == kind]
        for n in (1, 2, 3, 17, 100, len(of_kind)):
            recs = of_kind[:n]
            seqs = rnd.sample(range(1, 10**9), n)
            values = [
                core_records.leaf_values_json(core_records.leaf_values(r, s, commits))
                for r, s in zip(recs, seqs, strict=True)
            ]
            leaves = [
                core_records.leaf_hash(core_records.encode_leaf(r, s, commits))
                for r, s in zip(recs, seqs, strict=True)
            ]
            tree = MerkleTree.from_leaves(leaves)
            case = _case(rnd, tree, n, lambda i, values=values: values[i])
            case["leafEncoding"] = list(core_records.leaf_types(kind, 1))
            case["values"] = values
            case["dumpTree"] = n <= 100
            standard_trees.append((tree, n, case))

    # a mixed-kind batch (what a real batch is): each leaf verified with its own encoding
    seqs = list(range(1, len(records) + 1))
    leaves = [
        core_records.leaf_hash(core_records.encode_leaf(r, s, commits))
        for r, s in zip(records, seqs, strict=True)
    ]
    mixed_tree = MerkleTree.from_leaves(leaves)
    inv = mixed_tree.tree_order_of_inputs()
    mixed = {
        "root": _h(mixed_tree.root),
        "items": [
            {
                "leafEncoding": list(core_records.leaf_types(r.kind, r.version)),
                "value": core_records.leaf_values_json(core_records.leaf_values(r, s, commits)),
                "proof": [_h(p) for p in mixed_tree.proof(inv[i])],
            }
            for i, (r, s) in enumerate(zip(records, seqs, strict=True))
        ],
    }
    mixed_simple = {
        "leaves": [_h(x) for x in leaves],
        "proofs": [],
        "multis": [],
        "dumpTree": False,
    }

    got = run_node(
        "oz_trees.js",
        {
            "simple": [c for _, _, c in simple_trees] + [mixed_simple],
            "standard": [c for _, _, c in standard_trees],
            "mixed": [mixed],
        },
    )
    assert len(got["simple"]) == len(simple_trees) + 1
    for (tree, n, case), res in zip(simple_trees, got["simple"], strict=False):
        _check(tree, n, case, res)
    assert got["simple"][-1]["root"] == _h(mixed_tree.root)
    for (tree, n, case), res in zip(standard_trees, got["standard"], strict=True):
        _check(tree, n, case, res)
    assert got["mixed"][0] == [True] * len(records)

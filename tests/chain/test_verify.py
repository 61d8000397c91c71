"""The contract's verify() accepts the core's proofs and rejects every tampered proof or leaf."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from anchor.core.merkle import MerkleTree
from anchor.core.records import account_commitment, leaf_hashes
from anchor.core.samples import sample_records
from tests.fixtures.chain import DeployedRegistry

pytestmark = pytest.mark.chain


def _record_leaves(n: int, seed: int) -> list[bytes]:
    """Real leaves: sample exchange records, accounts committed with random salts."""
    rnd = random.Random(seed)
    records = list(sample_records(n, seed))
    accounts = {a for r in records for a in r.accounts()}
    commitments = {a: account_commitment(a, rnd.randbytes(32)) for a in sorted(accounts)}
    return leaf_hashes(((r, seq) for seq, r in enumerate(records, start=1)), commitments)


def _tampered_proofs(proof: list[bytes], rnd: random.Random) -> Iterator[tuple[str, list[bytes]]]:
    for i in range(len(proof)):
        bit = rnd.randrange(256)
        node = bytearray(proof[i])
        node[bit // 8] ^= 1 << (bit % 8)
        yield f"bit {bit} of node {i} flipped", [*proof[:i], bytes(node), *proof[i + 1 :]]
        yield f"node {i} dropped", proof[:i] + proof[i + 1 :]
        yield f"node {i} replaced", [*proof[:i], rnd.randbytes(32), *proof[i + 1 :]]
    yield "extra node", [*proof, rnd.randbytes(32)]
    if len(proof) >= 2 and proof[0] != proof[1]:
        yield "two nodes swapped", [proof[1], proof[0], *proof[2:]]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 64, 257])
def test_verify_accepts_core_proofs_and_rejects_tampering(
    deployed_registry: DeployedRegistry, size: int
) -> None:
    reg = deployed_registry
    rnd = random.Random(size)
    # batch 1 is another tree, so a proof for batch 2 must not pass against batch 1
    other = MerkleTree.from_leaves(_record_leaves(3, seed=size + 1000))
    assert reg.anchor(1, other.root, other.leaf_count)["status"] == 1
    tree = MerkleTree.from_leaves(_record_leaves(size, seed=size))
    assert reg.anchor(2, tree.root, tree.leaf_count)["status"] == 1
    assert reg.client.root_of(2) == tree.root

    # every leaf of small trees, a sample of larger ones (each check is one eth_call)
    indices = list(range(size)) if size <= 8 else sorted(rnd.sample(range(size), 8))
    for k in indices:
        leaf, proof = tree.leaf(k), tree.proof(k)
        assert reg.client.verify(2, proof, leaf), f"leaf {k} of {size}"
        assert not reg.client.verify(1, proof, leaf)  # wrong batch
        assert not reg.client.verify(3, proof, leaf)  # not anchored

        # a modified leaf
        bad_leaf = bytearray(leaf)
        bad_leaf[rnd.randrange(32)] ^= 1 << rnd.randrange(8)
        assert not reg.client.verify(2, proof, bytes(bad_leaf))
        # the record's single-hashed encoding is not the leaf either
        if size > 1:
            assert not reg.client.verify(2, proof, tree.leaf((k + 1) % size))
        # a modified proof
        if k in indices[:3]:
            for what, bad in _tampered_proofs(proof, rnd):
                assert not reg.client.verify(2, bad, leaf), f"{what} (leaf {k} of {size})"


def test_every_modified_proof_of_one_leaf_is_rejected(deployed_registry: DeployedRegistry) -> None:
    """Every node of the path, changed at its first, last and every fourth byte."""
    reg = deployed_registry
    tree = MerkleTree.from_leaves(_record_leaves(33, seed=7))
    assert reg.anchor(1, tree.root, tree.leaf_count)["status"] == 1
    leaf, proof = tree.leaf(5), tree.proof(5)
    assert reg.client.verify(1, proof, leaf)
    for i in range(len(proof)):
        for byte in (*range(0, 32, 4), 31):
            node = bytearray(proof[i])
            node[byte] ^= 0x80
            assert not reg.client.verify(1, [*proof[:i], bytes(node), *proof[i + 1 :]], leaf)
    assert not reg.client.verify(1, [], leaf)

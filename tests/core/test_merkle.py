"""The Merkle tree against a naive, line-by-line port of OpenZeppelin's merkle-tree core.js."""

from __future__ import annotations

import random

import pytest

from anchor.core import merkle
from anchor.core.hashing import keccak256
from anchor.core.merkle import MerkleTree, bisect_leaves, hash_pair
from anchor.errors import InputError

# ----------------------------------------------------------------------- naive reference


def ref_tree(leaves: list[bytes]) -> list[bytes]:
    """OZ StandardMerkleTree/SimpleMerkleTree: sort leaves, makeMerkleTree."""
    hashed = sorted(leaves)
    tree: list[bytes] = [b""] * (2 * len(hashed) - 1)
    for i, leaf in enumerate(hashed):
        tree[len(tree) - 1 - i] = leaf
    for i in range(len(tree) - 1 - len(hashed), -1, -1):
        a, b = tree[2 * i + 1], tree[2 * i + 2]
        tree[i] = keccak256(b"".join(sorted([a, b])))
    return tree


def ref_proof(tree: list[bytes], index: int) -> list[bytes]:
    proof = []
    while index > 0:
        sib = index - (-1) ** (index % 2)
        proof.append(tree[sib])
        index = (index - 1) // 2
    return proof


def ref_multiproof(
    tree: list[bytes], indices: list[int]
) -> tuple[list[bytes], list[bytes], list[bool]]:
    indices = sorted(indices, reverse=True)
    stack = list(indices)
    proof: list[bytes] = []
    flags: list[bool] = []
    while stack and stack[0] > 0:
        j = stack.pop(0)
        s = j - (-1) ** (j % 2)
        p = (j - 1) // 2
        if stack and s == stack[0]:
            flags.append(True)
            stack.pop(0)
        else:
            flags.append(False)
            proof.append(tree[s])
        stack.append(p)
    if not indices:
        proof.append(tree[0])
    return [tree[i] for i in indices], proof, flags


def _leaves(rnd: random.Random, n: int) -> list[bytes]:
    return [rnd.randbytes(32) for _ in range(n)]


# ----------------------------------------------------------------------- tests


def test_trees_equal_the_reference_for_sizes_1_to_300() -> None:
    rnd = random.Random(42)
    for n in range(1, 301):
        leaves = _leaves(rnd, n)
        ref = ref_tree(leaves)
        tree = MerkleTree.from_leaves(leaves)
        assert tree.leaf_count == n
        assert tree.nodes_bytes() == b"".join(ref), n
        assert tree.root == ref[0]
        assert tree.leaves_in_tree_order() == sorted(leaves)
        for k in rnd.sample(range(n), min(n, 8)):
            pos = tree.leaf_position(k)
            assert pos == merkle.node_index_of_leaf(n, k) == 2 * n - 2 - k
            assert tree.proof(k) == ref_proof(ref, pos)
            assert [tree.node(i) for i in merkle.proof_node_indices(pos)] == tree.proof(k)
            assert merkle.verify_proof(tree.root, tree.leaf(k), tree.proof(k))


def test_one_leaf_tree_root_is_the_leaf() -> None:
    leaf = bytes(range(32))
    tree = MerkleTree.from_leaves([leaf])
    assert tree.root == leaf and tree.proof(0) == [] and tree.nodes_bytes() == leaf
    assert merkle.process_proof(leaf, []) == leaf


def test_order_maps_inputs_to_tree_positions() -> None:
    rnd = random.Random(7)
    leaves = _leaves(rnd, 57)
    tree = MerkleTree.from_leaves(leaves)
    inv = tree.tree_order_of_inputs()
    for i, leaf in enumerate(leaves):
        assert tree.leaf(inv[i]) == leaf
        assert tree.order[inv[i]] == i


def test_duplicate_leaves_sort_stably_like_oz() -> None:
    a, b = b"\x01" * 32, b"\x02" * 32
    tree = MerkleTree.from_leaves([b, a, b, a])
    assert tree.nodes_bytes() == b"".join(ref_tree([b, a, b, a]))
    assert list(tree.order) == [1, 3, 0, 2]


def test_hash_pair_is_commutative_sorted_keccak() -> None:
    a, b = b"\x00" * 31 + b"\x01", b"\xff" * 32
    assert hash_pair(a, b) == hash_pair(b, a) == keccak256(a + b)


def test_multiproofs_equal_the_reference_and_verify() -> None:
    rnd = random.Random(9)
    for n in [1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 100, 257]:
        leaves = _leaves(rnd, n)
        ref = ref_tree(leaves)
        tree = MerkleTree.from_leaves(leaves)
        for _ in range(6):
            picks = rnd.sample(range(n), rnd.randint(1, min(n, 10)))
            mp = tree.multiproof(picks)
            r_leaves, r_proof, r_flags = ref_multiproof(ref, [2 * n - 2 - k for k in picks])
            assert list(mp.leaves) == r_leaves
            assert list(mp.proof) == r_proof
            assert list(mp.proof_flags) == r_flags
            assert sorted(mp.indices) == sorted(picks)
            assert merkle.process_multiproof(mp.leaves, mp.proof, mp.proof_flags) == tree.root
            assert merkle.verify_multiproof(tree.root, mp.leaves, mp.proof, mp.proof_flags)
            if mp.proof:
                bad = list(mp.proof)
                bad[0] = bytes([bad[0][0] ^ 1]) + bad[0][1:]
                assert not merkle.verify_multiproof(tree.root, mp.leaves, bad, mp.proof_flags)
            bad_leaves = list(mp.leaves)
            bad_leaves[-1] = bytes(32)
            assert not merkle.verify_multiproof(tree.root, bad_leaves, mp.proof, mp.proof_flags)
        empty = tree.multiproof([])
        assert merkle.process_multiproof([], empty.proof, empty.proof_flags) == tree.root
    with pytest.raises(InputError, match="duplicated"):
        MerkleTree.from_leaves(_leaves(rnd, 4)).multiproof([1, 1])


def test_malformed_multiproofs_are_rejected() -> None:
    tree = MerkleTree.from_leaves(_leaves(random.Random(3), 10))
    mp = tree.multiproof([0, 5])
    with pytest.raises(InputError):
        merkle.process_multiproof(mp.leaves, mp.proof, (*mp.proof_flags, True))
    with pytest.raises(InputError):
        merkle.process_multiproof(mp.leaves, mp.proof[:-1], mp.proof_flags)
    assert not merkle.verify_multiproof(
        tree.root, mp.leaves, mp.proof, (True,) * len(mp.proof_flags)
    )


def test_every_proof_modification_fails() -> None:
    rnd = random.Random(11)
    leaves = _leaves(rnd, 200)
    tree = MerkleTree.from_leaves(leaves)
    for k in rnd.sample(range(200), 20):
        leaf, proof = tree.leaf(k), tree.proof(k)
        assert merkle.verify_proof(tree.root, leaf, proof)
        assert not merkle.verify_proof(tree.root, bytes(32), proof)  # wrong leaf
        assert not merkle.verify_proof(tree.root, leaf, proof[:-1])  # truncated
        assert not merkle.verify_proof(tree.root, leaf, [*proof, tree.root])  # extra element
        if len(proof) > 1:
            swapped = [proof[1], proof[0], *proof[2:]]
            assert not merkle.verify_proof(tree.root, leaf, swapped)  # swapped order
        for j in range(len(proof)):
            bad = list(proof)
            bad[j] = bad[j][:31] + bytes([bad[j][31] ^ 0x80])
            assert not merkle.verify_proof(tree.root, leaf, bad)  # modified sibling
        assert not merkle.verify_proof(tree.root, leaf, [b"short", *proof[1:]])


def test_from_nodes_and_from_leaf_buffer_round_trip() -> None:
    leaves = _leaves(random.Random(5), 33)
    tree = MerkleTree.from_leaves(leaves)
    again = MerkleTree.from_nodes(tree.nodes_bytes())
    assert again.root == tree.root and again.leaf_count == 33
    assert again.proof(7) == tree.proof(7)
    assert MerkleTree.from_leaf_buffer(b"".join(leaves)).nodes_bytes() == tree.nodes_bytes()
    with pytest.raises(InputError):
        MerkleTree.from_nodes(b"\x00" * 64)
    with pytest.raises(InputError):
        MerkleTree.from_leaves([])
    with pytest.raises(InputError):
        MerkleTree.from_leaves([b"\x00" * 31])
    with pytest.raises(IndexError):
        tree.proof(33)
    with pytest.raises(IndexError):
        tree.node(65)


def test_proof_node_indices_walk_to_the_root() -> None:
    assert merkle.proof_node_indices(0) == []
    assert merkle.proof_node_indices(1) == [2]
    assert merkle.proof_node_indices(2) == [1]
    assert merkle.proof_node_indices(9) == [10, 3, 2]
    # a 1M-leaf tree: log2 many reads
    assert len(merkle.proof_node_indices(merkle.node_index_of_leaf(1_000_000, 0))) <= 20


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 257])
def test_bisect_leaves_finds_every_leaf_and_where_an_absent_one_would_stand(n: int) -> None:
    rng = random.Random(n)
    leaves = [rng.randbytes(32) for _ in range(n)]
    tree = MerkleTree.from_leaves(leaves)
    ordered = [tree.leaf(k) for k in range(n)]
    assert ordered == sorted(leaves)
    for k, leaf in enumerate(ordered):
        assert bisect_leaves(tree.leaf, n, leaf) == k
    for _ in range(50):
        absent = rng.randbytes(32)
        k = bisect_leaves(tree.leaf, n, absent)
        assert all(x < absent for x in ordered[:k]) and all(x > absent for x in ordered[k:])

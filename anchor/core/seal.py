"""Sealing many records at once: leaf hashes and the tree, native when available.

``seal(records, seqs, commitments)`` is what a store calls for a batch; it equals
``MerkleTree.from_leaves(leaf_hashes(zip(records, seqs), commitments))`` byte for byte.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence

from anchor.core.merkle import MerkleTree
from anchor.core.native import native
from anchor.core.records import NATIVE_TAGS, Record, leaf_hashes

__all__ = ["leaf_hash_buffer", "seal"]


def leaf_hash_buffer(
    records: Sequence[Record], seqs: Sequence[int], commitments: Mapping[str, bytes]
) -> bytes:
    """The leaf hashes of ``records`` (with their seqs), concatenated: ``32 * n`` bytes."""
    if len(records) != len(seqs):
        raise ValueError("one seq per record")
    mod = native()
    if mod is not None and len(records) > 0:
        seq_buf = seqs if isinstance(seqs, array) and seqs.typecode == "Q" else array("Q", seqs)
        comm = commitments if type(commitments) is dict else dict(commitments)
        try:
            return bytes(mod.leaf_hashes(records, seq_buf, comm, NATIVE_TAGS))
        except (KeyError, TypeError, ValueError, OverflowError):
            pass  # let the Python path raise its precise RecordError
    return b"".join(leaf_hashes(zip(records, seqs, strict=True), commitments))


def seal(
    records: Sequence[Record], seqs: Sequence[int], commitments: Mapping[str, bytes]
) -> MerkleTree:
    """Leaf-hash and build the batch tree. ``tree.order[k]`` is the input index of the
    ``k``-th leaf in tree order."""
    return MerkleTree.from_leaf_buffer(leaf_hash_buffer(records, seqs, commitments))

"""The pure core: records and leaves, OpenZeppelin-compatible Merkle trees, the proof
bundle, math-only verification. No database, chain, HTTP or clock in here."""

from __future__ import annotations

from anchor.core.hashing import keccak256
from anchor.core.leaves import leaf_hash_buffer
from anchor.core.merkle import (
    MerkleTree,
    MultiProof,
    node_index_of_leaf,
    process_multiproof,
    process_proof,
    proof_node_indices,
    verify_multiproof,
    verify_proof,
)
from anchor.core.native import native_available
from anchor.core.prepare import Rejected, prepare_records
from anchor.core.proof import FORMAT, AnchorInfo, ProofBundle, make_bundle, parse_bundle
from anchor.core.records import (
    KINDS,
    Record,
    RedactedRecord,
    account_commitment,
    encode_leaf,
    leaf_hash,
    leaf_hashes,
    leaf_types,
    leaf_values,
    parse_record,
)
from anchor.core.seal import seal
from anchor.core.verify import verify_bundle

__all__ = [
    "FORMAT",
    "KINDS",
    "AnchorInfo",
    "MerkleTree",
    "MultiProof",
    "ProofBundle",
    "Record",
    "RedactedRecord",
    "Rejected",
    "account_commitment",
    "encode_leaf",
    "keccak256",
    "leaf_hash",
    "leaf_hash_buffer",
    "leaf_hashes",
    "leaf_types",
    "leaf_values",
    "make_bundle",
    "native_available",
    "node_index_of_leaf",
    "parse_bundle",
    "parse_record",
    "prepare_records",
    "process_multiproof",
    "process_proof",
    "proof_node_indices",
    "seal",
    "verify_bundle",
    "verify_multiproof",
    "verify_proof",
]

"""Math-only verification of a proof bundle: record → leaf → root. No I/O.

Each failed check raises :class:`anchor.errors.VerificationError` whose ``step`` names it:
``leaf_encoding``, ``commitment``, ``value``, ``leaf``, ``root``, ``checksum``.
The root computed here still has to be compared with the root stored on chain
(:mod:`anchor.verifier` does that); the bundle's own ``root`` is only informational.
"""

from __future__ import annotations

from anchor.core.merkle import process_proof
from anchor.core.proof import ProofBundle
from anchor.core.records import (
    account_commitment,
    encode_leaf_redacted,
    leaf_hash,
    leaf_types,
    leaf_values_json,
    leaf_values_redacted,
)
from anchor.errors import VerificationError

__all__ = ["STEPS", "verify_bundle"]

STEPS = ("leaf_encoding", "commitment", "value", "leaf", "root", "checksum")


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def verify_bundle(bundle: ProofBundle) -> bytes:
    """Recompute everything the bundle claims; return the root the path leads to.

    Checks, in order: the leaf encoding is the record kind's schema; each disclosed salt
    gives the commitment found in the record; ``value`` is the record's leaf values; the
    leaf hash of the record and seq equals ``leaf``; the path leads to ``root``; the
    checksum covers the bundle as it is.
    """
    rec = bundle.record
    expected_types = leaf_types(rec.kind, rec.version)
    if bundle.leaf_encoding != expected_types:
        raise VerificationError(
            "leaf_encoding",
            f"leafEncoding is not the schema of {rec.kind} v{rec.version}",
        )
    for acc in bundle.accounts:
        if account_commitment(acc.account_id, acc.salt) != rec.fields[acc.field]:
            raise VerificationError(
                "commitment",
                f"account and salt disclosed for {acc.field!r} do not give the record's commitment",
            )
    values = leaf_values_redacted(rec, bundle.seq)
    if tuple(leaf_values_json(values)) != bundle.value:
        raise VerificationError("value", "value does not match the record and seq")
    leaf = leaf_hash(encode_leaf_redacted(rec, bundle.seq))
    if leaf != bundle.leaf:
        raise VerificationError(
            "leaf", f"record and seq give leaf {_h(leaf)}, bundle says {_h(bundle.leaf)}"
        )
    root = process_proof(leaf, bundle.proof)
    if root != bundle.root:
        raise VerificationError(
            "root", f"the proof path leads to {_h(root)}, bundle says {_h(bundle.root)}"
        )
    if bundle.computed_checksum() != bundle.checksum:
        raise VerificationError("checksum", "the bundle was altered after it was made")
    return root

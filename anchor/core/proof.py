"""Proof bundles v1 and v2 (``"format": "ledger-anchor-proof/1"`` and ``/2``: v2 lists the
anchors on several chains): build, serialize, parse strictly.

:func:`make_bundle` builds a bundle from a record and its path; the types and their one
canonical serialization are in :mod:`anchor.core.proof_bundle`, the strict parser
(:func:`parse_bundle`, canonical bytes only, so that no byte can change unnoticed) in
:mod:`anchor.core.proof_parse`; the names a caller needs are importable from here.
docs/proof-format.md is the reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from anchor.core.leaves import leaf_hash_buffer
from anchor.core.merkle import process_proof
from anchor.core.proof_bundle import (
    FORMAT,
    FORMAT_V2,
    AnchorInfo,
    DisclosedAccount,
    ProofBundle,
    check_anchor_list,
    principal_anchor,
)
from anchor.core.proof_parse import parse_bundle
from anchor.core.records import (
    Record,
    account_commitment,
    account_fields,
    leaf_types,
    leaf_values_json,
    leaf_values_redacted,
    redact,
)
from anchor.errors import InputError

__all__ = ["FORMAT", "FORMAT_V2", "AnchorInfo", "ProofBundle", "make_bundle", "parse_bundle"]


def make_bundle(
    record: Record,
    seq: int,
    commitments: Mapping[str, bytes],
    salts: Mapping[str, bytes],
    proof: Sequence[bytes],
    root: bytes,
    batch_id: int,
    anchor: AnchorInfo | None = None,
    *,
    anchors: Sequence[AnchorInfo] | None = None,
) -> ProofBundle:
    """Build a bundle for a requester owning the accounts in ``salts`` (and only those):
    v1 with ``anchor``, or v2 listing ``anchors`` (one per chain; sorted by chain id here).

    ``commitments`` maps every account of the record to its commitment. The proof must lead
    from the record's leaf to ``root`` (checked: InputError otherwise).
    """
    redacted = redact(record, commitments)
    disclosed: list[DisclosedAccount] = []
    for name in account_fields(record.kind, record.version):
        acc = record.fields[name]
        salt = salts.get(acc)
        if salt is None:
            continue
        if account_commitment(acc, salt) != redacted.fields[name]:
            raise InputError(f"{name}: the salt given does not match the account's commitment")
        disclosed.append(DisclosedAccount(name, acc, salt))
    if salts:
        accounts = record.accounts()
        if any(acc not in accounts for acc in salts):
            raise InputError("a salt was given for an account the record does not mention")
    types = leaf_types(record.kind, record.version)
    values = leaf_values_redacted(redacted, seq)
    leaf = leaf_hash_buffer((record,), (seq,), commitments)  # the accelerator when built
    proof_t = tuple(map(bytes, proof))
    if process_proof(leaf, proof_t) != root:
        raise InputError("the proof does not lead from the record's leaf to the root")
    bundle = ProofBundle(
        batch_id=batch_id,
        seq=seq,
        record=redacted,
        accounts=tuple(disclosed),
        leaf_encoding=types,
        value=tuple(leaf_values_json(values)),
        leaf=leaf,
        proof=proof_t,
        root=bytes(root),
        anchor=anchor or AnchorInfo(),
    )
    if anchors is not None:
        listed = tuple(sorted(anchors, key=lambda a: a.chain_id or 0))
        check_anchor_list(listed)
        bundle = replace(bundle, format=FORMAT_V2, anchors=listed, anchor=principal_anchor(listed))
    # (the bundle is ours until returned: its checksum is set in place, the body rendered once)
    object.__setattr__(bundle, "checksum", bundle.computed_checksum())
    return bundle

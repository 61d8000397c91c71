"""A proof bundle's canonical bytes straight from a stored record: what ``GET
/v1/proofs/{record_id}`` serves (:mod:`anchor.api.proofs`).

:func:`read_stored` reads a record's stored canonical JSON (the fast path of
:func:`anchor.core.prepare.parse_canonical`) into its kind, accounts and leaf order, without
building a :class:`~anchor.core.records.Record`; :func:`render_bundle` gives exactly
``make_bundle(record, ...).to_json()`` and the leaf. The pure writer
(:class:`~anchor.core.proof_bundle.ProofBundle`) stays the one definition of the bytes:
when the C accelerator is built, the common case (no salt disclosed) is written by it in
one call (``bundle_json``: record, values, path hashed to the root, checksum) from a layout
this module derives from the pure writer's own plans (:func:`_layouts`); anything it
declines -- and everything without the accelerator -- goes through ``make_bundle``. The
tests compare both paths byte for byte (tests/core/test_proof_render.py).
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring_ascii as _enc_str
from typing import Any, NamedTuple

from anchor.core.native import native
from anchor.core.prepare import _FIELDS, canonical_parts, record_of_order
from anchor.core.proof import make_bundle
from anchor.core.proof_bundle import (
    _R_HEX,
    _R_ID,
    _R_INT,
    _R_KIND,
    _R_OPT,
    _R_STR,
    _R_VERSION,
    _RECORD_PLANS,
    FORMAT,
    FORMAT_V2,
    AnchorInfo,
    _json_str_list,
    bundle_head,
    bundle_tail,
    check_anchor_list,
)
from anchor.core.records import Record, leaf_types, parse_record
from anchor.core.schemas import NATIVE_TAGS, SCHEMA_LIST

__all__ = ["StoredRecord", "path_nodes", "read_stored", "render_bundle", "stored_path"]


class StoredRecord(NamedTuple):
    """A stored record as a proof needs it: kind, accounts (in leaf order, no duplicates),
    the leaf order tuple, and the record itself when it was parsed the careful way."""

    kind: str
    accounts: tuple[str, ...]
    order: tuple[Any, ...]
    parsed: Record | None = None

    def record(self) -> Record:
        return self.parsed if self.parsed is not None else record_of_order(self.order)


def read_stored(text: str) -> StoredRecord:
    """The record of its stored canonical JSON; the same record as ``parse_canonical(text)``
    (which raises what ``parse_record`` raises for a text that is not a valid record)."""
    parts = canonical_parts(text)
    if parts is not None:
        order = parts[0]
        return StoredRecord(_FIELDS[order[0]][0], parts[2], order)
    record = parse_record(text)
    return StoredRecord(record.kind, record.accounts(), record.leaf_order, record)


# the C layout's value kinds (anchor/core/_native/_bundle.h)
_LIT, _STR, _INT, _ACC, _OPT, _ENUM = range(6)


def _layouts() -> tuple[Any, ...]:
    """Per schema index, the C writer's layout: the record's members from the pure writer's
    plan (:data:`anchor.core.proof_bundle._RECORD_PLANS`) with their leaf order slots, the
    ``leafEncoding`` text, and the leaf values' native tags."""
    out = []
    for si, key in enumerate(SCHEMA_LIST):
        kind, version, names = _FIELDS[si]
        slot = {"record_id": 3} | {name: 4 + i for i, (name, _) in enumerate(names)}
        choices = dict(names)
        members = []
        for prefix, name, how in _RECORD_PLANS[key]:
            row: tuple[str, int, int, Any]
            if how == _R_KIND:
                row = (prefix + _enc_str(kind), 0, _LIT, None)
            elif how == _R_VERSION:
                row = (prefix + int.__repr__(version), 0, _LIT, None)
            elif how == _R_ID:
                row = (prefix, slot[name], _STR, None)
            elif how == _R_INT:
                row = (prefix, slot[name], _INT, None)
            elif how == _R_HEX:
                row = (prefix, slot[name], _ACC, None)
            elif how == _R_OPT:
                row = (prefix, slot[name], _OPT, None)
            elif how == _R_STR and (options := choices[name]) is not None:
                names_json = tuple(_enc_str(c).encode("ascii") for c in options)
                row = (prefix, slot[name], _ENUM, names_json)
            else:
                row = (prefix, slot[name], _STR, None)
            members.append((row[0].encode("ascii"), *row[1:]))
        encoding = _json_str_list(leaf_types(kind, version)).encode("ascii")
        out.append((tuple(members), encoding, NATIVE_TAGS[si]))
    return tuple(out)


_READY: list[Any] = [None]  # the module bundle_setup was given the layouts to


def _accelerator() -> Any:
    mod = native()
    if mod is None:
        return None
    if _READY[0] is not mod:
        mod.bundle_setup(_layouts())
        _READY[0] = mod
    return mod


_HEADS: dict[tuple[str, int], bytes] = {}
_TAILS: dict[tuple[Any, ...], bytes] = {}


def _put(cache: dict[Any, bytes], key: Any, text: str) -> bytes:
    if len(cache) >= 1024:
        cache.clear()
    out = cache[key] = text.encode("ascii")
    return out


def render_bundle(
    stored: StoredRecord,
    seq: int,
    commitments: Mapping[str, bytes],
    salts: Mapping[str, bytes],
    proof: Sequence[bytes] | bytes,
    root: bytes,
    batch_id: int,
    anchor: AnchorInfo | None = None,
    *,
    anchors: Sequence[AnchorInfo] | None = None,
) -> tuple[bytes, bytes]:
    """``(bundle.to_json(), bundle.leaf)`` of ``make_bundle(stored.record(), seq,
    commitments, salts, proof, root, batch_id, anchor, anchors=anchors)``, and the same
    errors (InputError when the proof does not lead from the record's leaf to ``root``).
    ``proof``: the path's nodes, or their bytes back to back."""
    mod = _accelerator() if not salts else None
    if mod is not None and type(commitments) is dict:
        if anchors is not None:
            listed = tuple(sorted(anchors, key=lambda a: a.chain_id or 0))
            check_anchor_list(listed)
            fmt, principal = FORMAT_V2, listed[0]
        else:
            listed, fmt, principal = (), FORMAT, anchor or AnchorInfo()
        head = _HEADS.get((fmt, batch_id))
        if head is None:
            head = _put(_HEADS, (fmt, batch_id), bundle_head(fmt, batch_id))
        tail = _TAILS.get((fmt, principal, listed))
        if tail is None:
            tail = _put(_TAILS, (fmt, principal, listed), bundle_tail(fmt, principal, listed))
        try:  # leaf_hash_buffer's accelerated path, for one record
            leaf = mod.leaf_hashes((stored.order,), array("Q", (seq,)), commitments, NATIVE_TAGS)
        except (KeyError, TypeError, ValueError, OverflowError):
            leaf = b""  # the pure path raises the precise error
        if len(leaf) == 32:
            body = mod.bundle_json(stored.order, seq, commitments, leaf, proof, root, head, tail)
            if body is not None:
                return body, leaf
    bundle = make_bundle(
        stored.record(), seq, commitments, salts, path_nodes(proof), root, batch_id, anchor,
        anchors=anchors,
    )  # fmt: skip
    return bundle.to_json(), bundle.leaf


def path_nodes(proof: Sequence[bytes] | bytes) -> Sequence[bytes]:
    """A path given as its nodes back to back (:func:`stored_path`) as a list of nodes."""
    if isinstance(proof, bytes):
        return [proof[i : i + 32] for i in range(0, len(proof), 32)]
    return proof


def stored_path(
    chunks: dict[int, bytes], chunk_nodes: int, leaf_count: int, leaf: bytes
) -> bytes | list[int] | None:
    """The sibling path of ``leaf`` in a stored batch tree read from ``chunks`` (chunk no ->
    ``chunk_nodes`` nodes of the flat OpenZeppelin layout), its nodes back to back; or the
    chunk numbers still needed to find it (load them, ask again); or None: no accelerator,
    or the leaf was not found (then search the careful way, which names any damage)."""
    mod = native()
    if mod is None:
        return None
    got: bytes | list[int] | None = mod.stored_path(chunks, chunk_nodes, leaf_count, leaf)
    return got

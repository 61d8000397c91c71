"""Leaves: the ABI encoding of a record at its seq, OpenZeppelin's leaf hash, commitments.

A leaf is ``keccak256(keccak256(abi.encode(leaf_types(kind, version), leaf_values(...))))``
over the record, its ingest sequence number ``seq`` and the commitments of its accounts
(``keccak256(salt ‖ utf8(account_id))``). Every value comes from one place, the record's
``leaf_order`` tuple (:class:`anchor.core.records.Record`), and is packed by one encoder,
:func:`_abi_encode` (by hand: about 50x faster than ``eth_abi.encode``; the tests check it
is byte-identical to ``eth_abi.encode``).

:func:`leaf_hash_buffer` hashes many records at once; it uses the C accelerator
(:mod:`anchor.core._native`) when it is built and enabled, and the pure Python path below
otherwise. The two give identical bytes (tests/core/test_native.py, tests/core/test_parity.py);
whenever the native encoder refuses an input, the pure path runs and raises the precise error.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from anchor.core.hashing import keccak256
from anchor.core.native import native
from anchor.core.schemas import (
    _LEAF_TYPES,
    FIELD_NAMES,
    NATIVE_TAGS,
    SALT_LEN,
    SCHEMA_LIST,
    U64_MAX,
)
from anchor.errors import RecordError

if TYPE_CHECKING:
    from anchor.core.records import Record, RedactedRecord

__all__ = [
    "account_commitment",
    "commitment_for",
    "encode_leaf",
    "encode_leaf_redacted",
    "leaf_hash",
    "leaf_hash_buffer",
    "leaf_hashes",
    "leaf_values",
    "leaf_values_json",
    "leaf_values_redacted",
]

# per schema index: the ABI types of the leaf
_TYPES_BY_INDEX: Final = tuple(_LEAF_TYPES[key] for key in SCHEMA_LIST)


def account_commitment(account_id: str, salt: bytes) -> bytes:
    """``keccak256(salt ‖ utf8(account_id))``: how an account appears in a leaf (32 bytes)."""
    if not isinstance(salt, bytes) or len(salt) != SALT_LEN:
        raise ValueError("salt must be exactly 32 bytes")
    return keccak256(salt + account_id.encode("utf-8"))


def commitment_for(commitments: Mapping[str, bytes], account_id: str, name: str) -> bytes:
    """``commitments[account_id]``, checked; RecordError naming the field ``name`` if absent."""
    c = commitments.get(account_id)
    if c is None:
        raise RecordError(name, "no commitment given for this account")
    if len(c) != 32:
        raise RecordError(name, "commitment must be 32 bytes")
    return c


def _check_seq(seq: int) -> None:
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= U64_MAX:
        raise RecordError("seq", "must be an integer in uint64 range")


def _order_values(
    order: Sequence[Any], seq: int, commitments: Mapping[str, bytes]
) -> tuple[Any, ...]:
    """The leaf values of a ``leaf_order`` tuple at ``seq``: an account id (str) becomes
    its commitment; a redacted record's accounts already are commitments (bytes)."""
    _check_seq(seq)
    si = order[0]
    values: list[Any] = [order[1], order[2], order[3], seq]
    for name, tag, v in zip(FIELD_NAMES[si], NATIVE_TAGS[si], order[4:], strict=True):
        values.append(commitment_for(commitments, v, name) if tag == "a" and type(v) is str else v)
    return tuple(values)


def leaf_values(record: Record, seq: int, commitments: Mapping[str, bytes]) -> tuple[Any, ...]:
    """The values matching :func:`leaf_types`: ints, str and 32-byte ``bytes``."""
    return _order_values(record.leaf_order, seq, commitments)


def leaf_values_redacted(record: RedactedRecord, seq: int) -> tuple[Any, ...]:
    """Leaf values of a redacted record (its account fields already are commitments)."""
    return _order_values(record.leaf_order, seq, {})


def leaf_values_json(values: Sequence[Any]) -> list[str]:
    """Leaf values as OpenZeppelin's ``StandardMerkleTree`` takes them from JSON: integers
    as decimal strings, bytes32 as 0x-hex, strings as they are."""
    out: list[str] = []
    for v in values:
        if isinstance(v, bytes):
            out.append("0x" + v.hex())
        elif isinstance(v, int):
            out.append(str(v))
        else:
            out.append(v)
    return out


def _abi_encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``abi.encode`` of a flat tuple of static words and strings (all our leaves need)."""
    head: list[bytes] = []
    tail: list[bytes] = []
    offset = 32 * len(types)
    for t, v in zip(types, values, strict=True):
        if t == "string":
            data = v.encode("utf-8")
            n = len(data)
            pad = (-n) % 32
            head.append(offset.to_bytes(32, "big"))
            chunk = n.to_bytes(32, "big") + data + b"\x00" * pad
            tail.append(chunk)
            offset += len(chunk)
        elif t == "bytes32":
            head.append(v)
        elif t[0] == "i":  # int256
            head.append(v.to_bytes(32, "big", signed=True))
        else:  # uintN
            head.append(v.to_bytes(32, "big"))
    return b"".join(head) + b"".join(tail)


def _encode_order(order: Sequence[Any], seq: int, commitments: Mapping[str, bytes]) -> bytes:
    return _abi_encode(_TYPES_BY_INDEX[order[0]], _order_values(order, seq, commitments))


def encode_leaf(record: Record, seq: int, commitments: Mapping[str, bytes]) -> bytes:
    """``abi.encode(leaf_types(kind, version), leaf_values(record, seq, commitments))``."""
    return _encode_order(record.leaf_order, seq, commitments)


def encode_leaf_redacted(record: RedactedRecord, seq: int) -> bytes:
    """The encoded leaf of a redacted record."""
    return _encode_order(record.leaf_order, seq, {})


def leaf_hash(encoded: bytes) -> bytes:
    """OpenZeppelin's standard leaf hash: ``keccak256(keccak256(encoded))``."""
    return keccak256(keccak256(encoded))


def leaf_hash_buffer(
    records: Sequence[Record | tuple[Any, ...]],
    seqs: Sequence[int],
    commitments: Mapping[str, bytes],
) -> bytes:
    """The leaf hashes of ``records`` at ``seqs``, concatenated (``32 * n`` bytes): the one
    leaf-hashing path of sealing, ingest and backups. A record is a :class:`Record` or its
    ``leaf_order`` tuple (as :func:`anchor.core.prepare.prepare_records` gives it);
    ``commitments`` maps account id to commitment."""
    if len(records) != len(seqs):
        raise ValueError("one seq per record")
    mod = native()
    if mod is not None and len(records) > 0:
        try:
            seq_buf = seqs if isinstance(seqs, array) and seqs.typecode == "Q" else array("Q", seqs)
            comm = commitments if type(commitments) is dict else dict(commitments)
            result: bytes = mod.leaf_hashes(records, seq_buf, comm, NATIVE_TAGS)
            return result
        except (KeyError, TypeError, ValueError, OverflowError):
            pass  # the pure path raises the precise RecordError
    k = keccak256
    out: list[bytes] = []
    for r, seq in zip(records, seqs, strict=True):
        order = r if type(r) is tuple else r.leaf_order  # type: ignore[union-attr]
        out.append(k(k(_encode_order(order, seq, commitments))))
    return b"".join(out)


def leaf_hashes(
    items: Iterable[tuple[Record, int]], commitments: Mapping[str, bytes]
) -> list[bytes]:
    """Leaf hashes of many ``(record, seq)`` pairs, one ``bytes`` each."""
    pairs = list(items)
    buf = leaf_hash_buffer([r for r, _ in pairs], [s for _, s in pairs], commitments)
    return [buf[i : i + 32] for i in range(0, len(buf), 32)]

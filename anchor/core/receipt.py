"""Signed ingest receipts (``"format": "ledger-anchor-ingest-receipt/1"``), like Certificate
Transparency's SCTs: the service's signed promise that a record was accepted, with its leaf
and seq, and will be in a batch final on chain by a deadline. docs/receipt-format.md is
the reference. Pure: hashing, the EIP-712 digest, building, strict parsing, checking.

One signature per LOAD (a single record is a load of one): the receipt key signs the
EIP-712 struct ``IngestReceipt(bytes32 loadRoot, uint64 firstSeq, uint64 count, uint64
ingestedAt, uint64 deadline)``; ``loadRoot`` is the root of an OpenZeppelin-style tree over
the load's receipt leaves ``keccak256(keccak256(abi.encode(uint8 255, uint16 1, string
recordId, uint64 seq, bytes32 leaf)))`` (encoded like a record leaf, kind code 255), and each
record's receipt carries its path to that root. (An earlier draft, named
``ledger-anchor-receipt/1`` like the backup bundle's chain receipt, hashed ``abi.encode(string
recordId, bytes32 leaf, uint64 seq)``, which only a per-record Python loop could compute.)
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from anchor.core.hashing import keccak256
from anchor.core.leaves import _abi_encode, leaf_hash
from anchor.core.merkle import MerkleTree, bisect_leaves, process_proof
from anchor.core.native import native
from anchor.core.secp256k1 import recover_address
from anchor.core.strict_json import strict_hooks
from anchor.errors import InputError, VerificationError

__all__ = [
    "DOMAIN",
    "FORMAT",
    "LOAD_FORMAT",
    "RECEIPT_TYPE",
    "Receipt",
    "ReceiptFormatError",
    "SignedLoad",
    "build_receipts",
    "load_digest",
    "parse_receipt",
    "receipt_in_load",
    "receipt_leaf",
    "receipt_leaves",
    "sign_load",
    "typed_data",
    "verify_receipt",
]

FORMAT: Final = "ledger-anchor-ingest-receipt/1"
LOAD_FORMAT: Final = "ledger-anchor-ingest-load/1"
DOMAIN: Final = {"name": "ledger-anchor ingest receipts", "version": "1"}
DOMAIN_TYPE: Final = "EIP712Domain(string name,string version)"
RECEIPT_TYPE: Final = (
    "IngestReceipt(bytes32 loadRoot,uint64 firstSeq,uint64 count,uint64 ingestedAt,uint64 deadline)"
)
MAX_RECEIPT_BYTES: Final = 1 << 16
_H32: Final = re.compile(r"0x[0-9a-f]{64}\Z")
_ADDR: Final = re.compile(r"0x[0-9a-f]{40}\Z")
_SIG: Final = re.compile(r"0x[0-9a-f]{130}\Z")
_U64: Final = (1 << 64) - 1
_KEYS: Final = ("format", "recordId", "leaf", "seq", "ingestedAt", "deadline", "load", "signer",
                "signature")  # fmt: skip
_LOAD_KEYS: Final = ("root", "firstSeq", "count", "proof")


class ReceiptFormatError(InputError):
    """A receipt that cannot be parsed (exit 2)."""


def receipt_leaf(record_id: str, leaf: bytes, seq: int) -> bytes:
    """The receipt leaf of one record (see :func:`receipt_leaves`)."""
    return receipt_leaves((record_id,), leaf, seq)


RECEIPT_KIND_CODE: Final = 255  # never a record kind's code: receipt leaves are their own kind
RECEIPT_LEAF_VERSION: Final = 1
RECEIPT_LEAF_TYPES: Final = ("uint8", "uint16", "string", "uint64", "bytes32")


def receipt_leaves(record_ids: Sequence[str], leaves: bytes, first_seq: int) -> bytes:
    """The receipt leaves of consecutive records (seqs ``first_seq``, ``first_seq + 1``, ...;
    ``leaves``: their 32-byte record leaves, concatenated), concatenated. A receipt leaf is
    encoded like a record leaf -- the prefix ``(uint8 kind code, uint16 version, string id,
    uint64 seq)`` with the receipts' own kind code 255, then the record's ``bytes32 leaf`` --
    and hashed like one (OpenZeppelin's standard leaf), so the core's leaf encoder computes
    it: the C accelerator when built (encoding with the GIL, hashing without it, on two
    threads), else the pure Python ABI encoder (the reference; tests compare the two and
    eth-abi)."""
    n = len(record_ids)
    if len(leaves) != 32 * n:
        raise InputError("receipt_leaves: one 32-byte leaf per record id")
    if first_seq < 0 or first_seq + n - 1 > _U64:
        raise InputError("receipt_leaves: seq out of the uint64 range")
    code, version = RECEIPT_KIND_CODE, RECEIPT_LEAF_VERSION
    mod = native()
    if mod is not None and n:
        orders = [(0, code, version, rid, leaves[32 * i : 32 * i + 32])
                  for i, rid in enumerate(record_ids)]  # fmt: skip
        out: bytes = mod.leaf_hashes(orders, array("Q", range(first_seq, first_seq + n)), {},
                                     ("h",))  # fmt: skip
        return out
    return b"".join(
        leaf_hash(_abi_encode(RECEIPT_LEAF_TYPES,
                              (code, version, rid, seq, leaves[32 * i : 32 * i + 32])))
        for i, (seq, rid) in enumerate(zip(range(first_seq, first_seq + n), record_ids, strict=True))
    )  # fmt: skip


def _w(n: int) -> bytes:
    return n.to_bytes(32, "big")


def load_digest(root: bytes, first_seq: int, count: int, ingested_at: int, deadline: int) -> bytes:
    """The EIP-712 digest the receipt key signs for a load."""
    domain = keccak256(
        keccak256(DOMAIN_TYPE.encode())
        + keccak256(DOMAIN["name"].encode())
        + keccak256(DOMAIN["version"].encode())
    )
    struct = keccak256(
        keccak256(RECEIPT_TYPE.encode())
        + root
        + _w(first_seq)
        + _w(count)
        + _w(ingested_at)
        + _w(deadline)
    )
    return keccak256(b"\x19\x01" + domain + struct)


def typed_data(
    root: bytes, first_seq: int, count: int, ingested_at: int, deadline: int
) -> dict[str, Any]:
    """The EIP-712 typed data (``eth_signTypedData_v4`` JSON) of a load."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
            ],
            "IngestReceipt": [
                {"name": "loadRoot", "type": "bytes32"},
                {"name": "firstSeq", "type": "uint64"},
                {"name": "count", "type": "uint64"},
                {"name": "ingestedAt", "type": "uint64"},
                {"name": "deadline", "type": "uint64"},
            ],
        },
        "primaryType": "IngestReceipt",
        "domain": dict(DOMAIN),
        "message": {
            "loadRoot": "0x" + root.hex(),
            "firstSeq": first_seq,
            "count": count,
            "ingestedAt": ingested_at,
            "deadline": deadline,
        },
    }


@dataclass(frozen=True)
class Receipt:
    """One record's receipt."""

    record_id: str
    leaf: bytes
    seq: int
    ingested_at: int  # unix seconds
    deadline: int  # unix seconds: its batch final on chain by then
    load_root: bytes
    first_seq: int
    count: int
    proof: tuple[bytes, ...]
    signer: str
    signature: bytes

    def digest(self) -> bytes:
        return load_digest(
            self.load_root, self.first_seq, self.count, self.ingested_at, self.deadline
        )

    def to_obj(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "recordId": self.record_id,
            "leaf": "0x" + self.leaf.hex(),
            "seq": self.seq,
            "ingestedAt": self.ingested_at,
            "deadline": self.deadline,
            "load": {
                "root": "0x" + self.load_root.hex(),
                "firstSeq": self.first_seq,
                "count": self.count,
                "proof": ["0x" + p.hex() for p in self.proof],
            },
            "signer": self.signer,
            "signature": "0x" + self.signature.hex(),
        }

    def to_json(self) -> bytes:
        return (json.dumps(self.to_obj(), indent=2) + "\n").encode()


@dataclass(frozen=True)
class SignedLoad:
    """What the receipt key signs for one load (``"format": "ledger-anchor-ingest-load/1"``):
    the root of the load's receipt tree, its seq range and the promise. Every record's
    receipt is this plus its path (:func:`receipt_in_load`)."""

    root: bytes
    first_seq: int
    count: int
    ingested_at: int
    deadline: int
    signer: str
    signature: bytes

    def digest(self) -> bytes:
        return load_digest(self.root, self.first_seq, self.count, self.ingested_at, self.deadline)

    def to_obj(self) -> dict[str, Any]:
        return {
            "format": LOAD_FORMAT,
            "root": "0x" + self.root.hex(),
            "firstSeq": self.first_seq,
            "count": self.count,
            "ingestedAt": self.ingested_at,
            "deadline": self.deadline,
            "signer": self.signer,
            "signature": "0x" + self.signature.hex(),
        }


def sign_load(
    rleaves: bytes,
    first_seq: int,
    ingested_at: int,
    deadline: int,
    sign: Callable[[bytes], bytes],
    signer: str,
) -> tuple[SignedLoad, MerkleTree]:
    """Sign one load from its receipt leaves (:func:`receipt_leaves`, seq order): the tree
    over them, ONE call of ``sign(digest) -> 65-byte signature``, the signed load and the
    tree (for the paths)."""
    if not rleaves or len(rleaves) % 32:
        raise InputError("a load needs one or more 32-byte receipt leaves")
    if deadline < ingested_at:
        raise InputError("a receipt deadline cannot be before the ingest time")
    tree = MerkleTree.from_leaf_buffer(rleaves)
    count = len(rleaves) // 32
    digest = load_digest(tree.root, first_seq, count, ingested_at, deadline)
    load = SignedLoad(
        tree.root, first_seq, count, ingested_at, deadline, signer.lower(), sign(digest)
    )
    return load, tree


def _tree_index(tree: MerkleTree, leaf: bytes) -> int:
    """Tree-order index of ``leaf`` (leaves are sorted in tree order: a binary search over
    O(log n) nodes)."""
    lo = bisect_leaves(tree.leaf, tree.leaf_count, leaf)
    if lo == tree.leaf_count or tree.leaf(lo) != leaf:
        raise InputError("the record is not in this load")
    return lo


def receipt_in_load(
    load: SignedLoad, tree: MerkleTree, record_id: str, leaf: bytes, seq: int
) -> Receipt:
    """One record's receipt: the signed load plus the record's path in the load's tree."""
    if not load.first_seq <= seq < load.first_seq + load.count:
        raise InputError(f"seq {seq} is not in the load")
    index = _tree_index(tree, receipt_leaf(record_id, leaf, seq))
    return Receipt(
        record_id,
        leaf,
        seq,
        load.ingested_at,
        load.deadline,
        load.root,
        load.first_seq,
        load.count,
        tuple(tree.proof(index)),
        load.signer,
        load.signature,
    )


def build_receipts(
    entries: Sequence[tuple[str, bytes, int]],
    ingested_at: int,
    deadline: int,
    sign: Callable[[bytes], bytes],
    signer: str,
) -> list[Receipt]:
    """Receipts for one load of ``(record_id, leaf, seq)`` entries (seqs consecutive, in
    order): ONE call of ``sign(digest) -> 65-byte signature`` for the whole load."""
    if not entries:
        return []
    first, count = entries[0][2], len(entries)
    if [e[2] for e in entries] != list(range(first, first + count)):
        raise InputError("a load's seqs must be consecutive and in order")
    rleaves = receipt_leaves([e[0] for e in entries], b"".join(e[1] for e in entries), first)
    load, tree = sign_load(rleaves, first, ingested_at, deadline, sign, signer)
    pos = tree.tree_order_of_inputs()
    return [
        Receipt(
            rid,
            leaf,
            seq,
            ingested_at,
            deadline,
            load.root,
            first,
            count,
            tuple(tree.proof(pos[i])),
            load.signer,
            load.signature,
        )
        for i, (rid, leaf, seq) in enumerate(entries)
    ]


def _fail(msg: str) -> ReceiptFormatError:
    return ReceiptFormatError(f"receipt: {msg}")


_STRICT: Final = strict_hooks(_fail)


def _obj(v: Any, where: str, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _fail(f"{where or 'the receipt'} must be an object")
    for k in keys:
        if k not in v:
            raise _fail(f"missing field {where + '.' if where else ''}{k}")
    for k in v:
        if k not in keys:
            raise _fail(f"unknown field {where + '.' if where else ''}{k}")
    return v


def _u64(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= _U64:
        raise _fail(f"{where} must be an unsigned 64-bit integer")
    return v


def _hex(v: Any, where: str, pattern: re.Pattern[str]) -> bytes:
    if not isinstance(v, str) or not pattern.match(v):
        raise _fail(f"{where}: malformed hex")
    return bytes.fromhex(v[2:])


def parse_receipt(data: bytes | str) -> Receipt:
    """Parse a receipt strictly (any JSON formatting); ReceiptFormatError otherwise."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_RECEIPT_BYTES:
        raise _fail("too large")
    try:
        top = json.loads(raw.decode("utf-8"), **_STRICT)
    except UnicodeDecodeError:
        raise _fail("not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise _fail(f"not valid JSON ({exc.msg} at byte {exc.pos})") from None
    except RecursionError:
        raise _fail("JSON nested too deeply") from None
    if not isinstance(top, dict) or top.get("format") != FORMAT:
        fmt = top.get("format") if isinstance(top, dict) else None
        raise _fail(f"unknown format {fmt!r} (expected {FORMAT!r})")
    top = _obj(top, "", _KEYS)
    rid = top["recordId"]
    if not isinstance(rid, str) or not 0 < len(rid) <= 128:
        raise _fail("recordId must be a string of 1 to 128 characters")
    load = _obj(top["load"], "load", _LOAD_KEYS)
    proof = load["proof"]
    if not isinstance(proof, list) or len(proof) > 64:
        raise _fail("load.proof must be an array of at most 64 hashes")
    signer = top["signer"]
    if not isinstance(signer, str) or not _ADDR.match(signer):
        raise _fail("signer: malformed address (0x and 40 lowercase hex digits)")
    return Receipt(
        record_id=rid,
        leaf=_hex(top["leaf"], "leaf", _H32),
        seq=_u64(top["seq"], "seq"),
        ingested_at=_u64(top["ingestedAt"], "ingestedAt"),
        deadline=_u64(top["deadline"], "deadline"),
        load_root=_hex(load["root"], "load.root", _H32),
        first_seq=_u64(load["firstSeq"], "load.firstSeq"),
        count=_u64(load["count"], "load.count"),
        proof=tuple(_hex(p, f"load.proof[{i}]", _H32) for i, p in enumerate(proof)),
        signer=signer,
        signature=_hex(top["signature"], "signature", _SIG),
    )


def verify_receipt(receipt: Receipt, signer: str) -> str:
    """Check a receipt against the signer address YOU pinned (the receipt's own ``signer``
    field is informational). Returns the recovered address; VerificationError naming the
    step (``receipt_path``, ``receipt_seq``, ``receipt_deadline``, ``receipt_signature``,
    ``receipt_signer``) otherwise."""
    r = receipt
    if process_proof(receipt_leaf(r.record_id, r.leaf, r.seq), r.proof) != r.load_root:
        raise VerificationError(
            "receipt_path", "the record's path does not lead to the signed load root"
        )
    if not r.first_seq <= r.seq < r.first_seq + r.count:
        raise VerificationError("receipt_seq", f"seq {r.seq} is outside the signed load")
    if r.deadline < r.ingested_at:
        raise VerificationError("receipt_deadline", "the deadline is before the ingest time")
    got = recover_address(r.digest(), r.signature)
    if got is None:
        raise VerificationError("receipt_signature", "not a valid secp256k1 signature")
    if got != signer.lower():
        raise VerificationError(
            "receipt_signer",
            f"signed by {got}, not by the receipt signer you pinned {signer.lower()}",
        )
    return got

"""The backup bundle: one sealed batch as an immutable, content-addressed file.

Format ``ledger-anchor-backup/1`` (docs/backup-format.md says it field by field): a gzip
stream (mtime 0, no file name) of newline-terminated JSON lines, in this order and nothing
else:

1. a header object: ``format``, ``batch_id``, ``root``, ``leaf_count``, ``first_seq``,
   ``last_seq``, ``sealed_at``, ``accounts`` (how many account lines follow), ``leaf``,
   ``commitment``, ``tree`` (the constructions, as text) and ``leaf_encodings`` (the
   OpenZeppelin ``leafEncoding`` of every kind/version present);
2. one line per account the batch mentions, sorted by account id: ``[account_id, salt]``;
3. one line per record in TREE order (ascending leaf hash, as OpenZeppelin's
   ``StandardMerkleTree`` sorts them): ``[seq, received_at, canonical_json]`` where
   ``canonical_json`` is the record's canonical form as a JSON string (its exact bytes);
4. a trailer object: ``{"end": "ledger-anchor-backup/1", "accounts": M, "records": N}``.

Anything after the trailer, an unknown format or field, a count that does not match, or a
record that is not in canonical form is an error (:class:`BundleFormatError`).

The file's name is ``sha256(file bytes)`` in hex (:func:`content_name`), so a reader
checks integrity by hashing. The anchor receipt is not in the bundle (the bundle is
written before anchoring); it goes into a separate immutable receipt object
(:class:`Receipt`, format ``ledger-anchor-receipt/1``).

Secrecy: the bundle holds account ids, amounts AND the per-account salts — a restored
database must be able to hand users proofs, and proofs need salts. A bundle is therefore
exactly as confidential as the database itself; targets need the database's access rules.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from anchor.core.records import account_commitment, leaf_types
from anchor.errors import InputError

__all__ = [
    "BUNDLE_EXT",
    "FORMAT",
    "RECEIPT_EXT",
    "RECEIPT_FORMAT",
    "Bundle",
    "BundleFormatError",
    "RebuiltBatch",
    "Receipt",
    "content_name",
    "decode_bundle",
    "decode_receipt",
    "encode_bundle",
    "encode_receipt",
    "format_object",
    "rebuild",
]

FORMAT: Final = "ledger-anchor-backup/1"
RECEIPT_FORMAT: Final = "ledger-anchor-receipt/1"
BUNDLE_EXT: Final = ".bundle"
RECEIPT_EXT: Final = ".receipt"

LEAF_TEXT: Final = (
    "keccak256(keccak256(abi.encode(leaf_types, leaf_values(record, seq, commitments))))"
)
COMMITMENT_TEXT: Final = "keccak256(salt || utf8(account_id))"
TREE_TEXT: Final = (
    "openzeppelin-standard-merkle-tree: leaves sorted ascending, sorted-pair keccak256"
)

_HEADER_KEYS: Final = frozenset(
    {
        "format",
        "batch_id",
        "root",
        "leaf_count",
        "first_seq",
        "last_seq",
        "sealed_at",
        "accounts",
        "leaf",
        "commitment",
        "tree",
        "leaf_encodings",
    }
)
_TRAILER_KEYS: Final = frozenset({"end", "accounts", "records"})
_RECEIPT_KEYS: Final = frozenset(
    {
        "format",
        "batch_id",
        "bundle",
        "root",
        "leaf_count",
        "chain_id",
        "contract",
        "tx_hash",
        "block_number",
        "block_hash",
        "state",
    }
)
GZIP_LEVEL: Final = 6


class BundleFormatError(InputError):
    """A backup bundle or receipt that cannot be read: unknown format, bad field, truncated,
    trailing data, not canonical, or a root that the records do not rebuild."""


def format_object(
    text: bytes, fmt: str, keys: frozenset[str], *, what: str, not_json: str
) -> dict[str, Any]:
    """``text`` parsed as a JSON object whose ``format`` is ``fmt`` and whose fields are exactly
    ``keys``; else a :class:`BundleFormatError` naming ``what`` (``not_json``: its text when
    ``text`` is not JSON at all)."""
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise BundleFormatError(f"{what}: {not_json}") from None
    if not isinstance(obj, dict) or obj.get("format") != fmt:
        raise BundleFormatError(f"{what}: unknown format")
    if set(obj) != keys:
        raise BundleFormatError(f"{what}: unknown or missing fields {sorted(set(obj) ^ keys)}")
    return obj


@dataclass(frozen=True)
class Bundle:
    """One sealed batch as it is backed up.

    ``records`` are the exact canonical JSON bytes, ``seqs`` and ``received_at`` run in
    parallel with them, all in tree order. ``salts`` maps account id → 32-byte salt (secret).
    """

    batch_id: int
    root: bytes
    leaf_count: int
    first_seq: int
    last_seq: int
    sealed_at: str
    seqs: Sequence[int]
    received_at: Sequence[str]
    records: Sequence[bytes]
    salts: Mapping[str, bytes] = field(repr=False)

    def __repr__(self) -> str:
        return f"Bundle(batch {self.batch_id}, {self.leaf_count} records, root 0x{self.root.hex()})"


@dataclass(frozen=True)
class Receipt:
    """Where and how a batch was anchored, written once the anchor is known."""

    batch_id: int
    bundle: str  # content name (sha256 hex) of the batch's bundle
    root: bytes
    leaf_count: int
    chain_id: int
    contract: str
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    state: str


@dataclass(frozen=True)
class RebuiltBatch:
    """What :func:`rebuild` recomputed from a bundle's records (never trusted from the file)."""

    root: bytes
    leaves: list[bytes]  # in the bundle's record order (tree order when written by us)
    nodes: bytes  # the flat OpenZeppelin node array, (2n-1)*32 bytes
    commitments: dict[str, bytes]
    # (record_id, kind, version, accounts) per record, in the bundle's order, when asked for
    meta: list[tuple[str, str, int, tuple[str, ...]]] | None = None
    # the writer puts records in tree order; a reader only notes when they are not (the
    # root, computed from the sorted leaves, is what is checked)
    in_tree_order: bool = True


def content_name(data: bytes) -> str:
    """The content address of an object: lowercase hex sha256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _unhex(name: str, v: Any, size: int | None = 32) -> bytes:
    if not isinstance(v, str) or not v.startswith("0x"):
        raise BundleFormatError(f"{name}: expected 0x-hex")
    try:
        out = bytes.fromhex(v[2:])
    except ValueError:
        raise BundleFormatError(f"{name}: malformed hex") from None
    if size is not None and len(out) != size:
        raise BundleFormatError(f"{name}: expected {size} bytes, got {len(out)}")
    if v[2:] != out.hex():
        raise BundleFormatError(f"{name}: hex must be lowercase")
    return out


def _int(name: str, v: Any, lo: int = 0) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < lo:
        raise BundleFormatError(f"{name}: expected an integer >= {lo}")
    return v


def _kind_version(canonical: bytes) -> tuple[str, int]:
    obj = orjson.loads(canonical)
    return str(obj["kind"]), int(obj["version"])


# --------------------------------------------------------------------------- writing
def encode_bundle(bundle: Bundle, *, level: int = GZIP_LEVEL) -> bytes:
    """The bundle's bytes: deterministic for a given batch (gzip mtime 0, fixed key order)."""
    n = len(bundle.records)
    if not (len(bundle.seqs) == len(bundle.received_at) == n == bundle.leaf_count):
        raise BundleFormatError("bundle: records, seqs, received_at and leaf_count disagree")
    encodings: dict[str, list[str]] = {}
    for canonical in bundle.records:
        kind, version = _kind_version(canonical)
        key = f"{kind}/{version}"
        if key not in encodings:
            encodings[key] = list(leaf_types(kind, version))
    header = {
        "format": FORMAT,
        "batch_id": bundle.batch_id,
        "root": _hex(bundle.root),
        "leaf_count": bundle.leaf_count,
        "first_seq": bundle.first_seq,
        "last_seq": bundle.last_seq,
        "sealed_at": bundle.sealed_at,
        "accounts": len(bundle.salts),
        "leaf": LEAF_TEXT,
        "commitment": COMMITMENT_TEXT,
        "tree": TREE_TEXT,
        "leaf_encodings": dict(sorted(encodings.items())),
    }
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip wrapper, mtime 0
    out: list[bytes] = []
    dumps = orjson.dumps
    out.append(comp.compress(dumps(header, option=orjson.OPT_SORT_KEYS) + b"\n"))
    lines = [dumps([a, _hex(bundle.salts[a])]) for a in sorted(bundle.salts)]
    out.append(comp.compress(b"\n".join(lines) + b"\n" if lines else b""))
    chunk: list[bytes] = []
    for seq, rec_at, canonical in zip(bundle.seqs, bundle.received_at, bundle.records, strict=True):
        chunk.append(dumps([seq, rec_at, canonical.decode("ascii")]))
        if len(chunk) >= 8192:
            out.append(comp.compress(b"\n".join(chunk) + b"\n"))
            chunk = []
    if chunk:
        out.append(comp.compress(b"\n".join(chunk) + b"\n"))
    trailer = {"end": FORMAT, "accounts": len(bundle.salts), "records": n}
    out.append(comp.compress(dumps(trailer, option=orjson.OPT_SORT_KEYS) + b"\n"))
    out.append(comp.flush())
    return b"".join(out)


# --------------------------------------------------------------------------- reading
def _gunzip(data: bytes) -> bytes:
    d = zlib.decompressobj(31)
    try:
        body = d.decompress(data)
        body += d.flush()
    except zlib.error as exc:
        raise BundleFormatError(f"bundle: not a gzip stream ({exc})") from None
    if not d.eof:
        raise BundleFormatError("bundle: truncated gzip stream")
    if d.unused_data:
        raise BundleFormatError("bundle: trailing data after the gzip stream")
    return body


def decode_bundle(data: bytes) -> Bundle:
    """Parse a bundle strictly (format, fields, counts, no trailing data). It does NOT check
    the root: use :func:`rebuild` for that."""
    body = _gunzip(data)
    if not body.endswith(b"\n"):
        raise BundleFormatError("bundle: truncated (no final newline)")
    lines = body.split(b"\n")
    lines.pop()  # the empty string after the final newline
    if len(lines) < 2:
        raise BundleFormatError("bundle: truncated")
    try:
        header = orjson.loads(lines[0])
    except orjson.JSONDecodeError:
        raise BundleFormatError("bundle: header is not JSON") from None
    if not isinstance(header, dict):
        raise BundleFormatError("bundle: header is not an object")
    if header.get("format") != FORMAT:
        raise BundleFormatError(f"bundle: unknown format {header.get('format')!r}")
    if set(header) != _HEADER_KEYS:
        extra = sorted(set(header) ^ _HEADER_KEYS)
        raise BundleFormatError(f"bundle header: unknown or missing fields {extra}")
    batch_id = _int("batch_id", header["batch_id"], 1)
    leaf_count = _int("leaf_count", header["leaf_count"], 1)
    n_accounts = _int("accounts", header["accounts"])
    first_seq = _int("first_seq", header["first_seq"], 1)
    last_seq = _int("last_seq", header["last_seq"], first_seq)
    root = _unhex("root", header["root"])
    if not isinstance(header["sealed_at"], str):
        raise BundleFormatError("sealed_at: expected a string")
    if (header["leaf"], header["commitment"], header["tree"]) != (
        LEAF_TEXT,
        COMMITMENT_TEXT,
        TREE_TEXT,
    ):
        raise BundleFormatError("bundle header: unknown leaf, commitment or tree construction")
    encodings = header["leaf_encodings"]
    if not isinstance(encodings, dict):
        raise BundleFormatError("leaf_encodings: expected an object")
    for key, types in encodings.items():
        kind, _, ver = str(key).partition("/")
        try:
            expected = list(leaf_types(kind, int(ver)))
        except (InputError, ValueError):
            raise BundleFormatError(f"leaf_encodings: unknown kind {key!r}") from None
        if types != expected:
            raise BundleFormatError(f"leaf_encodings: {key} differs from this version's schema")
    if len(lines) != 1 + n_accounts + leaf_count + 1:
        raise BundleFormatError(
            f"bundle: {len(lines)} lines, expected {1 + n_accounts + leaf_count + 1}"
        )
    try:
        trailer = orjson.loads(lines[-1])
    except orjson.JSONDecodeError:
        raise BundleFormatError("bundle: trailer is not JSON") from None
    if (
        not isinstance(trailer, dict)
        or set(trailer) != _TRAILER_KEYS
        or trailer["end"] != FORMAT
        or trailer["accounts"] != n_accounts
        or trailer["records"] != leaf_count
    ):
        raise BundleFormatError("bundle: bad trailer")
    salts: dict[str, bytes] = {}
    loads = orjson.loads
    prev = ""
    for i in range(1, 1 + n_accounts):
        try:
            item = loads(lines[i])
        except orjson.JSONDecodeError:
            raise BundleFormatError(f"bundle line {i + 1}: not JSON") from None
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise BundleFormatError(f"bundle line {i + 1}: expected [account_id, salt]")
        if item[0] <= prev and i > 1:
            raise BundleFormatError(f"bundle line {i + 1}: accounts not sorted or duplicated")
        prev = item[0]
        salts[item[0]] = _unhex(f"line {i + 1} salt", item[1])
    seqs: list[int] = []
    received: list[str] = []
    records: list[bytes] = []
    for i in range(1 + n_accounts, 1 + n_accounts + leaf_count):
        try:
            item = loads(lines[i])
        except orjson.JSONDecodeError:
            raise BundleFormatError(f"bundle line {i + 1}: not JSON") from None
        if not (
            type(item) is list
            and len(item) == 3
            and type(item[0]) is int
            and type(item[1]) is str
            and type(item[2]) is str
        ):
            raise BundleFormatError(f"bundle line {i + 1}: expected [seq, received_at, record]")
        seq = item[0]
        if not first_seq <= seq <= last_seq:
            raise BundleFormatError(f"bundle line {i + 1}: seq {seq} outside the batch range")
        seqs.append(seq)
        received.append(item[1])
        records.append(item[2].encode("utf-8"))
    if len(set(seqs)) != len(seqs):
        raise BundleFormatError("bundle: a seq appears twice")
    return Bundle(
        batch_id=batch_id,
        root=root,
        leaf_count=leaf_count,
        first_seq=first_seq,
        last_seq=last_seq,
        sealed_at=header["sealed_at"],
        seqs=seqs,
        received_at=received,
        records=records,
        salts=salts,
    )


class RebuildJob:
    """:func:`rebuild` started in the background; :meth:`result` waits for it."""

    def __init__(self, bundle: Bundle, *, workers: int = 1, with_meta: bool = False) -> None:
        from anchor.backup.leaves import LeafJob

        self._commitments = {a: account_commitment(a, s) for a, s in bundle.salts.items()}
        self._meta: list[tuple[str, str, int, tuple[str, ...]]] | None = [] if with_meta else None
        self._job = LeafJob(
            bundle.seqs, bundle.records, self._commitments, workers=workers, meta=self._meta
        )

    def close(self) -> None:
        self._job.close()

    def result(self) -> RebuiltBatch:
        from anchor.core.merkle import MerkleTree

        leaves, used, problem = self._job.result()
        if problem is not None:
            raise BundleFormatError(
                f"record {problem.index} (seq {problem.seq}): {problem.problem}"
            )
        if used != set(self._commitments):
            raise BundleFormatError("bundle: salts of accounts no record mentions")
        in_order = all(leaves[i] < leaves[i + 1] for i in range(len(leaves) - 1))
        tree = MerkleTree.from_leaves(leaves)
        return RebuiltBatch(
            root=tree.root,
            leaves=leaves,
            nodes=tree.nodes_bytes(),
            commitments=self._commitments,
            meta=self._meta,
            in_tree_order=in_order,
        )


def rebuild(bundle: Bundle, *, workers: int = 1, with_meta: bool = False) -> RebuiltBatch:
    """Recompute every leaf and the root from the records, seqs and salts (nothing taken on
    trust): each record must parse and be in canonical form, each account must have a salt
    (and each salt an account). The root is computed from the sorted leaves; the caller
    compares it with the chain's. ``workers`` > 1 forks worker processes."""
    return RebuildJob(bundle, workers=workers, with_meta=with_meta).result()


# --------------------------------------------------------------------------- receipts
def encode_receipt(receipt: Receipt) -> bytes:
    """The receipt object's bytes (one JSON object, sorted keys, final newline)."""
    obj = {
        "format": RECEIPT_FORMAT,
        "batch_id": receipt.batch_id,
        "bundle": receipt.bundle,
        "root": _hex(receipt.root),
        "leaf_count": receipt.leaf_count,
        "chain_id": receipt.chain_id,
        "contract": receipt.contract,
        "tx_hash": _hex(receipt.tx_hash),
        "block_number": receipt.block_number,
        "block_hash": _hex(receipt.block_hash),
        "state": receipt.state,
    }
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) + b"\n"


def decode_receipt(data: bytes) -> Receipt:
    """Parse a receipt object strictly."""
    if not data.endswith(b"\n") or data.count(b"\n") != 1:
        raise BundleFormatError("receipt: expected one JSON line")
    obj = format_object(data, RECEIPT_FORMAT, _RECEIPT_KEYS, what="receipt", not_json="not JSON")
    if not isinstance(obj["bundle"], str) or len(obj["bundle"]) != 64:
        raise BundleFormatError("receipt: bundle must be a sha256 hex name")
    if not isinstance(obj["contract"], str) or not isinstance(obj["state"], str):
        raise BundleFormatError("receipt: contract and state must be strings")
    return Receipt(
        batch_id=_int("batch_id", obj["batch_id"], 1),
        bundle=obj["bundle"],
        root=_unhex("root", obj["root"]),
        leaf_count=_int("leaf_count", obj["leaf_count"], 1),
        chain_id=_int("chain_id", obj["chain_id"], 1),
        contract=obj["contract"],
        tx_hash=_unhex("tx_hash", obj["tx_hash"]),
        block_number=_int("block_number", obj["block_number"]),
        block_hash=_unhex("block_hash", obj["block_hash"]),
        state=obj["state"],
    )


def iter_bundle_keys(names: Iterable[str]) -> list[str]:
    """The bundle objects among ``names`` (helper for listings)."""
    return [n for n in names if n.endswith(BUNDLE_EXT)]

"""Proof bundles v1 (``"format": "ledger-anchor-proof/1"``) and v2
(``"ledger-anchor-proof/2"``): the types and their one canonical serialization.

v2 (issue 18: a root anchored on several chains) is v1 with the member ``anchor`` replaced by
``anchors``: a list of 1 to :data:`MAX_ANCHORS` anchor objects (the same six members as v1's
``anchor``), in increasing ``chainId`` order, one per chain, each naming its chain and
contract (status ``pending`` leaves the transaction fields null). Nothing else differs; a v1
bundle stays readable and verifiable as it always was.

A bundle is self-contained: the record (accounts shown only as commitments), the salts of
the requesting user's own accounts, the seq, OpenZeppelin's ``leafEncoding`` and ``value``
(``StandardMerkleTree.verify(root, leafEncoding, value, proof)`` accepts them as they are),
the leaf, the sibling path, the root, the batch id and the anchor fields. A ``checksum``
(keccak256 of the canonical bundle without it) makes any edit detectable offline; it is
not a signature. docs/proof-format.md is the reference.

The serialization (:meth:`ProofBundle.to_json`) is canonical: fixed key order, 2-space
indent, one final newline, ASCII; it is the same bytes as ``json.dumps(obj, indent=2) +
"\n"``, written out for this fixed layout (about 30x faster; the tests compare the two).
Building is :func:`anchor.core.proof.make_bundle`, parsing :mod:`anchor.core.proof_parse`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from json.encoder import encode_basestring_ascii as _enc_str
from typing import Any, Final

from anchor.core.hashing import keccak256
from anchor.core.records import RedactedRecord
from anchor.core.schemas import _INT_RANGE, _SCHEMAS, ZERO32, Schema
from anchor.errors import ProofFormatError

__all__ = [
    "FORMAT",
    "FORMATS",
    "FORMAT_V2",
    "MAX_ANCHORS",
    "MAX_BUNDLE_BYTES",
    "MAX_PROOF_LEN",
    "STATUSES",
    "AnchorInfo",
    "DisclosedAccount",
    "ProofBundle",
]

FORMAT: Final = "ledger-anchor-proof/1"
FORMAT_V2: Final = "ledger-anchor-proof/2"
FORMATS: Final = (FORMAT, FORMAT_V2)
MAX_ANCHORS: Final = 16
STATUSES: Final = ("pending", "included", "final")
MAX_BUNDLE_BYTES: Final = 1 << 20
MAX_PROOF_LEN: Final = 64

_KEYS: Final = (
    "format",
    "batchId",
    "seq",
    "record",
    "accounts",
    "leafEncoding",
    "value",
    "leaf",
    "proof",
    "root",
    "anchor",
    "checksum",
)
_KEYS_V2: Final = tuple("anchors" if k == "anchor" else k for k in _KEYS)
_ANCHOR_KEYS: Final = ("chainId", "contract", "txHash", "blockNumber", "blockHash", "status")
_ACCOUNT_KEYS: Final = ("field", "accountId", "salt")
_H32: Final = re.compile(r"0x[0-9a-f]{64}\Z")
_H32_RUN: Final = re.compile(r"(?:0x[0-9a-f]{64})*\Z")
_ADDR: Final = re.compile(r"0x[0-9a-f]{40}\Z")
_U64: Final = (1 << 64) - 1


@dataclass(frozen=True)
class AnchorInfo:
    """Where a batch root was anchored; fields are ``None`` until known."""

    chain_id: int | None = None
    contract: str | None = None  # 0x + 40 lowercase hex
    tx_hash: bytes | None = None
    block_number: int | None = None
    block_hash: bytes | None = None
    status: str = "pending"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ProofFormatError(f"anchor.status: must be one of {', '.join(STATUSES)}")
        if self.contract is not None:
            object.__setattr__(self, "contract", self.contract.lower())
            if not _ADDR.match(self.contract.lower()):
                raise ProofFormatError("anchor.contract: must be 0x followed by 40 hex digits")
        for name in ("tx_hash", "block_hash"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, bytes) or len(v) != 32):
                raise ProofFormatError(f"anchor.{name}: must be 32 bytes")
        if self.status != "pending" and None in (
            self.chain_id,
            self.contract,
            self.tx_hash,
            self.block_number,
            self.block_hash,
        ):
            raise ProofFormatError(
                f"anchor: status {self.status!r} needs chainId, contract, txHash, blockNumber "
                "and blockHash"
            )

    def to_obj(self) -> dict[str, Any]:
        return {
            "chainId": self.chain_id,
            "contract": self.contract,
            "txHash": _hex_or_none(self.tx_hash),
            "blockNumber": self.block_number,
            "blockHash": _hex_or_none(self.block_hash),
            "status": self.status,
        }


_RANK: Final = {"final": 2, "included": 1, "pending": 0}


def check_anchor_list(anchors: Sequence[AnchorInfo]) -> None:
    """v2's rules for ``anchors``: 1 to MAX_ANCHORS entries, each naming its chain and
    contract, chain ids strictly increasing (one anchor per chain). ProofFormatError."""
    if not 1 <= len(anchors) <= MAX_ANCHORS:
        raise ProofFormatError(f"anchors: must list 1 to {MAX_ANCHORS} anchors")
    previous = -1
    for i, a in enumerate(anchors):
        if a.chain_id is None or a.contract is None:
            raise ProofFormatError(f"anchors[{i}]: chainId and contract must be given")
        if a.chain_id <= previous:
            raise ProofFormatError(
                f"anchors[{i}]: chainId must be greater than the previous one (one anchor per "
                "chain, in increasing chainId order)"
            )
        previous = a.chain_id


def principal_anchor(anchors: Sequence[AnchorInfo]) -> AnchorInfo:
    """The most advanced anchor of a list (final, then included, then pending; ties: the
    lowest chain id): what ``ProofBundle.anchor`` holds for a v2 bundle."""
    return max(anchors, key=lambda a: (_RANK[a.status], -(a.chain_id or 0)))


@dataclass(frozen=True)
class DisclosedAccount:
    """One of the requester's own accounts: which record field holds it, its id and salt."""

    field: str
    account_id: str
    salt: bytes = dc_field(repr=False)

    def to_obj(self) -> dict[str, Any]:
        return {"field": self.field, "accountId": self.account_id, "salt": "0x" + self.salt.hex()}


@dataclass(frozen=True)
class ProofBundle:
    """A parsed or freshly built proof bundle. v1: ``anchor`` is its one anchor and
    ``anchors`` is empty; v2: ``anchors`` lists every anchor (what is serialized) and
    ``anchor`` is the most advanced of them (:func:`principal_anchor`)."""

    batch_id: int
    seq: int
    record: RedactedRecord
    accounts: tuple[DisclosedAccount, ...]
    leaf_encoding: tuple[str, ...]
    value: tuple[str, ...]
    leaf: bytes
    proof: tuple[bytes, ...]
    root: bytes
    anchor: AnchorInfo
    checksum: bytes = b""
    format: str = FORMAT
    anchors: tuple[AnchorInfo, ...] = ()

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ProofFormatError(f"format: unknown proof bundle format {self.format!r}")
        if self.format == FORMAT and self.anchors:
            raise ProofFormatError(f"anchors: a {FORMAT} bundle has one anchor")
        if self.format == FORMAT_V2:
            check_anchor_list(self.anchors)

    @property
    def all_anchors(self) -> tuple[AnchorInfo, ...]:
        """Every anchor the bundle names (v1: its one anchor)."""
        return self.anchors if self.format == FORMAT_V2 else (self.anchor,)

    def _obj(self, *, with_checksum: bool) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "format": self.format,
            "batchId": self.batch_id,
            "seq": self.seq,
            "record": dict(sorted(self.record.canonical_obj().items())),
            "accounts": [a.to_obj() for a in self.accounts],
            "leafEncoding": list(self.leaf_encoding),
            "value": list(self.value),
            "leaf": "0x" + self.leaf.hex(),
            "proof": ["0x" + p.hex() for p in self.proof],
            "root": "0x" + self.root.hex(),
        }
        if self.format == FORMAT_V2:
            obj["anchors"] = [a.to_obj() for a in self.anchors]
        else:
            obj["anchor"] = self.anchor.to_obj()
        if with_checksum:
            obj["checksum"] = "0x" + self.checksum.hex()
        return obj

    def _render_body(self) -> str:
        """``json.dumps(self._obj(with_checksum=False), indent=2) + "\\n"``, written out for
        this fixed layout (the tests compare it with json.dumps)."""
        e = _enc_str
        rec = _record_block(self.record)
        accounts = "[]"
        if self.accounts:
            accounts = (
                "[\n"
                + ",\n".join(
                    f'    {{\n      "field": {e(a.field)},\n      "accountId": {e(a.account_id)},'
                    f'\n      "salt": "0x{a.salt.hex()}"\n    }}'
                    for a in self.accounts
                )
                + "\n  ]"
            )
        return (
            f"{bundle_head(self.format, self.batch_id)}{int.__repr__(self.seq)},"
            f'\n  "record": {rec},\n  "accounts": {accounts},'
            f'\n  "leafEncoding": {_json_str_list_cached(self.leaf_encoding)},'
            f'\n  "value": {_json_str_list(self.value)},\n  "leaf": "0x{self.leaf.hex()}",'
            f'\n  "proof": {_hex_list(self.proof)},'
            f'\n  "root": "0x{self.root.hex()}",\n  '
            f"{bundle_tail(self.format, self.anchor, self.anchors)}"
        )

    def _body(self) -> bytes:
        """The canonical bytes without the ``checksum`` member (cached)."""
        cached: bytes | None = self.__dict__.get("_body_cache")
        if cached is None:
            cached = self._render_body().encode("ascii")
            object.__setattr__(self, "_body_cache", cached)
        return cached

    def computed_checksum(self) -> bytes:
        """keccak256 of the canonical bundle without its ``checksum`` member."""
        return keccak256(self._body())

    def with_checksum(self) -> ProofBundle:
        body = self._body()
        out = replace(self, checksum=keccak256(body))
        object.__setattr__(out, "_body_cache", body)  # only the checksum differs: same body
        return out

    def with_anchor(self, anchor: AnchorInfo) -> ProofBundle:
        """A copy with new anchor fields (and a fresh checksum); v1 only."""
        if self.format != FORMAT:
            raise ProofFormatError("with_anchor: a v2 bundle takes with_anchors")
        return replace(self, anchor=anchor).with_checksum()

    def with_anchors(self, anchors: Sequence[AnchorInfo]) -> ProofBundle:
        """A v2 copy listing ``anchors`` (sorted by chain id; a fresh checksum)."""
        listed = tuple(sorted(anchors, key=lambda a: a.chain_id or 0))
        check_anchor_list(listed)
        return replace(
            self, format=FORMAT_V2, anchors=listed, anchor=principal_anchor(listed)
        ).with_checksum()

    def to_obj(self) -> dict[str, Any]:
        return self._obj(with_checksum=True)

    def to_json(self) -> bytes:
        """The canonical serialization (UTF-8, 2-space indent, final newline); the same
        bytes as ``json.dumps(self.to_obj(), indent=2) + "\\n"``."""
        body = self._body()
        assert body.endswith(b"\n}\n")
        return body[:-3] + b',\n  "checksum": "0x' + self.checksum.hex().encode() + b'"\n}\n'


def bundle_head(format: str, batch_id: int) -> str:
    """The bundle's text up to its ``seq`` value (``"seq": `` included)."""
    return f'{{\n  "format": {_enc_str(format)},\n  "batchId": {int.__repr__(batch_id)},\n  "seq": '


def bundle_tail(format: str, anchor: AnchorInfo, anchors: Sequence[AnchorInfo]) -> str:
    """The bundle's text after ``root`` (without the checksum): the anchor member (v1) or
    the anchors (v2), and the closing brace."""
    if format == FORMAT_V2:
        member = '"anchors": [\n' + ",\n".join(_anchor_block(a, "    ") for a in anchors)
        return member + "\n  ]\n}\n"
    return '"anchor": ' + _anchor_block(anchor, "  ").lstrip() + "\n}\n"


_R_KIND, _R_VERSION, _R_ID, _R_STR, _R_INT, _R_HEX, _R_OPT = range(7)


def _record_plan(s: Schema) -> tuple[tuple[str, str, int], ...]:
    """The record's members in canonical (sorted) order: (rendered key, name, how)."""
    rows = [("kind", _R_KIND), ("version", _R_VERSION), ("record_id", _R_ID)]
    for f in s.fields:
        if f.tag in _INT_RANGE:
            how = _R_INT
        elif f.tag == "hex32":
            how = _R_OPT
        elif f.tag == "account":
            how = _R_HEX  # a commitment, in a redacted record
        else:
            how = _R_STR
        rows.append((f.name, how))
    return tuple((f"    {_enc_str(k)}: ", k, how) for k, how in sorted(rows))


_RECORD_PLANS: Final = {key: _record_plan(s) for key, s in _SCHEMAS.items()}


def _record_block(r: RedactedRecord) -> str:
    """The ``record`` member as ``json.dumps(bundle, indent=2)`` writes it: the record's
    canonical object (:meth:`RedactedRecord.canonical_obj`), from its schema's plan."""
    f = r.fields
    out: list[str] = []
    for prefix, name, how in _RECORD_PLANS[(r.kind, r.version)]:
        if how == _R_INT:  # canonical: the decimal string (nothing in it to escape)
            out.append(f'{prefix}"{int.__repr__(f[name])}"')
        elif how == _R_STR:
            out.append(prefix + _enc_str(f[name]))
        elif how == _R_HEX:
            out.append(f'{prefix}"0x{f[name].hex()}"')
        elif how == _R_OPT:  # omitted when zero
            if f[name] != ZERO32:
                out.append(f'{prefix}"0x{f[name].hex()}"')
        elif how == _R_KIND:
            out.append(prefix + _enc_str(r.kind))
        elif how == _R_VERSION:
            out.append(prefix + int.__repr__(r.version))
        else:
            out.append(prefix + _enc_str(r.record_id))
    return "{\n" + ",\n".join(out) + "\n  }"


def _anchor_block(a: AnchorInfo, indent: str) -> str:
    """One anchor object as ``json.dumps(bundle, indent=2)`` writes it at ``indent``."""
    i = indent + "  "
    return (
        f'{indent}{{\n{i}"chainId": {_num(a.chain_id)},\n{i}"contract": {_str_or_null(a.contract)},'
        f'\n{i}"txHash": {_hex_str(a.tx_hash)},\n{i}"blockNumber": {_num(a.block_number)},'
        f'\n{i}"blockHash": {_hex_str(a.block_hash)},\n{i}"status": {_enc_str(a.status)}\n{indent}}}'
    )


def _num(v: int | None) -> str:
    return "null" if v is None else int.__repr__(v)


def _str_or_null(v: str | None) -> str:
    return "null" if v is None else _enc_str(v)


def _hex_str(v: bytes | None) -> str:
    return "null" if v is None else f'"0x{v.hex()}"'


def _json_str_list(v: Sequence[str]) -> str:
    if not v:
        return "[]"
    return "[\n" + ",\n".join(["    " + x for x in map(_enc_str, v)]) + "\n  ]"


_LIST_CACHE: dict[tuple[str, ...], str] = {}


def _json_str_list_cached(v: tuple[str, ...]) -> str:
    """:func:`_json_str_list` for the few schemas' leaf encodings (bounded cache)."""
    if type(v) is not tuple:
        return _json_str_list(v)
    out = _LIST_CACHE.get(v)
    if out is None:
        out = _json_str_list(v)
        if len(_LIST_CACHE) < 256:
            _LIST_CACHE[v] = out
    return out


def _hex_list(v: Sequence[bytes]) -> str:
    """``_json_str_list(["0x" + p.hex() for p in v])`` (hex needs no escaping)."""
    if not v:
        return "[]"
    return '[\n    "0x' + '",\n    "0x'.join([p.hex() for p in v]) + '"\n  ]'


def _hex_or_none(v: bytes | None) -> str | None:
    return None if v is None else "0x" + v.hex()

"""Proof bundle v1 (``"format": "ledger-anchor-proof/1"``): build, serialize, parse strictly.

A bundle is self-contained: the record (accounts shown only as commitments), the salts of
the requesting user's own accounts, the seq, OpenZeppelin's ``leafEncoding`` and ``value``
(``StandardMerkleTree.verify(root, leafEncoding, value, proof)`` accepts them as they are),
the leaf, the sibling path, the root, the batch id and the anchor fields. A ``checksum``
(keccak256 of the canonical bundle without it) makes any edit detectable offline; it is
not a signature. docs/proof-format.md is the reference.

The serialization is canonical (fixed key order, 2-space indent, one final newline);
:func:`parse_bundle` accepts only canonical bytes, so that no byte can change unnoticed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from json.encoder import encode_basestring_ascii as _enc_str
from typing import Any, Final

from anchor.core.hashing import keccak256
from anchor.core.merkle import process_proof
from anchor.core.records import (
    Record,
    RedactedRecord,
    account_commitment,
    account_fields,
    encode_leaf_redacted,
    leaf_hash,
    leaf_types,
    leaf_values_json,
    leaf_values_redacted,
    parse_account_id,
    parse_redacted,
    redact,
)
from anchor.errors import InputError, ProofFormatError, RecordError

__all__ = [
    "FORMAT",
    "MAX_BUNDLE_BYTES",
    "STATUSES",
    "AnchorInfo",
    "DisclosedAccount",
    "ProofBundle",
    "make_bundle",
    "parse_bundle",
]

FORMAT: Final = "ledger-anchor-proof/1"
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
    """A parsed or freshly built proof bundle (v1)."""

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
            "anchor": self.anchor.to_obj(),
        }
        if with_checksum:
            obj["checksum"] = "0x" + self.checksum.hex()
        return obj

    def _render_body(self) -> str:
        """``json.dumps(self._obj(with_checksum=False), indent=2) + "\\n"``, written out for
        this fixed layout (the tests compare it with json.dumps)."""
        e = _enc_str
        rec = "{}"
        items = sorted(self.record.canonical_obj().items())
        if items:
            rec = (
                "{\n"
                + ",\n".join(
                    f"    {e(k)}: {e(v) if type(v) is str else int.__repr__(v)}" for k, v in items
                )
                + "\n  }"
            )
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
        a = self.anchor
        anchor = (
            f'{{\n    "chainId": {_num(a.chain_id)},\n    "contract": {_str_or_null(a.contract)},'
            f'\n    "txHash": {_hex_str(a.tx_hash)},\n    "blockNumber": {_num(a.block_number)},'
            f'\n    "blockHash": {_hex_str(a.block_hash)},\n    "status": {e(a.status)}\n  }}'
        )
        return (
            f'{{\n  "format": {e(self.format)},\n  "batchId": {int.__repr__(self.batch_id)},'
            f'\n  "seq": {int.__repr__(self.seq)},\n  "record": {rec},\n  "accounts": {accounts},'
            f'\n  "leafEncoding": {_json_str_list_cached(self.leaf_encoding)},'
            f'\n  "value": {_json_str_list(self.value)},\n  "leaf": "0x{self.leaf.hex()}",'
            f'\n  "proof": {_hex_list(self.proof)},'
            f'\n  "root": "0x{self.root.hex()}",\n  "anchor": {anchor}\n}}\n'
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
        return replace(self, checksum=self.computed_checksum())

    def with_anchor(self, anchor: AnchorInfo) -> ProofBundle:
        """A copy with new anchor fields (and a fresh checksum)."""
        return replace(self, anchor=anchor).with_checksum()

    def to_obj(self) -> dict[str, Any]:
        return self._obj(with_checksum=True)

    def to_json(self) -> bytes:
        """The canonical serialization (UTF-8, 2-space indent, final newline); the same
        bytes as ``json.dumps(self.to_obj(), indent=2) + "\\n"``."""
        body = self._body()
        assert body.endswith(b"\n}\n")
        return body[:-3] + b',\n  "checksum": "0x' + self.checksum.hex().encode() + b'"\n}\n'


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


# --------------------------------------------------------------------------- building


def make_bundle(
    record: Record,
    seq: int,
    commitments: Mapping[str, bytes],
    salts: Mapping[str, bytes],
    proof: Sequence[bytes],
    root: bytes,
    batch_id: int,
    anchor: AnchorInfo | None = None,
) -> ProofBundle:
    """Build a bundle for a requester owning the accounts in ``salts`` (and only those).

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
    for acc in salts:
        if acc not in record.accounts():
            raise InputError("a salt was given for an account the record does not mention")
    values = leaf_values_redacted(redacted, seq)
    leaf = leaf_hash(encode_leaf_redacted(redacted, seq))
    proof_t = tuple(bytes(p) for p in proof)
    if process_proof(leaf, proof_t) != root:
        raise InputError("the proof does not lead from the record's leaf to the root")
    bundle = ProofBundle(
        batch_id=batch_id,
        seq=seq,
        record=redacted,
        accounts=tuple(disclosed),
        leaf_encoding=leaf_types(record.kind, record.version),
        value=tuple(leaf_values_json(values)),
        leaf=leaf,
        proof=proof_t,
        root=bytes(root),
        anchor=anchor or AnchorInfo(),
    )
    return bundle.with_checksum()


# --------------------------------------------------------------------------- parsing


def _fail(msg: str) -> ProofFormatError:
    return ProofFormatError(f"proof bundle: {msg}")


def _reject_float(text: str) -> Any:
    raise _fail(f"non-integer number {text!r}")


def _no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _fail(f"duplicate key {k!r}")
        out[k] = v
    return out


_DECODER: Final = json.JSONDecoder(
    parse_float=_reject_float, parse_constant=_reject_float, object_pairs_hook=_no_dupes
)
# The fast path's decoder (C scanner, no Python hooks): duplicate keys, floats and the like
# never survive its canonical re-serialization check, so the strict path reports them.
_FAST_LOADS: Final = json.JSONDecoder().decode


def _obj(v: Any, where: str, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _fail(f"{where} must be an object")
    for k in keys:
        if k not in v:
            raise _fail(f"missing field {where}.{k}" if where else f"missing field {k!r}")
    for k in v:
        if k not in keys:
            raise _fail(f"unknown field {where}.{k}" if where else f"unknown field {k!r}")
    return v


def _int(v: Any, where: str, *, nullable: bool = False) -> int | None:
    if v is None and nullable:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= _U64:
        raise _fail(f"{where} must be an unsigned 64-bit integer")
    return v


def _h32(v: Any, where: str, *, nullable: bool = False) -> bytes | None:
    if v is None and nullable:
        return None
    if not isinstance(v, str) or not _H32.match(v):
        raise _fail(f"{where}: malformed hex (expected 0x and 64 lowercase hex digits)")
    return bytes.fromhex(v[2:])


def _h32n(v: Any, where: str) -> bytes:
    out = _h32(v, where)
    assert out is not None
    return out


def _str_list(v: Any, where: str, limit: int) -> list[str]:
    if not isinstance(v, list) or len(v) > limit or not all(isinstance(x, str) for x in v):
        raise _fail(f"{where} must be an array of at most {limit} strings")
    return v


def parse_bundle(data: bytes | str) -> ProofBundle:
    """Parse a bundle strictly: known format, exact fields and types, lowercase hex,
    canonical bytes (no trailing data, no reformatting). ProofFormatError otherwise.

    A canonical bundle is taken by a fast path (C JSON decoder without hooks, one regex for
    the whole sibling path). It returns only bundles whose canonical re-serialization equals
    the input byte for byte, which the strict path would accept as the same bundle;
    anything else goes through the strict path, which gives the exact diagnosis."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) <= MAX_BUNDLE_BYTES:
        try:
            return _parse_fast(raw)
        except Exception:  # any doubt: the strict path decides and explains
            pass
    return _parse_strict(raw)


class _NotFast(Exception):
    """The fast path declines: the strict path parses (and explains any problem)."""


def _u64(v: Any) -> int:
    if type(v) is not int or not 0 <= v <= _U64:
        raise _NotFast
    return v


def _u64n(v: Any) -> int | None:
    return None if v is None else _u64(v)


def _h32f(v: Any) -> bytes | None:
    if v is None:
        return None
    if type(v) is not str or not _H32.match(v):
        raise _NotFast
    return bytes.fromhex(v[2:])


def _parse_fast(raw: bytes) -> ProofBundle:
    """:func:`parse_bundle` for canonical input: the same checks as the strict path, written
    for speed; exact field sets and order, and every rendering detail, are enforced by the
    final byte-for-byte comparison with the canonical serialization. Raises on any doubt."""
    top = _FAST_LOADS(raw.decode("ascii"))
    if type(top) is not dict or len(top) != len(_KEYS) or top["format"] != FORMAT:
        raise _NotFast
    batch_id = _u64(top["batchId"])
    seq = _u64(top["seq"])
    rec = top["record"]
    if type(rec) is not dict:
        raise _NotFast
    record = parse_redacted(rec)
    acc_fields = account_fields(record.kind, record.version)
    accs = top["accounts"]
    if type(accs) is not list or len(accs) > len(acc_fields):
        raise _NotFast
    accounts: list[DisclosedAccount] = []
    for a in accs:
        if type(a) is not dict or len(a) != len(_ACCOUNT_KEYS):
            raise _NotFast
        name = a["field"]
        if (
            type(name) is not str
            or name not in acc_fields
            or any(d.field == name for d in accounts)
        ):
            raise _NotFast
        salt = _h32f(a["salt"])
        assert salt is not None
        accounts.append(DisclosedAccount(name, parse_account_id(a["accountId"], "accountId"), salt))
    leaf_encoding = top["leafEncoding"]
    value = top["value"]
    path = top["proof"]
    if (
        type(leaf_encoding) is not list
        or type(value) is not list
        or type(path) is not list
        or len(leaf_encoding) > 64
        or len(value) > 64
        or len(path) > MAX_PROOF_LEN
    ):
        raise _NotFast
    # leaf, root, checksum and the path: one regex over them all (TypeError: not strings)
    hexes = "".join(path) + top["leaf"] + top["root"] + top["checksum"]
    if len(hexes) != 66 * (len(path) + 3) or not _H32_RUN.match(hexes):
        raise _NotFast
    an = top["anchor"]
    if type(an) is not dict or len(an) != len(_ANCHOR_KEYS):
        raise _NotFast
    contract = an["contract"]
    if contract is not None and (type(contract) is not str or not _ADDR.match(contract)):
        raise _NotFast
    anchor = AnchorInfo(
        chain_id=_u64n(an["chainId"]),
        contract=contract,
        tx_hash=_h32f(an["txHash"]),
        block_number=_u64n(an["blockNumber"]),
        block_hash=_h32f(an["blockHash"]),
        status=an["status"],
    )
    n = len(path)
    blob = bytes.fromhex(hexes.replace("0x", ""))
    bundle = ProofBundle(
        batch_id=batch_id,
        seq=seq,
        record=record,
        accounts=tuple(accounts),
        leaf_encoding=tuple(leaf_encoding),
        value=tuple(value),
        leaf=blob[32 * n : 32 * n + 32],
        proof=tuple([blob[i : i + 32] for i in range(0, 32 * n, 32)]),
        root=blob[32 * n + 32 : 32 * n + 64],
        anchor=anchor,
        checksum=blob[32 * n + 64 :],
    )
    canon = bundle.to_json()
    if raw != canon and raw != canon[:-1]:
        raise _NotFast
    return bundle


def _parse_strict(raw: bytes, *, canonical_bytes: bool = True) -> ProofBundle:
    """The strict parse; ``canonical_bytes=False`` skips only the final byte-for-byte
    comparison (:mod:`anchor.core.proof_json` compares JSON values instead)."""
    if len(raw) > MAX_BUNDLE_BYTES:
        raise _fail(f"too large ({len(raw)} bytes, maximum {MAX_BUNDLE_BYTES})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(f"not valid UTF-8 (byte {exc.start})") from None
    try:
        top = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        what = "trailing data" if exc.msg == "Extra data" else exc.msg
        raise _fail(f"not valid JSON: {what} at byte {exc.pos}") from None
    except RecursionError:
        raise _fail("JSON nested too deeply") from None
    except ProofFormatError:  # from the hooks: a float, a duplicate key
        raise
    except ValueError:  # an integer beyond the interpreter's digit limit
        raise _fail("not valid JSON: a number too long to read") from None
    if not isinstance(top, dict):
        raise _fail("must be a JSON object")
    fmt = top.get("format")
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith("ledger-anchor-proof/"):
            raise _fail(f"unsupported format version {fmt!r} (this verifier reads {FORMAT!r})")
        raise _fail(f"unknown format {fmt!r} (expected {FORMAT!r})")
    top = _obj(top, "", _KEYS)
    batch_id = _int(top["batchId"], "batchId")
    seq = _int(top["seq"], "seq")
    assert batch_id is not None and seq is not None
    if not isinstance(top["record"], dict):
        raise _fail("record must be an object")
    try:
        record = parse_redacted(top["record"])
    except RecordError as exc:
        raise _fail(f"record.{exc.field}: {exc.problem}") from None
    acc_fields = account_fields(record.kind, record.version)
    if not isinstance(top["accounts"], list) or len(top["accounts"]) > len(acc_fields):
        raise _fail(f"accounts must be an array of at most {len(acc_fields)} objects")
    accounts: list[DisclosedAccount] = []
    for i, a in enumerate(top["accounts"]):
        a = _obj(a, f"accounts[{i}]", _ACCOUNT_KEYS)
        if a["field"] not in acc_fields:
            raise _fail(f"accounts[{i}].field: not an account field of {record.kind}")
        if any(d.field == a["field"] for d in accounts):
            raise _fail(f"accounts[{i}].field: disclosed twice")
        acc_id = a["accountId"]
        try:
            acc_id = parse_account_id(acc_id, "accountId")
        except RecordError as exc:
            raise _fail(f"accounts[{i}].accountId: {exc.problem}") from None
        accounts.append(
            DisclosedAccount(a["field"], acc_id, _h32n(a["salt"], f"accounts[{i}].salt"))
        )
    leaf_encoding = _str_list(top["leafEncoding"], "leafEncoding", 64)
    value = _str_list(top["value"], "value", 64)
    leaf = _h32n(top["leaf"], "leaf")
    if not isinstance(top["proof"], list) or len(top["proof"]) > MAX_PROOF_LEN:
        raise _fail(f"proof must be an array of at most {MAX_PROOF_LEN} hashes")
    proof = tuple(_h32n(p, f"proof[{i}]") for i, p in enumerate(top["proof"]))
    root = _h32n(top["root"], "root")
    an = _obj(top["anchor"], "anchor", _ANCHOR_KEYS)
    contract = an["contract"]
    if contract is not None and (not isinstance(contract, str) or not _ADDR.match(contract)):
        raise _fail("anchor.contract: malformed address (expected 0x and 40 lowercase hex digits)")
    status = an["status"]
    if status not in STATUSES:
        raise _fail(f"anchor.status: must be one of {', '.join(STATUSES)}")
    # the field checks raise their own "proof bundle: ..." errors; only AnchorInfo's own
    # consistency checks need the prefix (wrapping both said "proof bundle: proof bundle:")
    chain_id = _int(an["chainId"], "anchor.chainId", nullable=True)
    tx_hash = _h32(an["txHash"], "anchor.txHash", nullable=True)
    block_number = _int(an["blockNumber"], "anchor.blockNumber", nullable=True)
    block_hash = _h32(an["blockHash"], "anchor.blockHash", nullable=True)
    try:
        anchor = AnchorInfo(
            chain_id=chain_id,
            contract=contract,
            tx_hash=tx_hash,
            block_number=block_number,
            block_hash=block_hash,
            status=status,
        )
    except ProofFormatError as exc:
        raise _fail(str(exc)) from None
    checksum = _h32n(top["checksum"], "checksum")
    bundle = ProofBundle(
        batch_id=batch_id,
        seq=seq,
        record=record,
        accounts=tuple(accounts),
        leaf_encoding=tuple(leaf_encoding),
        value=tuple(value),
        leaf=leaf,
        proof=proof,
        root=root,
        anchor=anchor,
        checksum=checksum,
    )
    if not canonical_bytes:
        return bundle
    canon = bundle.to_json()
    if raw != canon and raw != canon[:-1]:
        at = next(
            (i for i, (x, y) in enumerate(zip(raw, canon, strict=False)) if x != y),
            min(len(raw), len(canon)),
        )
        raise _fail(
            f"not in canonical form (first difference at byte {at}); bundles must not be "
            "reformatted or edited"
        )
    return bundle

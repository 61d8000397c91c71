"""Parsing a proof bundle strictly: :func:`parse_bundle`.

Known format, exact fields and types, lowercase hex, canonical bytes (no trailing data, no
reformatting); ProofFormatError otherwise, naming what is wrong. A canonical bundle takes a
private fast path (:func:`_parse_fast`) that accepts only what the strict path
(:func:`_parse_strict`) accepts, as the same bundle; the tests compare the two.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from anchor.core.proof_bundle import (
    _ACCOUNT_KEYS,
    _ADDR,
    _ANCHOR_KEYS,
    _H32,
    _H32_RUN,
    _KEYS,
    _KEYS_V2,
    _U64,
    FORMAT_V2,
    FORMATS,
    MAX_ANCHORS,
    MAX_BUNDLE_BYTES,
    MAX_PROOF_LEN,
    STATUSES,
    AnchorInfo,
    DisclosedAccount,
    ProofBundle,
    check_anchor_list,
    principal_anchor,
)
from anchor.core.records import RedactedRecord, account_fields, parse_account_id, parse_redacted
from anchor.core.strict_json import strict_decoder
from anchor.errors import ProofFormatError, RecordError

__all__ = ["parse_bundle"]


def _fail(msg: str) -> ProofFormatError:
    return ProofFormatError(f"proof bundle: {msg}")


_DECODER: Final = strict_decoder(_fail)
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


# What both parsers read before the hashes: batch id, seq, record, accounts, leaf encoding and
# value, in the bundle's own field order.
_Head = tuple[
    int, int, RedactedRecord, tuple[DisclosedAccount, ...], tuple[str, ...], tuple[str, ...]
]


def _bundle(
    head: _Head,
    fmt: str,
    hashes: tuple[bytes, tuple[bytes, ...], bytes, bytes],
    anchors: tuple[AnchorInfo, ...],
) -> ProofBundle:
    """The bundle both parsers return: ``hashes`` are its leaf, path, root and checksum,
    ``anchors`` the anchors it lists (v1: its one anchor); v2's principal anchor is chosen
    here."""
    v2 = fmt == FORMAT_V2
    anchor = principal_anchor(anchors) if v2 else anchors[0]
    leaf, proof, root, checksum = hashes
    return ProofBundle(*head, leaf, proof, root, anchor, checksum, fmt, anchors if v2 else ())


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
    if type(top) is not dict or len(top) != len(_KEYS) or top["format"] not in FORMATS:
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
    v2 = top["format"] == FORMAT_V2
    listed = top["anchors"] if v2 else [top["anchor"]]
    if type(listed) is not list or not 1 <= len(listed) <= MAX_ANCHORS:
        raise _NotFast
    anchors = tuple(_anchor_fast(an) for an in listed)
    n = len(path)
    blob = bytes.fromhex(hexes.replace("0x", ""))
    proof = tuple([blob[i : i + 32] for i in range(0, 32 * n, 32)])
    leaf, root, checksum = (
        blob[32 * n : 32 * n + 32],
        blob[32 * n + 32 : 32 * n + 64],
        blob[32 * n + 64 :],
    )
    head = (batch_id, seq, record, tuple(accounts), tuple(leaf_encoding), tuple(value))
    bundle = _bundle(head, top["format"], (leaf, proof, root, checksum), anchors)
    canon = bundle.to_json()
    if raw != canon and raw != canon[:-1]:
        raise _NotFast
    return bundle


def _anchor_fast(an: Any) -> AnchorInfo:
    if type(an) is not dict or len(an) != len(_ANCHOR_KEYS):
        raise _NotFast
    contract = an["contract"]
    if contract is not None and (type(contract) is not str or not _ADDR.match(contract)):
        raise _NotFast
    return AnchorInfo(
        chain_id=_u64n(an["chainId"]),
        contract=contract,
        tx_hash=_h32f(an["txHash"]),
        block_number=_u64n(an["blockNumber"]),
        block_hash=_h32f(an["blockHash"]),
        status=an["status"],
    )


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
    if fmt not in FORMATS:
        known = " and ".join(repr(f) for f in FORMATS)
        if isinstance(fmt, str) and fmt.startswith("ledger-anchor-proof/"):
            raise _fail(f"unsupported format version {fmt!r} (this verifier reads {known})")
        raise _fail(f"unknown format {fmt!r} (expected {known})")
    v2 = fmt == FORMAT_V2
    top = _obj(top, "", _KEYS_V2 if v2 else _KEYS)
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
    if v2:
        listed = top["anchors"]
        if not isinstance(listed, list) or not 1 <= len(listed) <= MAX_ANCHORS:
            raise _fail(f"anchors must be an array of 1 to {MAX_ANCHORS} anchor objects")
        anchors = tuple(_anchor_strict(an, f"anchors[{i}]") for i, an in enumerate(listed))
        try:
            check_anchor_list(anchors)
        except ProofFormatError as exc:
            raise _fail(str(exc)) from None
    else:
        anchors = (_anchor_strict(top["anchor"], "anchor"),)
    checksum = _h32n(top["checksum"], "checksum")
    head = (batch_id, seq, record, tuple(accounts), tuple(leaf_encoding), tuple(value))
    bundle = _bundle(head, fmt, (leaf, proof, root, checksum), anchors)
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


def _anchor_strict(value: Any, where: str) -> AnchorInfo:
    """One anchor object (v1's ``anchor``, or an entry of v2's ``anchors``)."""
    an = _obj(value, where, _ANCHOR_KEYS)
    contract = an["contract"]
    if contract is not None and (not isinstance(contract, str) or not _ADDR.match(contract)):
        raise _fail(
            f"{where}.contract: malformed address (expected 0x and 40 lowercase hex digits)"
        )
    status = an["status"]
    if status not in STATUSES:
        raise _fail(f"{where}.status: must be one of {', '.join(STATUSES)}")
    # the field checks raise their own "proof bundle: ..." errors; only AnchorInfo's own
    # consistency checks need the prefix (wrapping both said "proof bundle: proof bundle:")
    chain_id = _int(an["chainId"], f"{where}.chainId", nullable=True)
    tx_hash = _h32(an["txHash"], f"{where}.txHash", nullable=True)
    block_number = _int(an["blockNumber"], f"{where}.blockNumber", nullable=True)
    block_hash = _h32(an["blockHash"], f"{where}.blockHash", nullable=True)
    try:
        return AnchorInfo(
            chain_id=chain_id,
            contract=contract,
            tx_hash=tx_hash,
            block_number=block_number,
            block_hash=block_hash,
            status=status,
        )
    except ProofFormatError as exc:
        message = str(exc)
        if where != "anchor":
            message = message.replace("anchor:", f"{where}:", 1)
        raise _fail(message) from None

"""The liability proof bundle (``"format": "ledger-anchor-liability/1"``): write, parse, check
the math. Pure: no chain, no database. docs/liability-proof-format.md is its specification.

A bundle carries one account's leaf in one liabilities round (its account id and account salt,
so the owner recomputes the commitment; the round's leaf salt; the record ids and balances),
the sibling path with each sibling's hash and sums, and the round (id, cut-off batch, leaf
count, assets, root and totals: informational, the verifier reads them from the contract).
Unknown keys, unknown versions, trailing data and out-of-range numbers are errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from anchor.core.records import account_commitment
from anchor.core.strict_json import no_dupes_hook
from anchor.core.sumtree import (
    MAX_AMOUNT,
    MAX_ASSETS,
    MAX_DEPTH,
    MAX_SUM,
    PathStep,
    SumTreeError,
    process_path,
    records_hash,
)
from anchor.errors import InputError, VerificationError

__all__ = [
    "LIABILITY_FORMAT",
    "LiabilityBundle",
    "LiabilityCheck",
    "check_liability_math",
    "parse_liability_bundle",
]

LIABILITY_FORMAT: Final = "ledger-anchor-liability/1"
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}\Z")
_ADDR = re.compile(r"0x[0-9a-fA-F]{40}\Z")
_DEC = re.compile(r"(0|[1-9][0-9]{0,77})\Z")
_ID = re.compile(r"[\x21-\x7e]{1,128}\Z")
MAX_BUNDLE_BYTES: Final = 256 * 1024


@dataclass(frozen=True)
class LiabilityBundle:
    """A parsed bundle. ``round_root`` and ``round_totals`` are what the operator claims;
    verification recomputes them and (online) reads the contract's."""

    round_id: int
    cutoff_batch_id: int
    leaf_count: int
    assets: tuple[str, ...]
    round_root: bytes
    round_totals: tuple[int, ...]
    account_id: str
    account_salt: bytes = field(repr=False)
    commitment: bytes
    index: int
    leaf_salt: bytes = field(repr=False)
    record_ids: tuple[str, ...]
    balances: tuple[int, ...]
    path: tuple[PathStep, ...] = field(repr=False)
    anchor: Mapping[str, Any] | None = None
    reserves: Mapping[str, Any] | None = None

    @property
    def records_hash(self) -> bytes:
        return records_hash(self.record_ids)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": LIABILITY_FORMAT,
            "round": {
                "round_id": self.round_id,
                "cutoff_batch_id": self.cutoff_batch_id,
                "leaf_count": self.leaf_count,
                "assets": list(self.assets),
                "root": _h(self.round_root),
                "totals": [str(t) for t in self.round_totals],
            },
            "account": {
                "account_id": self.account_id,
                "account_salt": _h(self.account_salt),
                "commitment": _h(self.commitment),
            },
            "leaf": {
                "index": self.index,
                "salt": _h(self.leaf_salt),
                "record_ids": list(self.record_ids),
                "balances": [str(b) for b in self.balances],
            },
            "path": [{"hash": _h(s.hash), "sums": [str(v) for v in s.sums]} for s in self.path],
            "anchor": None if self.anchor is None else dict(self.anchor),
            "reserves": None if self.reserves is None else dict(self.reserves),
        }

    def dumps(self) -> bytes:
        """The canonical bytes: 2-space JSON and a final newline."""
        return (json.dumps(self.to_json(), indent=2) + "\n").encode("utf-8")


def _h(b: bytes) -> str:
    return "0x" + b.hex()


class _Reader:
    def __init__(self, where: str, obj: Any, keys: Sequence[str], optional: Sequence[str] = ()):
        if not isinstance(obj, dict):
            raise InputError(f"{where}: an object expected")
        unknown = set(obj) - set(keys) - set(optional)
        missing = set(keys) - set(obj)
        if unknown or missing:
            raise InputError(
                f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}"
            )
        self.where = where
        self.obj = obj

    def integer(self, key: str, lo: int, hi: int) -> int:
        v = self.obj[key]
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise InputError(f"{self.where}.{key}: an integer in {lo}..{hi} expected")
        return v

    def hex32(self, key: str) -> bytes:
        v = self.obj[key]
        if not isinstance(v, str) or not _HEX32.match(v):
            raise InputError(f"{self.where}.{key}: 0x and 64 hex digits expected")
        return bytes.fromhex(v[2:])

    def amounts(self, key: str, bound: int, count: int) -> tuple[int, ...]:
        v = self.obj[key]
        if not isinstance(v, list) or len(v) != count:
            raise InputError(f"{self.where}.{key}: a list of {count} decimal strings expected")
        out = []
        for x in v:
            # decimal strings only: no sign, no float, no leading zeros
            if not isinstance(x, str) or not _DEC.match(x):
                raise InputError(f"{self.where}.{key}: {x!r} is not a non-negative decimal string")
            n = int(x)
            if n > bound:
                raise InputError(f"{self.where}.{key}: {x} is above the bound {bound}")
            out.append(n)
        return tuple(out)


_no_dupes: Final = no_dupes_hook(InputError)


def parse_liability_bundle(data: bytes | str) -> LiabilityBundle:
    """Parse and validate a bundle; :class:`InputError` for anything malformed, including an
    unknown format version, trailing data and amounts outside their bounds."""
    if isinstance(data, bytes):
        if len(data) > MAX_BUNDLE_BYTES:
            raise InputError("liability bundle too large")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("liability bundle is not UTF-8") from None
    try:
        obj = json.loads(data, object_pairs_hook=_no_dupes, parse_float=_no_float)
    except json.JSONDecodeError as exc:
        raise InputError(f"liability bundle is not one JSON document: {exc.msg}") from None
    if not isinstance(obj, dict) or obj.get("format") != LIABILITY_FORMAT:
        got = obj.get("format") if isinstance(obj, dict) else None
        raise InputError(f"unknown liability bundle format {got!r} (expected {LIABILITY_FORMAT})")
    top = _Reader(
        "bundle", obj, ("format", "round", "account", "leaf", "path", "anchor", "reserves")
    )
    rd = _Reader(
        "round",
        top.obj["round"],
        ("round_id", "cutoff_batch_id", "leaf_count", "assets", "root", "totals"),
    )
    assets = rd.obj["assets"]
    if (
        not isinstance(assets, list)
        or not 1 <= len(assets) <= MAX_ASSETS
        or not all(isinstance(a, str) and _ID.match(a) and len(a) <= 32 for a in assets)
        or assets != sorted(set(assets))
    ):
        raise InputError("round.assets: 1 to 16 sorted, distinct asset ids expected")
    na = len(assets)
    leaf_count = rd.integer("leaf_count", 1, 1 << MAX_DEPTH)
    if leaf_count & (leaf_count - 1):
        raise InputError("round.leaf_count: a power of two expected")
    ac = _Reader("account", top.obj["account"], ("account_id", "account_salt", "commitment"))
    account_id = ac.obj["account_id"]
    if not isinstance(account_id, str) or not _ID.match(account_id):
        raise InputError("account.account_id: printable ASCII, 1 to 128 characters")
    lf = _Reader("leaf", top.obj["leaf"], ("index", "salt", "record_ids", "balances"))
    record_ids = lf.obj["record_ids"]
    if (
        not isinstance(record_ids, list)
        or len(record_ids) != na
        or not all(isinstance(r, str) and (r == "" or _ID.match(r)) for r in record_ids)
    ):
        raise InputError(f'leaf.record_ids: {na} record ids ("" for none) expected')
    path_obj = top.obj["path"]
    if not isinstance(path_obj, list) or len(path_obj) != leaf_count.bit_length() - 1:
        raise InputError("path: one step per level of the round's tree expected")
    path = []
    for i, step in enumerate(path_obj):
        sr = _Reader(f"path[{i}]", step, ("hash", "sums"))
        path.append(PathStep(sr.hex32("hash"), sr.amounts("sums", MAX_SUM, na)))
    anchor = top.obj["anchor"]
    if anchor is not None:
        an = _Reader("anchor", anchor, ("chain_id", "contract", "tx_hash", "block_number"))
        an.integer("chain_id", 1, (1 << 64) - 1)
        an.integer("block_number", 0, (1 << 64) - 1)
        an.hex32("tx_hash")
        if not isinstance(anchor["contract"], str) or not _ADDR.match(anchor["contract"]):
            raise InputError("anchor.contract: an address expected")
    reserves = top.obj["reserves"]
    if reserves is not None and not isinstance(reserves, dict):
        raise InputError("reserves: an object or null expected")
    return LiabilityBundle(
        round_id=rd.integer("round_id", 1, (1 << 64) - 1),
        cutoff_batch_id=rd.integer("cutoff_batch_id", 1, (1 << 64) - 1),
        leaf_count=leaf_count,
        assets=tuple(assets),
        round_root=rd.hex32("root"),
        round_totals=rd.amounts("totals", MAX_SUM, na),
        account_id=account_id,
        account_salt=ac.hex32("account_salt"),
        commitment=ac.hex32("commitment"),
        index=lf.integer("index", 0, leaf_count - 1),
        leaf_salt=lf.hex32("salt"),
        record_ids=tuple(record_ids),
        balances=lf.amounts("balances", MAX_AMOUNT, na),
        path=tuple(path),
        anchor=anchor,
        reserves=reserves,
    )


def _no_float(text: str) -> Any:
    raise InputError(f"floats are not allowed in a liability bundle ({text})")


@dataclass(frozen=True)
class LiabilityCheck:
    """The math of a bundle: the root and totals its path implies."""

    root: bytes
    totals: tuple[int, ...]


def check_liability_math(bundle: LiabilityBundle) -> LiabilityCheck:
    """Recompute the account commitment, the leaf and the path up to (root, totals).

    Raises :class:`VerificationError` (step ``commitment``: the leaf is not this account's;
    ``path``: a sum out of range; ``root`` / ``totals``: they differ from the bundle's round).
    The caller compares the result with the contract's round (online)."""
    if account_commitment(bundle.account_id, bundle.account_salt) != bundle.commitment:
        raise VerificationError(
            "commitment", "the leaf's account commitment is not this account's (id and salt)"
        )
    try:
        root, totals = process_path(
            bundle.round_id,
            bundle.commitment,
            bundle.leaf_salt,
            bundle.records_hash,
            bundle.balances,
            bundle.index,
            bundle.path,
        )
    except SumTreeError as exc:
        raise VerificationError("path", str(exc)) from None
    if root != bundle.round_root:
        raise VerificationError("root", "the path does not lead to the round's root")
    if totals != bundle.round_totals:
        raise VerificationError("totals", "the path's sums differ from the round's totals")
    return LiabilityCheck(root, totals)

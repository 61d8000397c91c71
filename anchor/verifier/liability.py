"""Verify a liability proof bundle (``ledger-anchor-liability/1``): offline (the math) and
online against the LiabilitiesRegistry YOU pin, over raw JSON-RPC (no web3).

``account`` (when the user names their account id) the bundle is theirs. Offline: the account commitment is recomputed from the account id and salt, the leaf from the
round id, salt, record ids and balances, and the path up to the root and totals, every
addition checked (no negative amount is expressible; a sum above 2^160 - 1 fails).

Online, in this order (each failure a :class:`VerificationError` naming its step):
``code`` the runtime code at the pinned address is the published LiabilitiesRegistry's;
``round`` the contract holds the bundle's round; ``latest`` it is the contract's latest
round (``expected_round`` picks another; a replayed proof of an earlier round fails here);
``chain_root`` / ``chain_totals`` / ``chain_assets`` / ``chain_leaf_count`` the contract's
values equal what the path implies; ``contract_verify`` the contract's own
``verifyLiability`` (eth_call) agrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from anchor.core.hashing import keccak256
from anchor.core.liability_proof import LiabilityBundle, check_liability_math
from anchor.errors import ChainError, VerificationError
from anchor.verifier.registry import PublishedCode, code_info_from_artifact
from anchor.verifier.rpc import RpcClient
from anchor.verifier.trust import normalize_address

__all__ = ["LiabilityResult", "verify_liability_offline", "verify_liability_online"]

ROUND_OF = "roundOf(uint64)"
LAST_ROUND_ID = "lastRoundId()"
VERIFY_LIABILITY = (
    "verifyLiability(uint64,(bytes32,bytes32,bytes32,uint256[]),uint256,bytes32[],uint256[][])"
)


@dataclass(frozen=True)
class LiabilityResult:
    """What was checked; ``online`` False means the contract was not asked."""

    round_id: int
    account_id: str
    assets: tuple[str, ...]
    balances: tuple[int, ...]
    totals: tuple[int, ...]
    root: bytes
    online: bool
    contract: str | None = None
    latest_round: int | None = None


@lru_cache(maxsize=1)
def published_liabilities_code() -> PublishedCode:
    raw = resources.files("anchor").joinpath("chain", "LiabilitiesRegistry.json").read_bytes()
    return code_info_from_artifact(raw, "anchor/chain/LiabilitiesRegistry.json")


def _check_account(bundle: LiabilityBundle, expected_account: str | None) -> None:
    if expected_account is not None and bundle.account_id != expected_account:
        raise VerificationError(
            "account", f"the proof is of account {bundle.account_id!r}, not yours"
        )


def verify_liability_offline(
    bundle: LiabilityBundle, *, expected_account: str | None = None
) -> LiabilityResult:
    _check_account(bundle, expected_account)
    check = check_liability_math(bundle)
    return LiabilityResult(
        bundle.round_id,
        bundle.account_id,
        bundle.assets,
        bundle.balances,
        check.totals,
        check.root,
        online=False,
    )


# --------------------------------------------------------------------------- ABI (minimal)


def _sel(sig: str) -> bytes:
    return keccak256(sig.encode())[:4]


def _w(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _uint_array(values: Sequence[int]) -> bytes:
    return _w(len(values)) + b"".join(_w(v) for v in values)


def _dyn_array(items: Sequence[bytes]) -> bytes:
    """An array of dynamic items (each already encoded): length, offsets, then the items."""
    head = b""
    tail = b""
    for item in items:
        head += _w(32 * len(items) + len(tail))
        tail += item
    return _w(len(items)) + head + tail


def encode_verify_liability(bundle: LiabilityBundle) -> bytes:
    """Call data of ``verifyLiability`` for the bundle's leaf and path."""
    leaf = (bundle.commitment + bundle.leaf_salt + bundle.records_hash + _w(4 * 32)) + _uint_array(
        bundle.balances
    )
    hashes = _w(len(bundle.path)) + b"".join(s.hash for s in bundle.path)
    sums = _dyn_array([_uint_array(s.sums) for s in bundle.path])
    head_size = 5 * 32
    parts = [leaf, hashes, sums]
    offsets = []
    at = head_size
    for p in parts:
        offsets.append(at)
        at += len(p)
    head = _w(bundle.round_id) + _w(offsets[0]) + _w(bundle.index) + _w(offsets[1]) + _w(offsets[2])
    return _sel(VERIFY_LIABILITY) + head + b"".join(parts)


def _word(data: bytes, i: int) -> int:
    if len(data) < 32 * (i + 1):
        raise ChainError("the contract answered too little data")
    return int.from_bytes(data[32 * i : 32 * i + 32], "big")


def _array_at(data: bytes, offset: int) -> list[bytes]:
    if offset % 32 or offset + 32 > len(data):
        raise ChainError("the contract answered a malformed array")
    n = int.from_bytes(data[offset : offset + 32], "big")
    if n > 64 or offset + 32 * (n + 1) > len(data):
        raise ChainError("the contract answered a malformed array")
    return [data[offset + 32 * (k + 1) : offset + 32 * (k + 2)] for k in range(n)]


def _decode_round(data: bytes) -> tuple[bytes, int, int, tuple[str, ...], tuple[int, ...]]:
    root = data[:32] if len(data) >= 32 else b""
    cutoff, count = _word(data, 1), _word(data, 2)
    assets = tuple(
        a.rstrip(b"\0").decode("utf-8", "replace") for a in _array_at(data, _word(data, 3))
    )
    totals = tuple(int.from_bytes(t, "big") for t in _array_at(data, _word(data, 4)))
    return root, cutoff, count, assets, totals


def verify_liability_online(
    bundle: LiabilityBundle,
    rpc: RpcClient,
    *,
    contract: str,
    expected_round: int | None = None,
    expected_account: str | None = None,
) -> LiabilityResult:
    """The math, then the pinned contract's round (see the module docstring)."""
    offline = verify_liability_offline(bundle, expected_account=expected_account)
    address = normalize_address(contract)
    code = rpc.get_code(address)
    if not published_liabilities_code().matches(code):
        raise VerificationError(
            "code", f"the code at {address} is not the published LiabilitiesRegistry"
        )
    latest = _word(rpc.eth_call(address, _sel(LAST_ROUND_ID)), 0)
    root, cutoff, count, assets, totals = _decode_round(
        rpc.eth_call(address, _sel(ROUND_OF) + _w(bundle.round_id))
    )
    if root == bytes(32):
        raise VerificationError("round", f"round {bundle.round_id} is not anchored there")
    wanted = latest if expected_round is None else expected_round
    if bundle.round_id != wanted:
        raise VerificationError(
            "latest",
            f"the proof is of round {bundle.round_id}, but round {wanted} is the one to check "
            f"(latest on chain: {latest}): an earlier round's proof says nothing of today's",
        )
    if root != offline.root:
        raise VerificationError("chain_root", "the contract's root differs from the path's")
    if assets != bundle.assets:
        raise VerificationError("chain_assets", "the contract's assets differ from the bundle's")
    if totals != offline.totals:
        raise VerificationError(
            "chain_totals", "the totals on chain differ from the sums the path gives"
        )
    if count != bundle.leaf_count or cutoff != bundle.cutoff_batch_id:
        raise VerificationError("chain_leaf_count", "leaf count or cut-off differ from the chain's")
    answer = rpc.eth_call(address, encode_verify_liability(bundle))
    if _word(answer, 0) != 1:
        raise VerificationError("contract_verify", "the contract's verifyLiability said false")
    return replace(offline, online=True, contract=address, latest_round=latest)

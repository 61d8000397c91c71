"""The standalone verifier: offline (math only) and online (against the chain, any RPC).

Online, the registry is the one YOU pinned, never the bundle's: ``contract=`` (the CLI's
``--contract``) or the registries pinned for the chain in a trust file
(:mod:`anchor.verifier.trust`). Without a pin the verifier refuses to judge
(:class:`anchor.errors.RegistryNotPinned`, exit 3). The runtime code at the pinned address
must be the published AnchorRegistry's (code hash against the committed artifact,
:mod:`anchor.verifier.registry`). Then the root is read FROM THE CONTRACT at the bundle's
batch id (the root written in the bundle is never trusted), the anchoring transaction's
receipt must carry the contract's ``Anchored(batchId, root, ...)`` event, its block must
still be the canonical block at that height, and that block must be final (the chain's
``finalized`` tag, or a depth below the head where the chain has no such tag).

Every failed check raises :class:`anchor.errors.VerificationError` naming the step:
math steps (see :mod:`anchor.core.verify`), then ``anchor``, ``contract``, ``code``,
``chain_root``, ``contract_verify``, ``receipt``, ``event``, ``canonical``, ``finality``.
An RPC serving another chain than the bundle's is unusable input (InputError, exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from anchor.core.hashing import keccak256
from anchor.core.proof import AnchorInfo, ProofBundle
from anchor.core.proof_json import parse_bundle_value
from anchor.core.verify import verify_bundle
from anchor.errors import ChainError, InputError, RegistryNotPinned, VerificationError
from anchor.verifier.registry import published_code
from anchor.verifier.trust import TrustStore, normalize_address

__all__ = [
    "ANCHORED_EVENT",
    "DEFAULT_FALLBACK_DEPTH",
    "AnchorCheck",
    "VerifyResult",
    "verify_bundle_offline",
    "verify_bundle_online",
]

ANCHORED_EVENT: Final = "Anchored(uint64,bytes32,uint64)"
ROOT_OF: Final = "rootOf(uint64)"
VERIFY_FN: Final = "verify(uint64,bytes32[],bytes32)"
DEFAULT_FALLBACK_DEPTH: Final = 64


def selector(signature: str) -> bytes:
    """The 4-byte function selector of a canonical signature."""
    return keccak256(signature.encode())[:4]


def event_topic(signature: str) -> bytes:
    return keccak256(signature.encode())


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _h(b: bytes) -> str:
    return "0x" + b.hex()


@dataclass(frozen=True)
class VerifyResult:
    """What was checked. ``online`` False means math only: the root was NOT compared with
    the chain."""

    record_id: str
    kind: str
    batch_id: int
    root: bytes
    online: bool
    chain_id: int | None = None
    contract: str | None = None
    pinned_by: str | None = None  # "--contract", or the trust file entry that pins it
    code_hash: bytes | None = None
    block_number: int | None = None
    block_hash: bytes | None = None
    finalized_block: int | None = None
    finality_rule: str | None = None
    anchors: tuple[AnchorCheck, ...] = ()  # every anchor that holds (online)
    named: int = 1  # how many anchors the bundle names
    required: int | None = None  # --require K; None: every anchor named must hold

    @property
    def status(self) -> str:
        return "final" if self.online else "math-only"

    def summary(self) -> str:
        head = f"record {self.record_id} ({self.kind}) is in batch {self.batch_id}, root {_h(self.root)}"
        if not self.online:
            return (
                f"math ok (offline): {head}; the root was NOT checked against the chain, so "
                "this does not show the record is anchored"
            )
        if self.named == 1 and len(self.anchors) <= 1:
            return (
                f"valid: {head}, anchored in registry {self.contract} pinned by {self.pinned_by}, "
                f"code = the published AnchorRegistry, on chain {self.chain_id} "
                f"in block {self.block_number}, final ({self.finality_rule})"
            )
        policy = "every anchor named" if self.required is None else f"--require {self.required}"
        held = "; ".join(
            f"chain {c.chain_id}: registry {c.contract} pinned by {c.pinned_by}, block "
            f"{c.block_number}, final ({c.finality_rule})"
            for c in self.anchors
        )
        return (
            f"valid: {head}; {len(self.anchors)} of the {self.named} anchors hold (policy: "
            f"{policy}), code = the published AnchorRegistry: {held}"
        )


def _as_bundle(bundle: ProofBundle | bytes | str) -> ProofBundle:
    return bundle if isinstance(bundle, ProofBundle) else parse_bundle_value(bundle)


def verify_bundle_offline(bundle: ProofBundle | bytes | str) -> VerifyResult:
    """Math only: recompute the commitments, the leaf and the root from the path."""
    b = _as_bundle(bundle)
    root = verify_bundle(b)
    return VerifyResult(b.record.record_id, b.record.kind, b.batch_id, root, online=False)


def _verify_call(batch_id: int, proof: tuple[bytes, ...], leaf: bytes) -> bytes:
    return (
        selector(VERIFY_FN)
        + _word(batch_id)
        + _word(96)
        + leaf
        + _word(len(proof))
        + b"".join(proof)
    )


@dataclass(frozen=True)
class AnchorCheck:
    """What the chain said about one anchor of a bundle."""

    chain_id: int
    contract: str
    pinned_by: str
    code_hash: bytes
    block_number: int
    block_hash: bytes
    finalized_block: int
    finality_rule: str


def check_anchor(
    b: ProofBundle,
    root: bytes,
    a: AnchorInfo,
    rpc: Any,
    pins: dict[str, str],
    published: Any,
    *,
    finality_depth: int | None,
    fallback_depth: int,
) -> AnchorCheck:
    """Check one anchor ``a`` of ``b`` (whose math gave ``root``) over ``rpc``, an RPC of
    the anchor's chain, against the registries ``pins`` (address → who pinned it) the user
    pinned for that chain: the code, the root read from the contract, its verify(), the
    transaction's receipt and event, the block canonical and final. VerificationError naming
    the failed step."""
    from anchor.verifier.rpc import RpcResponseError, hex_bytes, hex_int

    if (
        a.tx_hash is None
        or a.chain_id is None
        or a.contract is None
        or a.block_number is None
        or a.block_hash is None
    ):
        raise VerificationError(
            "anchor",
            f"the bundle is not anchored yet (status {a.status}): nothing to check on chain",
        )
    chain_id = a.chain_id
    if a.contract not in pins:
        raise VerificationError(
            "contract",
            f"the bundle names registry {a.contract}, which is not the registry you "
            f"pinned for chain {chain_id} ({', '.join(pins)})",
        )
    address = a.contract
    code = rpc.get_code(address)
    if not code:
        raise VerificationError("contract", f"no contract at {address} on chain {chain_id}")
    if not published.matches(code):
        raise VerificationError(
            "code",
            f"code at {address} is not the published {published.contract_name} "
            f"(code hash {_h(published.hash_of(code))}, published "
            f"{_h(published.code_hash)})",
        )

    # 1. the root, read from the contract itself
    ret = rpc.eth_call(address, selector(ROOT_OF) + _word(b.batch_id))
    if len(ret) != 32:
        raise VerificationError("contract", f"{address} did not answer rootOf(uint64) properly")
    if ret == bytes(32):
        raise VerificationError(
            "chain_root", f"batch {b.batch_id} is not anchored in contract {address}"
        )
    if ret != root:
        raise VerificationError(
            "chain_root",
            f"the contract holds root {_h(ret)} for batch {b.batch_id}; the proof leads to {_h(root)}",
        )
    # 2. the contract's own verify() agrees
    ok = rpc.eth_call(address, _verify_call(b.batch_id, b.proof, b.leaf))
    if len(ok) != 32 or int.from_bytes(ok, "big") != 1:
        raise VerificationError("contract_verify", "the contract's verify() rejects the proof")

    # 3. the anchoring transaction and its event
    rcpt = rpc.receipt(a.tx_hash)
    if rcpt is None:
        raise VerificationError(
            "receipt",
            f"transaction {_h(a.tx_hash)} not found on chain {chain_id} (dropped or reorged out?)",
        )
    if hex_int(rcpt.get("status"), "receipt status") != 1:
        raise VerificationError("receipt", f"transaction {_h(a.tx_hash)} reverted")
    r_block = hex_int(rcpt.get("blockNumber"), "receipt blockNumber")
    r_hash = hex_bytes(rcpt.get("blockHash"), "receipt blockHash", 32)
    if r_block != a.block_number or r_hash != a.block_hash:
        raise VerificationError(
            "receipt",
            f"the transaction is in block {r_block} ({_h(r_hash)}); the bundle says block "
            f"{a.block_number} ({_h(a.block_hash)})",
        )
    want = [event_topic(ANCHORED_EVENT), _word(b.batch_id), root]
    logs = rcpt.get("logs")
    if not isinstance(logs, list):
        raise ChainError("RPC returned a receipt without logs")
    found = False
    for log in logs:
        if not isinstance(log, dict) or str(log.get("address", "")).lower() != address:
            continue
        topics = log.get("topics")
        if (
            isinstance(topics, list)
            and len(topics) == 3
            and [hex_bytes(t, "log topic", 32) for t in topics] == want
        ):
            found = True
            break
    if not found:
        raise VerificationError(
            "event",
            f"the transaction has no Anchored(batchId={b.batch_id}, root) event from {address}",
        )

    # 4. that block is still canonical
    blk = rpc.block(r_block)
    if blk is None:
        raise VerificationError("canonical", f"block {r_block} does not exist on this chain")
    now = hex_bytes(blk.get("hash"), "block hash", 32)
    if now != r_hash:
        raise VerificationError(
            "canonical",
            f"block {r_block} is now {_h(now)}, not the receipt's {_h(r_hash)} (reorg)",
        )

    # 5. and final
    if finality_depth is not None:
        fin = rpc.block_number() - finality_depth
        rule = f"{finality_depth} blocks deep"
    else:
        try:
            fb = rpc.block("finalized")
        except RpcResponseError:
            fb = None
            fin = rpc.block_number() - fallback_depth
            rule = f"no finalized tag: {fallback_depth} blocks deep"
        else:
            fin = -1 if fb is None else hex_int(fb.get("number"), "finalized block number")
            rule = f"finalized block {fin}"
    if r_block > fin:
        raise VerificationError(
            "finality", f"block {r_block} is not final yet (final up to block {fin}; {rule})"
        )
    return AnchorCheck(
        chain_id=chain_id,
        contract=address,
        pinned_by=pins[address],
        code_hash=published.code_hash,
        block_number=r_block,
        block_hash=r_hash,
        finalized_block=fin,
        finality_rule=rule,
    )


def verify_bundle_online(
    bundle: ProofBundle | bytes | str,
    rpc_url: str | Sequence[str],
    *,
    contract: str | None = None,
    trust: TrustStore | None = None,
    require: int | None = None,
    finality_depth: int | None = None,
    fallback_depth: int = DEFAULT_FALLBACK_DEPTH,
    timeout: float = 10.0,
    transport: Any = None,
    artifact: str | None = None,
) -> VerifyResult:
    """Verify against the chains behind ``rpc_url`` (one URL, or one per chain: each is
    asked which chain it serves).

    The registry trusted on a chain is ``contract`` if given (one RPC only), else those
    pinned for that chain in ``trust``; with neither, :class:`RegistryNotPinned` (the
    bundle's own address is never trusted). ``artifact`` replaces the packaged artifact the
    code hash is taken from. ``finality_depth`` forces a depth rule instead of the
    ``finalized`` tag; ``fallback_depth`` applies when a chain has no such tag.

    The policy (:mod:`anchor.verifier.policy`): by default every anchor the bundle names
    must hold (the first that does not raises its error); ``require=K`` accepts the bundle
    when at least K of its anchors on pinned registries are valid and final.
    """
    from anchor.verifier.policy import apply_policy

    b = _as_bundle(bundle)
    root = verify_bundle(b)
    urls = [rpc_url] if isinstance(rpc_url, str) else list(rpc_url)
    pinned_arg = None if contract is None else normalize_address(contract, "--contract")
    if pinned_arg is not None and len(urls) != 1:
        raise InputError("--contract pins one chain's registry: give one --rpc with it")
    published = published_code(artifact)

    def check(a: AnchorInfo, rpc: Any, chain_id: int) -> AnchorCheck:
        if pinned_arg is not None:
            pins = {pinned_arg: "--contract"}
        else:
            if trust is None or not trust.for_chain(chain_id):
                raise RegistryNotPinned(chain_id)
            pins = {e.contract: f"trust entry {e.name!r}" for e in trust.for_chain(chain_id)}
        return check_anchor(
            b,
            root,
            a,
            rpc,
            pins,
            published,
            finality_depth=finality_depth,
            fallback_depth=fallback_depth,
        )

    checks = apply_policy(b, urls, check, require=require, timeout=timeout, transport=transport)
    first = checks[0]
    return VerifyResult(
        b.record.record_id,
        b.record.kind,
        b.batch_id,
        root,
        online=True,
        chain_id=first.chain_id,
        contract=first.contract,
        pinned_by=first.pinned_by,
        code_hash=first.code_hash,
        block_number=first.block_number,
        block_hash=first.block_hash,
        finalized_block=first.finalized_block,
        finality_rule=first.finality_rule,
        anchors=tuple(checks),
        named=len(b.all_anchors),
        required=require,
    )

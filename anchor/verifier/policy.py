"""How many anchors must hold (issue 18): a v2 bundle names an anchor on each of several
chains; the verifier checks each against the registry the user pinned on that chain, over
an RPC of that chain, and applies a policy.

* default — every anchor the bundle names must hold (valid and final): the first that does
  not fails the bundle with its own error, exactly as a v1 bundle's one anchor does.
* ``require=K`` (``anchor verify --require K``) — at least K anchors on registries the user
  pinned must be valid and final; the others (pending, unpinned, on a chain whose RPC is
  missing or down, or invalid) are reported and do not fail the bundle while K hold.

RPCs are matched to anchors by the chain id each one serves (``eth_chainId``), never by the
bundle's word. Standard library and the verifier's own modules only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from anchor.errors import AnchorError, InputError, RegistryNotPinned, VerificationError

if TYPE_CHECKING:
    from anchor.core.proof import AnchorInfo, ProofBundle
    from anchor.verifier.verify import AnchorCheck

__all__ = ["apply_policy"]

Check = Callable[["AnchorInfo", Any, int], "AnchorCheck"]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, VerificationError):
        return f"{exc.step}: {exc.detail}"
    if isinstance(exc, RegistryNotPinned):
        return "registry not pinned"
    if isinstance(exc, AnchorError):
        return exc.diagnostics()
    return f"{type(exc).__name__}: {exc}"


def _open(
    stack: ExitStack, urls: Sequence[str], *, timeout: float, transport: Any, strict: bool
) -> tuple[dict[int, Any], list[str]]:
    """One client per URL, keyed by the chain it serves; the URLs that failed (``strict``:
    raise instead)."""
    from anchor.verifier.rpc import RpcClient

    clients: dict[int, Any] = {}
    down: list[str] = []
    for url in urls:
        try:
            rpc = stack.enter_context(RpcClient(url, timeout=timeout, transport=transport))
            chain_id = rpc.chain_id()
        except AnchorError as exc:
            if strict:
                raise
            down.append(f"{url}: {_describe(exc)}")
            continue
        if chain_id in clients:
            raise InputError(f"two RPC URLs serve chain {chain_id}: give one per chain")
        clients[chain_id] = rpc
    return clients, down


def apply_policy(
    b: ProofBundle,
    urls: Sequence[str],
    check: Check,
    *,
    require: int | None,
    timeout: float,
    transport: Any,
) -> list[AnchorCheck]:
    """The anchors of ``b`` that hold (``check`` judges one over its chain's RPC), under the
    policy (see the module docstring); an error when the policy is not met."""
    anchors = b.all_anchors
    if require is not None and not 1 <= require <= len(anchors):
        raise InputError(
            f"--require {require}: the bundle names {len(anchors)} anchor(s); ask for 1 to "
            f"{len(anchors)}"
        )
    if not urls:
        raise InputError("give an RPC URL (--rpc) of each chain to check")
    held: list[AnchorCheck] = []
    failed: list[tuple[AnchorInfo, BaseException]] = []
    with ExitStack() as stack:
        clients: dict[int, Any] | None = None
        down: list[str] = []
        for a in anchors:
            try:
                if a.tx_hash is None or a.block_number is None or a.block_hash is None:
                    raise VerificationError(
                        "anchor",
                        f"the bundle is not anchored yet (status {a.status}): nothing to "
                        "check on chain",
                    )
                if clients is None:
                    clients, down = _open(
                        stack, urls, timeout=timeout, transport=transport, strict=require is None
                    )
                assert a.chain_id is not None
                rpc = clients.get(a.chain_id)
                if rpc is None:
                    one = len(urls) == 1 and len(anchors) == 1
                    raise _no_rpc(a.chain_id, clients, down, single=one)
                held.append(check(a, rpc, a.chain_id))
            except AnchorError as exc:
                if require is None:
                    raise
                failed.append((a, exc))
    if require is None or len(held) >= require:
        return held
    if not held and failed and all(isinstance(e, RegistryNotPinned) for _, e in failed):
        raise failed[0][1]
    detail = "; ".join(f"chain {a.chain_id}: {_describe(e)}" for a, e in failed)
    raise VerificationError(
        "policy",
        f"{len(held)} of the {len(anchors)} anchors hold, {require} required ({detail})",
    )


def _no_rpc(chain_id: int, clients: dict[int, Any], down: list[str], *, single: bool) -> InputError:
    if single and clients:
        served = next(iter(clients))
        return InputError(
            f"wrong chain: the RPC serves chain {served}, the bundle was anchored on "
            f"chain {chain_id}; give an RPC URL of chain {chain_id}"
        )
    why = f" ({'; '.join(down)})" if down else ""
    return InputError(
        f"no RPC given for chain {chain_id}, where the bundle names an anchor: add --rpc with "
        f"an RPC URL of chain {chain_id}{why}"
    )

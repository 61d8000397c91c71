"""What the backup tools read from the chain: roots, the last batch id, anchor events.

A thin seam over :class:`anchor.chain.client.RegistryClient` so tests hand in a real
registry on anvil and the commands build one from the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from anchor.core.anchored import AnchoredBatch, anchored_fields
from anchor.errors import ChainError, ConfigError

if TYPE_CHECKING:
    from anchor.config import Config

__all__ = ["AnchorFacts", "ChainView", "RegistryView", "chain_view_from_config"]

ZERO32 = b"\x00" * 32


@dataclass(frozen=True)
class AnchorFacts(AnchoredBatch):
    """Where the chain says a batch was anchored (from its ``Anchored`` event), and whether
    that block is final."""

    final: bool


class ChainView(Protocol):
    chain_id: int
    contract: str

    def root_of(self, batch_id: int) -> bytes: ...

    def last_batch_id(self) -> int: ...

    def anchor_facts(self, batch_id: int) -> AnchorFacts | None: ...


class RegistryView:
    """A :class:`ChainView` over a deployed registry."""

    def __init__(
        self, client: Any, *, finality_depth: int | None = None, start_block: int = 0
    ) -> None:
        self._client = client
        self._start_block = start_block
        self._depth = finality_depth
        self.contract = str(client.address)
        self.chain_id = int(client.w3.eth.chain_id)
        self._finalized: int | None = None

    def root_of(self, batch_id: int) -> bytes:
        return bytes(self._client.root_of(batch_id))

    def last_batch_id(self) -> int:
        return int(self._client.last_batch_id())

    def _finalized_block(self) -> int:
        if self._finalized is None:
            w3 = self._client.w3
            if self._depth is not None:
                self._finalized = max(-1, int(w3.eth.block_number) - self._depth)
            else:
                try:
                    self._finalized = int(w3.eth.get_block("finalized")["number"])
                except Exception:
                    self._finalized = -1
        return self._finalized

    def anchor_facts(self, batch_id: int) -> AnchorFacts | None:
        events = self._client.anchored_events(batch_id=batch_id, from_block=self._start_block)
        if not events:
            return None
        ev = events[-1]
        final = ev.block_number <= self._finalized_block()
        return AnchorFacts(**anchored_fields(ev), final=final)


def chain_view_from_config(config: Config, *, rpc_url: str | None = None) -> RegistryView:
    """A view of the configured registry (``rpc_url`` overrides the config's)."""
    from anchor.chain.client import RegistryClient, make_web3

    url = rpc_url or config.rpc_url
    if not url or not config.contract_address:
        raise ConfigError("rpc_url and contract_address must be configured to read the chain")
    w3 = make_web3(url)
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as exc:
        raise ChainError(f"RPC unreachable ({type(exc).__name__})") from None
    if config.chain_id is not None and chain_id != config.chain_id:
        raise ConfigError(f"RPC chain id {chain_id} differs from the configured {config.chain_id}")
    return RegistryView(
        RegistryClient(w3, config.contract_address),
        finality_depth=config.finality_depth,
        start_block=config.contract_start_block,
    )

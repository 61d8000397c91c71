"""Chain profiles: what the service needs to know about a network, by name.

``chain = "base"`` in the configuration (or ``anchor deploy --chain sepolia``) fills in the
chain id, the block explorer, the finality rule and the proof-of-authority middleware; a
value set explicitly in the configuration wins, except a ``chain_id`` that contradicts the
profile, which is refused. The RPC URL is never part of a profile: bring your own node or
provider (``rpc_url``).

Finality: ``None`` means the chain's ``finalized`` block tag (Ethereum and its testnets;
OP Stack and Arbitrum chains answer it with the L2 blocks derived from finalized L1 data;
Polygon PoS with its milestone-finalized blocks); a number is a confirmation depth.
"""

from __future__ import annotations

from dataclasses import dataclass

from anchor.errors import ConfigError

__all__ = ["PROFILES", "ChainProfile", "profile"]


@dataclass(frozen=True)
class ChainProfile:
    name: str
    title: str
    chain_id: int
    explorer_base_url: str | None
    explorer_kind: str  # etherscan | blockscout | otterscan (anchor.config.EXPLORER_TEMPLATES)
    finality_depth: int | None  # None: the `finalized` tag
    poa: bool  # needs web3's ExtraDataToPOAMiddleware (extraData longer than 32 bytes)
    block_time_seconds: float
    testnet: bool = False

    @property
    def finality(self) -> str:
        return "finalized tag" if self.finality_depth is None else f"depth {self.finality_depth}"


PROFILES: dict[str, ChainProfile] = {
    p.name: p
    for p in (
        ChainProfile("mainnet", "Ethereum mainnet", 1, "https://etherscan.io", "etherscan", None, False, 12.0),
        ChainProfile("sepolia", "Sepolia (Ethereum testnet)", 11155111, "https://sepolia.etherscan.io", "etherscan", None, False, 12.0, testnet=True),
        ChainProfile("base", "Base", 8453, "https://basescan.org", "etherscan", None, False, 2.0),
        ChainProfile("optimism", "OP Mainnet", 10, "https://optimistic.etherscan.io", "etherscan", None, False, 2.0),
        ChainProfile("arbitrum", "Arbitrum One", 42161, "https://arbiscan.io", "etherscan", None, False, 0.25),
        ChainProfile("polygon", "Polygon PoS", 137, "https://polygonscan.com", "etherscan", None, True, 2.0),
        ChainProfile("devnet", "local devnet (anvil)", 31337, None, "otterscan", None, False, 1.0, testnet=True),
    )
}  # fmt: skip
ALIASES = {"ethereum": "mainnet", "op": "optimism", "op-mainnet": "optimism",
           "arbitrum-one": "arbitrum", "polygon-pos": "polygon", "anvil": "devnet"}  # fmt: skip


def profile(name: str) -> ChainProfile:
    """The profile called ``name`` (or an alias); :class:`ConfigError` naming the known ones
    otherwise."""
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    found = PROFILES.get(key)
    if found is None:
        raise ConfigError(f"unknown chain profile {name!r}: one of {', '.join(PROFILES)}")
    return found

"""The transaction manager's settings, EIP-1559 fee arithmetic and the classification of
send errors (pure: no I/O). See :mod:`anchor.service.txmanager`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

from anchor.errors import ConfigError

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.config_chains import ChainConfig

MIN_BUMP_PERCENT = Decimal("12.5")  # below this, nodes refuse a replacement
ANCHOR_GAS_BUDGET = 100_000  # gas an anchor may use (service.tx_context.DEFAULT_GAS_LIMIT)


@dataclass(frozen=True)
class TxSettings:
    """The parts of :class:`~anchor.config.Config` the transaction manager uses."""

    chain_id: int
    contract: str
    start_block: int = 0
    finality_depth: int | None = None
    confirmations: int = 1
    stuck_after_seconds: float = 30.0
    stuck_after_blocks: int = 3
    fee_bump_percent: Decimal = Decimal(25)
    rebroadcast_seconds: float = 15.0
    max_fee_wei: int = 500 * 10**9
    name: str = "primary"  # the chain's name in the configuration (logs, crash hook)
    every: int = 1  # cadence: prepare once this many batches wait

    @classmethod
    def from_config(cls, config: Config) -> TxSettings:
        """The settings of the configuration's primary chain."""
        from anchor.config_chains import chains_of

        return cls.from_chain(chains_of(config)[0])

    @classmethod
    def from_chain(cls, chain: ChainConfig) -> TxSettings:
        """The settings of one configured chain."""
        if chain.chain_id is None or not chain.contract_address:
            raise ConfigError(
                f"anchoring on chain {chain.name!r} needs chain_id and contract_address"
            )
        return cls(
            chain_id=int(chain.chain_id),
            contract=str(chain.contract_address),
            start_block=max(0, int(chain.contract_start_block)),
            finality_depth=chain.finality_depth,
            confirmations=max(1, int(chain.confirmations)),
            stuck_after_seconds=float(chain.stuck_after_seconds),
            stuck_after_blocks=int(chain.stuck_after_blocks),
            fee_bump_percent=Decimal(str(chain.fee_bump_percent)),
            rebroadcast_seconds=float(chain.rebroadcast_seconds),
            max_fee_wei=max_fee_wei(chain),
            name=chain.name,
            every=max(1, int(chain.every)),
        )

    @property
    def bump_percent(self) -> Decimal:
        return max(self.fee_bump_percent, MIN_BUMP_PERCENT)


def max_fee_wei(config: Config | ChainConfig) -> int:
    """The highest max fee per gas an attempt may offer: ``max_fee_gwei_cap``, lowered so
    that ``ANCHOR_GAS_BUDGET`` gas costs at most ``max_tx_fee_eth`` when that is set."""
    cap = int(Decimal(str(config.max_fee_gwei_cap)) * 10**9)
    per_tx = getattr(config, "max_tx_fee_eth", None)
    if per_tx is not None:
        if per_tx <= 0:
            raise ConfigError("max_tx_fee_eth must be positive")
        cap = min(cap, int(Decimal(str(per_tx)) * 10**18) // ANCHOR_GAS_BUDGET)
    return cap


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fee fields of one attempt."""

    max_fee: int
    tip: int


def bumped(old: Fees, now: Fees, percent: Decimal) -> Fees:
    """Fees for a replacement: each field raised by at least ``percent`` over ``old`` and no
    lower than what the chain asks for now."""
    factor = (Decimal(100) + percent) / Decimal(100)
    tip = max(_ceil(Decimal(old.tip) * factor), now.tip, old.tip + 1)
    cap = max(_ceil(Decimal(old.max_fee) * factor), now.max_fee, old.max_fee + 1, tip)
    return Fees(max_fee=cap, tip=tip)


def _ceil(value: Decimal) -> int:
    whole = int(value)
    return whole + 1 if Decimal(whole) < value else whole


class SendOutcome(Enum):
    KNOWN = "known"  # already in the pool or mined: success
    NONCE_LOW = "nonce_low"
    FUNDS = "funds"
    UNDERPRICED = "underpriced"
    NETWORK = "network"
    OTHER = "other"


def classify_send_error(exc: BaseException) -> SendOutcome:
    """Map a node's refusal to what the manager does next (geth and anvil word them apart)."""
    text = str(exc).lower()
    if any(s in text for s in ("already known", "already imported", "known transaction")):
        return SendOutcome.KNOWN
    if "nonce too low" in text or "nonce is too low" in text or "oldnonce" in text:
        return SendOutcome.NONCE_LOW
    if "insufficient funds" in text:
        return SendOutcome.FUNDS
    if any(
        s in text
        for s in ("underpriced", "fee too low", "less than block base fee", "fee cap less than")
    ):
        return SendOutcome.UNDERPRICED
    if is_network_error(exc):
        return SendOutcome.NETWORK
    return SendOutcome.OTHER


def is_network_error(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, (requests.exceptions.RequestException, OSError, TimeoutError))

"""What every step of the transaction manager shares (:mod:`anchor.service.txmanager`): the
database, the chain (:class:`~anchor.chain.txchain.TxChain`, :class:`~anchor.chain.registry.
Registry`), the settings and the lease fence; and the two ways a tick stops early."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from anchor.errors import ChainError

if TYPE_CHECKING:
    from anchor.chain.fees import TxSettings
    from anchor.chain.registry import Registry
    from anchor.chain.txchain import TxChain
    from anchor.store.db import Database

__all__ = ["ChainUnavailable", "LeaseLost", "TxContext", "short"]

log = logging.getLogger("anchor.txmanager")

DEFAULT_GAS_LIMIT = 100_000
PREPARE_LIMIT = 64
RECHECK_FINAL = 64  # final batches re-checked, newest first, while their blocks are gone


class ChainUnavailable(ChainError):
    """The RPC endpoint could not be reached; the tick stops and is retried later."""


class LeaseLost(ChainError):
    """The fence said this process no longer holds the anchorer lease: stop the tick."""


@dataclass
class TxContext:
    """One chain's manager: the database, the chain, registry, settings and fence (None: no
    fence)."""

    db: Database
    chain: TxChain
    registry: Registry
    settings: TxSettings
    fence: Callable[[], bool] | None = None

    @property
    def sender(self) -> str:
        """The anchorer's address."""
        return self.chain.sender

    @property
    def chain_id(self) -> int:
        return self.settings.chain_id

    @property
    def name(self) -> str:
        """The chain's name in the configuration."""
        return self.settings.name

    def crash_point(self, step: str) -> None:
        """The fault-injection hook at ``step`` of this chain's manager."""
        from anchor.service.crash import crash_point

        crash_point(step, self.name)

    @property
    def contract(self) -> str:
        """The registry's (checksummed) address."""
        return self.registry.address

    def check_fence(self, what: str) -> None:
        """Raise :class:`LeaseLost` unless the fence confirms the lease (right before
        ``what``)."""
        if self.fence is not None and not self.fence():
            log.warning("not the anchorer any more: stopping before %s", what)
            raise LeaseLost(what)


def short(exc: BaseException) -> str:
    """An exception's text on one line, at most 300 characters."""
    text = str(exc).replace("\n", " ")
    return text if len(text) <= 300 else text[:297] + "..."

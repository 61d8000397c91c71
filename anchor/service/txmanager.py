"""The crash-safe transaction manager: one anchor transaction per batch, write-ahead.

Every step leaves the database in a state a restarted process can continue from:

* **prepare** (:mod:`anchor.service.tx_prepare`) — the batch id is free on chain (else: same
  root → adopt, other root → alarm), simulate ``anchor(batchId, root, leafCount)``, allocate
  the nonce (database cursor reconciled with the chain's pending nonce), EIP-1559 fees, sign
  locally, and commit the raw signed bytes + hash *before* anything is sent.
* **broadcast** (:mod:`anchor.service.tx_broadcast`) — send the stored bytes. "already known"
  is success; a network error means "send the same bytes again later"; "nonce too low" means
  "look for receipts of every attempt and read the contract". Not mined in time → a new
  attempt at the *same* nonce with tip and fee cap raised by at least ``fee_bump_percent``
  (>= 12.5 %), stored before it is sent. Stored bytes are re-sent every
  ``rebroadcast_seconds``.
* **confirm** (:mod:`anchor.service.tx_confirm`) — receipts for every attempt hash; status 1
  → included; status 0 → alarm (never resent automatically); at or below the finalized height
  and still canonical → final.
* **reorgs** (:mod:`anchor.service.tx_reorg`) — an included receipt that disappears or whose
  block is no longer canonical → back to submitted and re-broadcast; a final batch whose
  block stops being canonical → alarm + re-anchor.

Every attempt of a batch shares one nonce, so at most one is mined, and the contract rejects a
second anchor for a batch id: a batch can never be anchored twice.

The steps talk to the chain only through :class:`anchor.chain.txchain.TxChain` and
:class:`anchor.chain.registry.Registry` (values in, values out) and to the database only
through :mod:`anchor.store.tx_repo` and :mod:`anchor.store.alarms`.

**Fencing**: ``fence`` (a callable handed in by the service: "does this process still hold the
anchorer lease?") is asked immediately before every signature and every broadcast; when it
says no, the tick stops there (:class:`~anchor.service.tx_context.LeaseLost`) without signing
or sending anything.

``ANCHOR_CRASH_AT=<step>`` makes the process SIGKILL itself at that step
(:mod:`anchor.service.crash`): a fault-injection hook for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anchor.chain.fees import TxSettings, is_network_error
from anchor.chain.registry import Registry
from anchor.chain.txchain import TxChain
from anchor.errors import ConfigError
from anchor.service.tx_broadcast import Broadcast, broadcast
from anchor.service.tx_confirm import Confirmed, confirm
from anchor.service.tx_context import ChainUnavailable, LeaseLost, TxContext, log
from anchor.service.tx_prepare import prepare
from anchor.store import tx_repo, tx_views

if TYPE_CHECKING:
    from anchor.chain.keys import SigningKey
    from anchor.store.db import Database

__all__ = ["TickReport", "TxManager", "batch_counts", "retry_failed"]

OUTAGE_LOG_EVERY = 60.0  # seconds between "chain unavailable" warnings during an outage


@dataclass
class TickReport:
    """What one tick did (for logs and tests): attempts prepared, what the broadcast and
    the confirmation passes did."""

    prepared: int = 0
    broadcast: Broadcast = field(default_factory=Broadcast)
    confirmed: Confirmed = field(default_factory=Confirmed)
    errors: list[str] = field(default_factory=list)
    fenced: bool = False  # stopped because the lease was lost


class TxManager:
    """Prepare, broadcast and confirm anchor transactions for sealed batches.

    ``w3`` is a connected web3 instance (tests hand it a real anvil), ``key`` the signing key
    (see :mod:`anchor.chain.keys`), ``fence`` the lease check made before signing and sending
    (None: no fence, a single process). The chain's facts (name, chain id, sender, contract,
    settings) are those of :attr:`ctx`, the context every step gets."""

    def __init__(
        self,
        db: Database,
        w3: Any,
        key: SigningKey,
        settings: TxSettings,
        *,
        fence: Callable[[], bool] | None = None,
    ) -> None:
        self.w3 = w3
        self.key = key
        self.registry = Registry(w3, settings.contract, settings.start_block)
        chain = TxChain(w3, key, chain_id=settings.chain_id, to=self.registry.address)
        self.ctx = TxContext(db, chain, self.registry, settings, fence)
        self._chain_checked = False
        self._down_since: float | None = None
        self._down_logged = 0.0

    # -- the tick ------------------------------------------------------------------------
    def run_once(self) -> TickReport:
        """One pass: prepare, broadcast, confirm. An unreachable RPC ends the pass quietly
        (logged); the next pass continues from the database."""
        report = TickReport()
        try:
            self._check_chain_id()
            report.prepared = self.prepare()
            report.broadcast = self.broadcast()
            report.confirmed = self.confirm()
        except LeaseLost:
            report.fenced = True
            return report
        except ChainUnavailable as exc:
            report.errors.append(str(exc))
        except Exception as exc:
            if not is_network_error(exc):
                raise
            report.errors.append(f"rpc: {type(exc).__name__}")
        self._log_availability(report)
        return report

    def prepare(self) -> int:
        """Sign and store an attempt for each sealed batch the chain can take now."""
        return prepare(self.ctx)

    def broadcast(self) -> Broadcast:
        """Send what is due, replace what is stuck."""
        return broadcast(self.ctx)

    def confirm(self) -> Confirmed:
        """Receipts, reorgs, finality."""
        return confirm(self.ctx)

    def _log_availability(self, report: TickReport) -> None:
        """One WARNING when the RPC goes away (repeated each minute), one when it is back."""
        now = time.monotonic()
        if report.errors:
            if self._down_since is None or now - self._down_logged >= OUTAGE_LOG_EVERY:
                since = "" if self._down_since is None else f" for {now - self._down_since:.0f} s"
                log.warning("chain unavailable%s (%s): %s", since, self.ctx.name, report.errors[0])
                self._down_logged = now
            if self._down_since is None:
                self._down_since = now
        elif self._down_since is not None:
            log.warning(
                "chain %s reachable again after %.0f s", self.ctx.name, now - self._down_since
            )
            self._down_since = None

    def _check_chain_id(self) -> None:
        if self._chain_checked:
            return
        actual = self.ctx.chain.rpc_chain_id()
        if actual != self.ctx.chain_id:
            raise ConfigError(
                f"the RPC of chain {self.ctx.name!r} serves chain id {actual}, the config says "
                f"{self.ctx.chain_id}"
            )
        self._chain_checked = True


def retry_failed(db: Database, batch_id: int, chain_id: int | None = None) -> list[int]:
    """Operator action: anchor a batch again whose transaction reverted (status 0), on
    ``chain_id`` or every chain where it did; the chain ids reset. Its old attempts are
    abandoned; the next tick signs a new one at a new nonce. A batch whose id holds a
    different root on chain (conflict) cannot be retried: that is never overwritten."""
    chains = tx_repo.reset_failed(db, batch_id, chain_id)
    log.warning(
        "batch %s: failed anchor reset by the operator on chain(s) %s; it is signed again",
        batch_id,
        ", ".join(map(str, chains)),
    )
    return chains


def batch_counts(db: Database, chain_id: int | None = None) -> dict[str, int]:
    """How many anchor jobs are in each state (on ``chain_id``, or on every chain)."""
    return tx_views.state_counts(db, chain_id)

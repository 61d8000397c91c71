"""The anchoring jobs: seal when due, then prepare/broadcast/confirm, then backups.

:class:`Anchorer` is what the scheduler (and ``anchor seal --now`` / ``anchor anchor-now``)
calls. It owns no thread and no timer: :mod:`anchor.service.scheduler` decides when.
Every job works from the database, so a process killed at any point continues where the last
commit left off when it starts again.

Every configured chain (:func:`anchor.config_chains.chains_of`) has its own transaction
manager (:mod:`anchor.service.chains`); :attr:`Anchorer.tx` is the primary chain's.

``fence`` (the leader lease's check, see :mod:`anchor.service.leader`) goes to the transaction
managers, which ask it before signing and broadcasting. The stall alarms of
:mod:`anchor.service.watchdog` are fed from every tick (:meth:`Anchorer.tick`) and, in a
standby, from :meth:`Anchorer.watch`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anchor.config_chains import chains_of
from anchor.errors import ConfigError
from anchor.service.chains import ChainSet, load_chain_key, make_chain_web3
from anchor.service.crash import crash_point
from anchor.service.metrics import observe_seal
from anchor.service.txmanager import TickReport, TxManager, batch_counts
from anchor.service.watchdog import Watchdog
from anchor.store.queries import pending_count

if TYPE_CHECKING:
    from anchor.chain.keys import SigningKey
    from anchor.config import Config
    from anchor.store.db import Database
    from anchor.store.models import Batch

log = logging.getLogger("anchor.anchoring")

TICK_ENV = "ANCHOR_TICK_SECONDS"
DEFAULT_TICK_SECONDS = 2.0


def tick_seconds(config: Config) -> float:
    """How often the anchorer ticks: ``config.tick_seconds`` when the config has it, else
    ``$ANCHOR_TICK_SECONDS``, else 2 s."""
    value = getattr(config, "tick_seconds", None) or os.environ.get(TICK_ENV)
    try:
        seconds = float(value) if value not in (None, "") else DEFAULT_TICK_SECONDS
    except ValueError:
        raise ConfigError(f"{TICK_ENV}: not a number") from None
    if seconds <= 0:
        raise ConfigError("the anchorer tick must be a positive number of seconds")
    return seconds


def load_key(config: Config) -> SigningKey:
    """The primary chain's anchoring key: the keystore file when configured, else the env
    variable."""
    return load_chain_key(chains_of(config)[0])


def make_chain(config: Config) -> Any:
    """A web3 for the primary chain's manager: short timeouts and few retries."""
    return make_chain_web3(chains_of(config)[0])


@dataclass
class TickSummary:
    """What one anchorer tick did: ``chain`` is the primary chain's pass, ``chains`` every
    chain's by name (None: skipped this tick)."""

    sealed: list[int] = field(default_factory=list)
    chain: TickReport | None = None
    chains: dict[str, TickReport | None] = field(default_factory=dict)
    backup_error: str | None = None


class Anchorer:
    """Seal, anchor (on every configured chain) and back up, against one database.

    ``w3`` and ``key`` replace the primary chain's RPC and key; ``clients`` (chain name →
    (web3, key)) any chain's (tests hand real anvils in)."""

    def __init__(
        self,
        db: Database,
        config: Config,
        *,
        w3: Any | None = None,
        key: SigningKey | None = None,
        clients: Mapping[str, tuple[Any, SigningKey]] | None = None,
        backups: bool = True,
        fence: Callable[[], bool] | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.chain_configs = chains_of(config)
        self._clients = dict(clients or {})
        primary = self.chain_configs[0].name
        if (w3 is not None or key is not None) and primary not in self._clients:
            w3 = w3 if w3 is not None else make_chain_web3(self.chain_configs[0])
            key = key if key is not None else load_chain_key(self.chain_configs[0])
            self._clients[primary] = (w3, key)
        self._chains: ChainSet | None = None
        self._backups = backups
        self.fence = fence
        self.watchdog = Watchdog(db, config)
        self.ops: Any = None  # anchor.service.operations.Operations, made at the first tick

    # -- pieces, built lazily so a missing RPC or key shows up as a clear error at use --
    @property
    def chains(self) -> ChainSet:
        """Every chain's manager (built at first use)."""
        if self._chains is None:
            self._chains = ChainSet(
                self.db, self.config, self.chain_configs, clients=self._clients, fence=self.fence
            )
        return self._chains

    @property
    def managers(self) -> list[TxManager]:
        return self.chains.managers

    @property
    def tx(self) -> TxManager:
        """The primary chain's manager."""
        return self.chains.managers[0]

    def close(self) -> None:
        if self._chains is not None:
            self._chains.close()

    # -- sealing -------------------------------------------------------------------------
    def seal_pending(self, *, minimum: int = 1) -> list[Batch]:
        """Seal everything pending (in batches of at most ``batch_max_records``) when at
        least ``minimum`` records wait."""
        from anchor.service.seal import seal

        sealed: list[Batch] = []
        if pending_count(self.db) < max(1, minimum):
            return sealed
        while True:
            started = time.perf_counter()
            batch = seal(self.db, max_records=self.config.batch_max_records)
            if batch is None:
                break
            observe_seal(time.perf_counter() - started)
            log.info("sealed batch %s (%s records)", batch.id, batch.leaf_count)
            crash_point("after_seal")
            sealed.append(batch)
            if pending_count(self.db) < max(1, minimum):
                break
        return sealed

    def scheduled_seal(self) -> list[Batch]:
        """The interval / cron job: seal whatever is pending."""
        return self.seal_pending()

    # -- the tick ------------------------------------------------------------------------
    def tick(self) -> TickSummary:
        """Seal if the size trigger is reached, then one transaction-manager pass per chain
        (:meth:`ChainSet.run`), then backups (if the backup module is installed; its errors
        never stop anchoring), then the watchdog. While a chain's registry address holds no
        (or other) code, its pass is skipped quietly: ``registry_code_missing`` says why."""
        summary = TickSummary()
        summary.sealed = [b.id for b in self.seal_pending(minimum=self.config.seal_size_trigger)]
        summary.chains = self.chains.run()
        summary.chain = summary.chains.get(self.chain_configs[0].name)
        if self._backups:
            summary.backup_error = run_backups(self.db, self.config)
        self.watchdog.check()
        if self.ops is None:
            from anchor.service.operations import Operations

            self.ops = Operations(self.db, self.config)
        self.ops.after_tick(self, summary)  # costs, budgets, webhooks: never raises
        return summary

    def watch(self) -> None:
        """A standby's share of the work: the stall and flapping checks (a hung leader is
        reported by the others)."""
        self.watchdog.check()

    def anchor_until(
        self,
        done: Callable[[dict[str, int]], bool],
        *,
        timeout: float,
        poll: float = 0.2,
    ) -> dict[str, int]:
        """Tick every chain until ``done(state counts)`` or ``timeout`` seconds; returns the
        counts (over every chain)."""
        deadline = time.monotonic() + timeout
        while True:
            for manager in self.managers:
                manager.run_once()
            counts = batch_counts(self.db)
            if done(counts) or time.monotonic() >= deadline:
                return counts
            time.sleep(poll)


def run_backups(db: Database, config: Config) -> str | None:
    """Call ``anchor.backup.jobs.run_backups(db, config)`` when it exists; return its error
    (logged) instead of raising, so backup trouble never stops anchoring."""
    import importlib

    try:
        module = importlib.import_module("anchor.backup.jobs")
    except ModuleNotFoundError as exc:
        if exc.name in ("anchor.backup.jobs", "anchor.backup"):
            return None  # no backup module installed
        log.error("backup module cannot be imported: %s", exc)
        return f"import: {exc}"
    except Exception as exc:
        log.error("backup module cannot be imported: %s: %s", type(exc).__name__, exc)
        return f"import: {type(exc).__name__}: {exc}"
    backup_job = getattr(module, "run_backups", None)
    if not callable(backup_job):
        return None
    try:
        backup_job(db, config)
    except Exception as exc:
        log.error("backup job failed: %s: %s", type(exc).__name__, exc)
        return f"{type(exc).__name__}: {exc}"
    return None

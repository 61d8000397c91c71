"""The anchoring jobs: seal when due, then prepare/broadcast/confirm, then backups.

:class:`Anchorer` is what the scheduler (and ``anchor seal --now`` / ``anchor anchor-now``)
calls. It owns no thread and no timer: :mod:`anchor.service.scheduler` decides when.
Every job works from the database, so a process killed at any point continues where the last
commit left off when it starts again.

``fence`` (the leader lease's check, see :mod:`anchor.service.leader`) goes to the transaction
manager, which asks it before signing and broadcasting. The stall alarms of
:mod:`anchor.service.watchdog` are fed from every tick (:meth:`Anchorer.tick`) and, in a
standby, from :meth:`Anchorer.watch`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anchor.chain.fees import is_network_error
from anchor.chain.txmanager import TickReport, TxManager, TxSettings, crash_point
from anchor.errors import ConfigError
from anchor.service.metrics import observe_seal
from anchor.service.watchdog import Watchdog

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
    """The anchorer's key: the keystore file when configured, else the env variable."""
    from anchor.chain.keys import load_signing_key

    return load_signing_key(
        keystore=config.keystore_path,
        password_env=config.keystore_password_env,
        key_env=config.private_key_env,
    )


def make_chain(config: Config) -> Any:
    """A web3 for the anchorer: short timeouts and few retries (the next tick retries)."""
    from anchor.chain.client import RetryPolicy, make_web3

    if not config.rpc_url:
        raise ConfigError("anchoring needs rpc_url in the config")
    from anchor.config import uses_poa

    return make_web3(
        config.rpc_url,
        policy=RetryPolicy(timeout=5.0, retries=2, backoff_factor=0.1),
        poa=uses_poa(config),
    )


def pending_count(db: Database) -> int:
    """Records not yet in a batch (seqs are contiguous: max seq - last sealed seq)."""
    with db.connect(write=False) as conn:
        value = conn.execute(
            sa.text(
                "SELECT COALESCE((SELECT MAX(seq) FROM records), 0)"
                " - COALESCE((SELECT MAX(last_seq) FROM batches), 0)"
            )
        ).scalar()
    return int(value or 0)


@dataclass
class TickSummary:
    """What one anchorer tick did."""

    sealed: list[int] = field(default_factory=list)
    chain: TickReport | None = None
    backup_error: str | None = None


class Anchorer:
    """Seal, anchor and back up, against one database and one chain."""

    def __init__(
        self,
        db: Database,
        config: Config,
        *,
        w3: Any | None = None,
        key: SigningKey | None = None,
        backups: bool = True,
        fence: Callable[[], bool] | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self._w3 = w3
        self._key = key
        self._tx: TxManager | None = None
        self._backups = backups
        self.fence = fence
        self.watchdog = Watchdog(db, config)
        self.ops: Any = None  # anchor.service.operations.Operations, made at the first tick

    # -- pieces, built lazily so a missing RPC or key shows up as a clear error at use --
    @property
    def tx(self) -> TxManager:
        if self._tx is None:
            w3 = self._w3 if self._w3 is not None else make_chain(self.config)
            key = self._key if self._key is not None else load_key(self.config)
            self._tx = TxManager(
                self.db, w3, key, TxSettings.from_config(self.config), fence=self.fence
            )
        return self._tx

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
        """Seal if the size trigger is reached, then one transaction-manager pass, then
        backups (if the backup module is installed; its errors never stop anchoring), then
        the watchdog. While the registry address holds no (or other) code, the pass is
        skipped quietly: the ``registry_code_missing`` alarm says why."""
        summary = TickSummary()
        summary.sealed = [b.id for b in self.seal_pending(minimum=self.config.seal_size_trigger)]
        tx = self.tx
        if self.watchdog.registry_ok(tx):
            try:
                summary.chain = tx.run_once()
            except Exception as exc:
                if is_network_error(exc) or not self.watchdog.tick_failed(tx, exc):
                    raise
            else:
                self.watchdog.rpc_seen(summary.chain)
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
        """Tick until ``done(state counts)`` or ``timeout`` seconds; returns the counts."""
        from anchor.chain.txmanager import batch_counts

        deadline = time.monotonic() + timeout
        while True:
            self.tx.run_once()
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

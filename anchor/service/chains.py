"""One transaction manager per configured chain (issue 18), run side by side.

Every chain has its own :class:`~anchor.service.txmanager.TxManager` (its own key, nonces,
attempts, fee bumps, finality and reorg handling, all in the database keyed by its chain id)
and its own :class:`~anchor.service.watchdog.Watchdog` for the RPC and the registry's code,
whose alarms carry the chain id. With one chain its pass runs in the tick's thread, as it
always did. With several, each chain's pass runs on a thread of its own: the tick waits for
them at most :data:`WAIT_SECONDS`, and a chain whose pass is still running (an RPC that hangs
until its timeout) is skipped until it returns, so a chain that is down, stuck or out of funds
never holds up sealing, ingest or the other chains; it catches up from the database when it
is back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anchor.chain.fees import TxSettings, is_network_error
from anchor.errors import ConfigError
from anchor.service.txmanager import TickReport, TxManager
from anchor.service.watchdog import Watchdog

if TYPE_CHECKING:
    from anchor.chain.keys import SigningKey
    from anchor.config import Config
    from anchor.config_chains import ChainConfig
    from anchor.store.db import Database

__all__ = ["WAIT_SECONDS", "ChainSet", "load_chain_key", "make_chain_web3"]

log = logging.getLogger("anchor.anchoring")

WAIT_SECONDS = 5.0  # a tick waits this long for the chains' passes, then goes on


def load_chain_key(chain: ChainConfig) -> SigningKey:
    """A chain's anchoring key: its keystore file when configured, else its env variable."""
    from anchor.chain.keys import load_signing_key

    return load_signing_key(
        keystore=chain.keystore_path,
        password_env=chain.keystore_password_env,
        key_env=chain.private_key_env,
    )


def make_chain_web3(chain: ChainConfig) -> Any:
    """A web3 for one chain's manager: short timeouts and few retries (the next tick
    retries)."""
    from anchor.chain.client import RetryPolicy, make_web3

    if not chain.rpc_url:
        raise ConfigError(f"anchoring on chain {chain.name!r} needs rpc_url in the config")
    return make_web3(
        chain.rpc_url,
        policy=RetryPolicy(timeout=5.0, retries=2, backoff_factor=0.1),
        poa=chain.poa,
    )


@dataclass
class _Lane:
    """One chain: its manager, its watchdog, and its pass in flight (several chains)."""

    chain: ChainConfig
    manager: TxManager
    watchdog: Watchdog
    pool: ThreadPoolExecutor | None = None
    running: Future[TickReport | None] | None = None
    last_failure: tuple[str, str] | None = field(default=None)


class ChainSet:
    """The managers of every configured chain, the primary first."""

    def __init__(
        self,
        db: Database,
        config: Config,
        chains: tuple[ChainConfig, ...],
        *,
        clients: Mapping[str, tuple[Any, SigningKey]],
        fence: Callable[[], bool] | None,
    ) -> None:
        self.db = db
        self.lanes: list[_Lane] = []
        for chain in chains:
            w3, key = clients.get(chain.name) or (make_chain_web3(chain), load_chain_key(chain))
            settings = TxSettings.from_chain(chain)
            manager = TxManager(db, w3, key, settings, fence=fence)
            watchdog = Watchdog(db, config, chain_id=settings.chain_id, chain_name=chain.name)
            self.lanes.append(_Lane(chain, manager, watchdog))
        if len(self.lanes) > 1:
            for lane in self.lanes:
                lane.pool = ThreadPoolExecutor(1, thread_name_prefix=f"chain-{lane.chain.name}")

    @property
    def managers(self) -> list[TxManager]:
        return [lane.manager for lane in self.lanes]

    def manager(self, name: str) -> TxManager:
        for lane in self.lanes:
            if lane.chain.name == name:
                return lane.manager
        raise ConfigError(f"no chain named {name!r} in the config")

    def close(self) -> None:
        for lane in self.lanes:
            if lane.pool is not None:
                lane.pool.shutdown(wait=False, cancel_futures=True)

    # -- one pass per chain ----------------------------------------------------------------
    def run(self) -> dict[str, TickReport | None]:
        """One pass on every chain; the report of each (None: skipped, its previous pass is
        still running, or its registry has no code). One chain: raises what its pass raises,
        as before; several: a chain's error is logged and reported, never raised."""
        if len(self.lanes) == 1:
            lane = self.lanes[0]
            return {lane.chain.name: self._pass(lane)}
        out: dict[str, TickReport | None] = {}
        started: list[Future[TickReport | None]] = []
        for lane in self.lanes:
            if lane.running is not None and not lane.running.done():
                out[lane.chain.name] = None  # still busy (a hanging RPC): skip this tick
                continue
            assert lane.pool is not None
            lane.running = lane.pool.submit(self._guarded, lane)
            started.append(lane.running)
        wait_futures(started, timeout=WAIT_SECONDS)
        for lane in self.lanes:
            if lane.chain.name in out:
                continue
            running = lane.running
            out[lane.chain.name] = (
                running.result() if running is not None and running.done() else None
            )
        return out

    def _pass(self, lane: _Lane) -> TickReport | None:
        manager, watchdog = lane.manager, lane.watchdog
        if not watchdog.registry_ok(manager):
            return None
        try:
            report = manager.run_once()
        except Exception as exc:
            if is_network_error(exc) or not watchdog.tick_failed(manager, exc):
                raise
            return None
        watchdog.rpc_seen(report)
        return report

    def _guarded(self, lane: _Lane) -> TickReport | None:
        """:meth:`_pass` on the chain's own thread: an error is logged (once per distinct
        error) and reported, and never reaches the other chains."""
        try:
            report = self._pass(lane)
        except Exception as exc:
            key = (type(exc).__name__, str(exc))
            if key != lane.last_failure:
                log.exception("chain %s: pass failed (repeats are not logged)", lane.chain.name)
                lane.last_failure = key
            return TickReport(errors=[f"{type(exc).__name__}: {exc}"[:300]])
        if lane.last_failure is not None:
            log.warning("chain %s: passes work again", lane.chain.name)
            lane.last_failure = None
        return report

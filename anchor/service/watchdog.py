"""Every stall is an alarm: the conditions under which anchoring silently stops.

=====================  ==========================================================  ===========
alarm kind             raised when                                                 checked by
=====================  ==========================================================  ===========
rpc_unreachable        the RPC has failed on every tick for longer than            the leader
                       ``rpc_outage_alarm_seconds`` (default 60)
registry_code_missing  ``eth_getCode`` at ``contract_address`` is empty or differs  the leader
                       from the committed artifact's runtime code (checked at
                       start, and whenever a tick fails for a reason other than
                       the network); the tick then stops quietly
anchoring_stalled      records or sealed batches wait and no batch became final   every
                       for ``stall_alarm_seconds`` (default max(300, 3 x the       anchorer,
                       seal interval or cron period))                              standbys too
leader_flapping        the anchorer lease changed hands more than 3 times within   every
                       10 minutes                                                  anchorer
=====================  ==========================================================  ===========

An alarm is raised once (one ERROR line), counted up while the condition lasts (DEBUG), and
resolved (one WARNING line) by whichever process sees the condition clear. The checks that
read the database run at most every :data:`CHECK_EVERY` seconds, so a fast tick costs nothing.
Several processes may raise the same alarm: they serialise on an advisory lock (PostgreSQL)
or the write lock (SQLite), so one open row per kind remains.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from anchor.chain.fees import is_network_error
from anchor.store import lease as lease_store
from anchor.store.alarms import open_alarms, raise_alarm_now, resolve_alarms_now
from anchor.store.progress import anchoring_progress
from anchor.store.tx_models import (
    ALARM_ANCHORING_STALLED,
    ALARM_LEADER_FLAPPING,
    ALARM_REGISTRY_CODE,
    ALARM_RPC_UNREACHABLE,
    utcnow,
)

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.service.txmanager import TickReport, TxManager
    from anchor.store.db import Database

log = logging.getLogger("anchor.watchdog")

CHECK_EVERY = 2.0  # seconds between the database checks of one process
FLAP_CHANGES = 3  # more lease changes than this ...
FLAP_WINDOW = 600.0  # ... within this many seconds: leader_flapping
MIN_STALL_SECONDS = 300.0
LOCK_ALARMS = "anchor.alarms"


def stall_seconds(config: Config, cadence: float | None) -> float:
    """``stall_alarm_seconds``, else max(300, 3 x the seal cadence)."""
    if config.stall_alarm_seconds is not None:
        return float(config.stall_alarm_seconds)
    return max(MIN_STALL_SECONDS, 3 * float(cadence or 0))


class Watchdog:
    """The stall checks of one anchorer process (leader or standby)."""

    def __init__(
        self,
        db: Database,
        config: Config,
        *,
        cadence: float | None = None,
        lease_name: str = lease_store.ANCHORER_LEASE,
        chain_id: int | None = None,
        chain_name: str | None = None,
    ) -> None:
        self.db = db
        self.config = config
        # the chain whose RPC and registry this watchdog checks (its alarms carry the id)
        self.chain_id = chain_id
        self.chain_name = chain_name
        self.lease_name = lease_name
        self.set_cadence(cadence if cadence is not None else config.seal_interval_seconds)
        self._last_check = float("-inf")
        self._down_since: float | None = None
        self._down_error = ""
        self._rpc_written = float("-inf")
        self._rpc_open: bool | None = None  # None: unknown (maybe left open by a predecessor)
        self._code_ok: bool | None = None  # None: not checked yet
        self._code_checked = float("-inf")

    def set_cadence(self, cadence: float | None) -> None:
        """The expected seal cadence (seconds; None: no schedule, only the size trigger):
        records waiting for a seal count as pending work only when a schedule exists."""
        self.stall_seconds = stall_seconds(self.config, cadence)
        self.scheduled = bool(cadence)

    # -- alarms --------------------------------------------------------------------------
    def _raise(self, kind: str, message: str, *, chain: bool = False) -> None:
        """Raise ``kind``; ``chain``: about this watchdog's chain (its id on the alarm)."""
        chain_id = self.chain_id if chain else None
        if chain and self.chain_name is not None:
            message = f"chain {self.chain_name}: {message}"
        raise_alarm_now(self.db, kind, None, message, lock=LOCK_ALARMS, chain_id=chain_id)

    def _resolve(self, kind: str, *, chain: bool = False) -> None:
        chain_id = self.chain_id if chain else None
        resolve_alarms_now(self.db, kind, None, lock=LOCK_ALARMS, chain_id=chain_id)

    # -- the RPC (leader) ----------------------------------------------------------------
    def rpc_seen(self, report: TickReport) -> None:
        """Feed one transaction-manager pass: errors mean the RPC failed."""
        now = time.monotonic()
        if report.fenced:
            return
        if report.errors:
            if self._down_since is None:
                self._down_since = now
            self._down_error = report.errors[0]
            down = now - self._down_since
            if down >= self.config.rpc_outage_alarm_seconds and now - self._rpc_written >= (
                CHECK_EVERY
            ):
                self._raise(
                    ALARM_RPC_UNREACHABLE,
                    f"the RPC has failed for {down:.0f} s ({self._down_error})",
                    chain=True,
                )
                self._rpc_written, self._rpc_open = now, True
            return
        self._down_since = None
        if self._rpc_open is not False:
            self._resolve(ALARM_RPC_UNREACHABLE, chain=True)
            self._rpc_open = False

    # -- the registry's code (leader) ----------------------------------------------------
    def registry_ok(self, tx: TxManager) -> bool:
        """False while the registry address holds no (or other) code: the tick must stop.
        Checked once at start, then again only while the alarm is open (every CHECK_EVERY)."""
        if self._code_ok is True:
            return True
        if self._code_ok is False and time.monotonic() - self._code_checked < CHECK_EVERY:
            return False
        return self.check_registry(tx) is not False

    def check_registry(self, tx: TxManager) -> bool | None:
        """Compare the code at the registry with the artifact; raise or resolve the alarm.
        None when the RPC cannot tell."""
        from anchor.chain.deploy import check_runtime_code
        from anchor.errors import AlarmError

        self._code_checked = time.monotonic()
        try:
            check_runtime_code(tx.w3, tx.ctx.contract)
        except AlarmError as exc:
            self._raise(
                ALARM_REGISTRY_CODE, f"{exc}; anchoring is stopped until it is back", chain=True
            )
            self._code_ok = False
            return False
        except Exception as exc:
            if is_network_error(exc):
                return None
            raise
        if self._code_ok is not True:
            self._resolve(ALARM_REGISTRY_CODE, chain=True)
        self._code_ok = True
        return True

    def tick_failed(self, tx: TxManager, exc: BaseException) -> bool:
        """A pass failed with ``exc`` (not a network error): True when the registry's code is
        the cause (alarm raised; the caller stops quietly), False to let the error through."""
        try:
            return self.check_registry(tx) is False
        except Exception:
            return False

    # -- stall and flapping (every anchorer) ---------------------------------------------
    def check(self, *, force: bool = False) -> None:
        """The database checks, at most every CHECK_EVERY seconds."""
        now = time.monotonic()
        if not force and now - self._last_check < CHECK_EVERY:
            return
        self._last_check = now
        try:
            self._check_stall()
            self._check_flapping()
        except Exception as exc:  # a watchdog never stops the job it watches
            log.warning("watchdog check failed: %s", type(exc).__name__)

    def _open_kinds(self) -> set[str]:
        return {a.kind for a in open_alarms(self.db) if a.batch_id is None}

    def _check_stall(self) -> None:
        progress = anchoring_progress(self.db)
        waiting = [progress.oldest_open_batch_at]
        if self.scheduled:
            waiting.append(progress.oldest_unbatched_at)
        pending = [t for t in waiting if t is not None]
        stalled_for: timedelta | None = None
        if pending:
            since = min(pending)
            if progress.last_final_at is not None:
                since = max(since, progress.last_final_at)
            stalled_for = utcnow() - since
        if stalled_for is not None and stalled_for.total_seconds() > self.stall_seconds:
            what = "sealed batches" if progress.oldest_open_batch_at else "records"
            self._raise(
                ALARM_ANCHORING_STALLED,
                f"{what} are waiting and no batch became final for "
                f"{stalled_for.total_seconds():.0f} s (limit {self.stall_seconds:.0f} s)",
            )
        elif ALARM_ANCHORING_STALLED in self._open_kinds():
            self._resolve(ALARM_ANCHORING_STALLED)

    def _check_flapping(self) -> None:
        changes = lease_store.lease_changes(self.db, FLAP_WINDOW, self.lease_name)
        if len(changes) > FLAP_CHANGES:
            holders = sorted({str(c.pid) for c in changes})
            self._raise(
                ALARM_LEADER_FLAPPING,
                f"the anchorer lease changed hands {len(changes)} times in "
                f"{FLAP_WINDOW / 60:.0f} minutes (pids {', '.join(holders)})",
            )
        elif ALARM_LEADER_FLAPPING in self._open_kinds():
            self._resolve(ALARM_LEADER_FLAPPING)

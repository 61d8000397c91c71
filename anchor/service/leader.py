"""Exactly one anchorer at a time: a lease in the database, on SQLite and PostgreSQL alike.

The lease (:mod:`anchor.store.lease`) has a holder (``host:pid:random``), a fencing ``epoch``
that goes up on every acquisition, and an expiry on the database's clock.

* A standby calls :meth:`LeaseLeader.try_acquire` on every tick: it reads the row and, when
  it is free or expired, takes it with one conditional ``UPDATE`` (a new epoch).
* The leader renews it from a heartbeat thread every third of ``leader_lease_seconds``. A
  leader that stops (SIGSTOP, a stalled VM, a hung database connection) stops renewing, and a
  standby takes over once the lease has run out — no TCP connection has to die first.
* Fencing: :meth:`LeaseLeader.holds` is what the transaction manager calls immediately
  before it signs and before it broadcasts: same holder, same epoch, and more than a third of
  the lease left on the database's clock. When it fails, the process steps down and the tick
  stops without sending. A leader resumed after SIGCONT finds another holder (or epoch) in
  the row and never signs or sends under the lease it lost.
* A clean shutdown releases the lease, so a standby takes over at once.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from typing import TYPE_CHECKING, Protocol

from anchor.store import lease as store

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.store.db import Database

log = logging.getLogger("anchor.leader")

DEFAULT_LEASE_SECONDS = 15.0


class Leadership(Protocol):
    def try_acquire(self) -> bool:
        """Become the leader if nobody is; True when this process leads (now or already)."""
        ...

    def is_leader(self) -> bool:
        """Still the leader, as far as this process knows without asking the database?"""
        ...

    def holds(self) -> bool:
        """The fence: ask the database whether this process still holds the lease."""
        ...

    def release(self) -> None: ...


def new_holder_id() -> str:
    """``host:pid:random`` — unique per process and per :class:`LeaseLeader`."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class LeaseLeader:
    """Leadership through the database lease, renewed by a heartbeat thread."""

    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        name: str = store.ANCHORER_LEASE,
        holder: str | None = None,
    ) -> None:
        self.db = db
        self.name = name
        self.lease_seconds = float(lease_seconds)
        self.holder = holder or new_holder_id()
        # the fence refuses when less than this is left; renewals come every third of the
        # lease, so a healthy leader always has about two thirds left
        self.margin = self.lease_seconds / 3
        self._lock = threading.RLock()
        self._epoch: int | None = None
        self._valid_until = 0.0  # monotonic: lease start (sent before) + lease - margin
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renew_failing = False

    @property
    def epoch(self) -> int | None:
        """The epoch this process holds (None when it does not lead)."""
        return self._epoch

    # -- leadership ----------------------------------------------------------------------
    def try_acquire(self) -> bool:
        with self._lock:
            if self._epoch is not None and time.monotonic() < self._valid_until:
                return True
            if self._epoch is not None:
                # the heartbeat has not confirmed the lease lately: ask the database
                if self._renew():
                    return True
                self._step_down(self._epoch, "it could not be renewed")
            started = time.monotonic()
            try:
                current = store.read_lease(self.db, self.name)
                if current is not None and not current.expired:
                    return False
                taken = store.acquire(self.db, self.holder, self.lease_seconds, self.name)
            except Exception as exc:
                log.warning("leader lease: %s", type(exc).__name__)
                return False
            if taken is None:
                return False
            self._epoch = taken.epoch
            self._valid_until = started + self.lease_seconds - self.margin
            log.warning(
                "this process is now the anchorer (pid %s, lease epoch %s, %ss)",
                os.getpid(),
                taken.epoch,
                self.lease_seconds,
            )
            self._start_heartbeat()
            return True

    def is_leader(self) -> bool:
        return self._epoch is not None and time.monotonic() < self._valid_until

    def holds(self) -> bool:
        """The fence (see the module docstring); steps down when the lease is lost.

        Read-only and lock-free: the transaction manager calls it inside its own write
        transaction (on SQLite a write here would wait for that very transaction)."""
        epoch = self._epoch
        if epoch is None:
            return False
        try:
            if store.holds(self.db, self.holder, epoch, self.margin, self.name):
                return True
            current = store.read_lease(self.db, self.name)
        except Exception as exc:
            log.warning("lease check failed (%s): not signing or sending", type(exc).__name__)
            return False
        if current is None or (current.holder, current.epoch) != (self.holder, epoch):
            self._step_down(epoch, "the lease is held by another process now")
        # else: still ours but about to run out; the heartbeat renews it, the next tick works
        return False

    def release(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.lease_seconds)
        with self._lock:
            epoch, self._epoch = self._epoch, None
            if epoch is not None:
                try:
                    if store.release(self.db, self.holder, epoch, self.name):
                        log.info("anchorer lease released (epoch %s)", epoch)
                except Exception as exc:
                    log.warning("could not release the lease: %s", type(exc).__name__)

    # -- heartbeat -----------------------------------------------------------------------
    def _renew(self) -> bool:
        """Extend the lease; False when it is lost (or the database cannot be reached)."""
        epoch = self._epoch
        if epoch is None:
            return False
        started = time.monotonic()
        try:  # no lock held: the database may make this wait (SQLite's write lock)
            renewed = store.renew(self.db, self.holder, epoch, self.lease_seconds, self.name)
        except Exception as exc:
            if not self._renew_failing:
                log.warning("lease renewal failed: %s (retrying)", type(exc).__name__)
                self._renew_failing = True
            return False
        if self._renew_failing:
            log.warning("lease renewal works again")
            self._renew_failing = False
        if renewed is None:
            return False
        with self._lock:
            if self._epoch == epoch:
                self._valid_until = started + self.lease_seconds - self.margin
        return True

    def _step_down(self, epoch: int | None, why: str) -> None:
        with self._lock:
            if epoch is None or self._epoch != epoch:
                return
            log.error("lost the anchorer lease (epoch %s): %s; stepping down", epoch, why)
            self._epoch = None
            self._valid_until = 0.0

    def _start_heartbeat(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._heartbeat, name="anchor-lease-heartbeat", daemon=True
        )
        self._thread.start()

    def _heartbeat(self) -> None:
        interval = self.lease_seconds / 3
        while not self._stop.wait(interval):
            epoch = self._epoch
            if epoch is None:
                continue
            if not self._renew() and not self._renew_failing:
                self._step_down(epoch, "another process holds it now")


def make_leadership(db: Database, config: Config | None = None) -> LeaseLeader:
    """The anchorer's leadership: a lease of ``config.leader_lease_seconds``."""
    seconds = config.leader_lease_seconds if config is not None else DEFAULT_LEASE_SECONDS
    return LeaseLeader(db, lease_seconds=seconds)

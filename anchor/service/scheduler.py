"""All APScheduler wiring (3.11) lives here.

Three jobs on ONE worker thread, so they never overlap:

* ``seal`` — on ``seal_cron`` (crontab syntax, UTC) when set, else every
  ``seal_interval_seconds``: seal whatever is pending.
* ``tick`` — every tick (``ANCHOR_TICK_SECONDS``, default 2 s): seal when pending records reach
  ``seal_size_trigger``, then one transaction-manager pass, then backups.
* ``receipt-deadlines`` — every tick (at least 5 s): settle the signed ingest receipts'
  promises, raising ``receipt_deadline_missed`` for a load not final by its deadline.

``max_instances=1`` and ``coalesce=True``: a job never runs twice at once, and runs missed while
the process was busy or asleep collapse into one catch-up run (within ``misfire_grace_time``).
With a :class:`~anchor.service.leader.Leadership`, a job does nothing unless this process is
the anchorer; a standby tries to take the lock on every tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from anchor.errors import ConfigError
from anchor.service.anchoring import Anchorer, tick_seconds

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.service.leader import Leadership

log = logging.getLogger("anchor.scheduler")

SEAL_JOB = "seal"
TICK_JOB = "tick"
DEADLINES_JOB = "receipt-deadlines"


def seal_trigger(config: Config) -> CronTrigger | IntervalTrigger | None:
    """The seal schedule: cron if configured, else the interval, else none (size trigger and
    on-demand seals only)."""
    if config.seal_cron:
        try:
            return CronTrigger.from_crontab(config.seal_cron, timezone=UTC)
        except ValueError as exc:
            raise ConfigError(f"seal_cron {config.seal_cron!r}: {exc}") from None
    if config.seal_interval_seconds:
        if config.seal_interval_seconds <= 0:
            raise ConfigError("seal_interval_seconds must be positive")
        return IntervalTrigger(seconds=float(config.seal_interval_seconds), timezone=UTC)
    return None


class AnchorScheduler:
    """The anchorer's clock: builds, starts and stops the APScheduler scheduler."""

    def __init__(
        self,
        anchorer: Anchorer,
        config: Config,
        *,
        leader: Leadership | None = None,
        blocking: bool = False,
    ) -> None:
        self.anchorer = anchorer
        self.config = config
        self.leader = leader
        self.tick_seconds = tick_seconds(config)
        options: dict[str, Any] = {
            "executors": {"default": ThreadPoolExecutor(max_workers=1)},
            "job_defaults": {
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": max(30, int(self.tick_seconds * 5)),
            },
            "timezone": UTC,
        }
        self.scheduler: BaseScheduler = (
            BlockingScheduler(**options) if blocking else BackgroundScheduler(**options)
        )
        self.ticks = 0
        self.last_error: str | None = None
        self._standing_by = False
        self._add_jobs()

    def _add_jobs(self) -> None:
        trigger = seal_trigger(self.config)
        if trigger is not None:
            grace = (
                max(60, int(self.config.seal_interval_seconds or 0))
                if not self.config.seal_cron
                else 3600
            )
            self.scheduler.add_job(
                self._guard(self.anchorer.scheduled_seal),
                trigger,
                id=SEAL_JOB,
                name="seal pending records",
                misfire_grace_time=grace,
                replace_existing=True,
            )
        self.scheduler.add_job(
            self._guard(self._tick),
            IntervalTrigger(seconds=self.tick_seconds, timezone=UTC),
            id=TICK_JOB,
            name="anchor tick",
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )

        self.scheduler.add_job(
            self._guard(self._deadlines),
            IntervalTrigger(seconds=max(self.tick_seconds, 5.0), timezone=UTC),
            id=DEADLINES_JOB,
            name="receipt deadlines",
            replace_existing=True,
        )

    def _deadlines(self) -> None:
        from anchor.service.receipts import check_deadlines

        check_deadlines(self.anchorer.db)

    def _tick(self) -> None:
        summary = self.anchorer.tick()
        self.ticks += 1
        if summary.chain is not None and summary.chain.errors:
            self.last_error = "; ".join(summary.chain.errors)

    def _guard(self, job: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            if self.leader is not None and not self.leader.try_acquire():
                if not self._standing_by:
                    log.warning(
                        "another process is the anchorer: standing by (retry every %ss)",
                        self.tick_seconds,
                    )
                    self._standing_by = True
                return  # standby: the lock is tried again on the next run
            self._standing_by = False
            try:
                job()
            except Exception as exc:  # logged, and the next run tries again
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("job %s failed", getattr(job, "__name__", "job"))

        run.__name__ = getattr(job, "__name__", "job")
        return run

    # -- control -------------------------------------------------------------------------
    def start(self) -> None:
        """Start; with ``blocking=True`` this returns only after :meth:`shutdown`."""
        log.info(
            "scheduler: tick every %ss, seal %s, size trigger %s",
            self.tick_seconds,
            self.config.seal_cron or f"every {self.config.seal_interval_seconds}s",
            self.config.seal_size_trigger,
        )
        self.scheduler.start()

    def shutdown(self, *, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if self.leader is not None:
            self.leader.release()

    def wakeup(self) -> None:
        """Run the tick now (e.g. after ``POST /v1/seal``)."""
        if self.scheduler.running:
            self.scheduler.modify_job(TICK_JOB, next_run_time=datetime.now(UTC))

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

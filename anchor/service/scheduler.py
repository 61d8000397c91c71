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
the anchorer; a standby tries to take the lease on every tick and runs the watchdog's stall
checks (so a hung leader is reported by the others).

A failing job logs its traceback once per distinct error (same type and message: counted at
DEBUG), and one line when it works again: no traceback storm when e.g. the chain was reset.
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


def seal_cadence(config: Config) -> float | None:
    """Seconds between scheduled seals: the interval, or the cron's period (the gap between
    its next two fire times); None when only the size trigger seals."""
    trigger = seal_trigger(config)
    if isinstance(trigger, IntervalTrigger):
        return float(trigger.interval.total_seconds())
    if isinstance(trigger, CronTrigger):
        now = datetime.now(UTC)
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first) if first is not None else None
        if first is not None and second is not None:
            return (second - first).total_seconds()
    return None


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
        anchorer.watchdog.set_cadence(seal_cadence(config))
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
            self._guard(self._tick, standby=self.anchorer.watch),
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

    def _guard(
        self, job: Callable[[], Any], *, standby: Callable[[], Any] | None = None
    ) -> Callable[[], None]:
        name = getattr(job, "__name__", "job").lstrip("_")
        failing: dict[str, Any] = {"key": None, "count": 0}

        def run() -> None:
            if self.leader is not None and not self.leader.try_acquire():
                if not self._standing_by:
                    log.warning(
                        "another process is the anchorer: standing by (retry every %ss)",
                        self.tick_seconds,
                    )
                    self._standing_by = True
                if standby is not None:
                    _quietly(standby)
                return  # standby: the lease is tried again on the next run
            self._standing_by = False
            try:
                job()
            except Exception as exc:  # logged once per distinct error; the next run retries
                self.last_error = f"{type(exc).__name__}: {exc}"
                key = (type(exc).__name__, str(exc))
                failing["count"] += 1
                if key != failing["key"]:
                    failing["key"] = key
                    log.exception("job %s failed (repeats are counted silently)", name)
                else:
                    log.debug("job %s failed again (%s times): %s", name, failing["count"], key)
                return
            if failing["key"] is not None:
                log.warning("job %s works again after %s failed runs", name, failing["count"])
                failing["key"], failing["count"] = None, 0

        run.__name__ = name
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
        self.anchorer.close()  # the chains' threads (several chains)
        if self.leader is not None:
            self.leader.release()

    def wakeup(self) -> None:
        """Run the tick now (e.g. after ``POST /v1/seal``)."""
        if self.scheduler.running:
            self.scheduler.modify_job(TICK_JOB, next_run_time=datetime.now(UTC))

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)


def _quietly(job: Callable[[], Any]) -> None:
    try:
        job()
    except Exception as exc:
        log.debug("standby job failed: %s", type(exc).__name__)

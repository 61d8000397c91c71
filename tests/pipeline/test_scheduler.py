"""The APScheduler wiring: seal on interval / cron / size, never overlapping, one catch-up."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from anchor.config import load_config
from anchor.errors import ConfigError
from anchor.service.anchoring import Anchorer, TickSummary
from anchor.service.scheduler import SEAL_JOB, TICK_JOB, AnchorScheduler, seal_trigger
from tests.pipeline.helpers import make_env


def test_seal_trigger_prefers_cron_then_interval() -> None:
    assert isinstance(seal_trigger(load_config(None, env={}, seal_cron="*/5 * * * *")), CronTrigger)
    interval = seal_trigger(load_config(None, env={}, seal_interval_seconds=7.5))
    assert isinstance(interval, IntervalTrigger) and interval.interval.total_seconds() == 7.5
    assert seal_trigger(load_config(None, env={}, seal_interval_seconds=None)) is None
    with pytest.raises(ConfigError):
        seal_trigger(load_config(None, env={}, seal_cron="every tuesday"))


@pytest.mark.chain
def test_size_trigger_seals_on_the_tick(db: Any, deployed_registry: Any) -> None:
    env = make_env(db, deployed_registry, finality_depth=0, seal_size_trigger=50)
    env.ingest(30)
    assert env.anchorer.tick().sealed == []
    env.ingest(30)
    summary = env.anchorer.tick()
    assert summary.sealed == [1] and env.batch(1).leaf_count == 60
    assert env.batch(1).state in ("included", "final")  # the same tick anchored it


@pytest.mark.chain
def test_interval_seal_and_tick_anchor_in_the_background(db: Any, deployed_registry: Any) -> None:
    env = make_env(db, deployed_registry, finality_depth=0, seal_interval_seconds=0.3)
    env.ingest(40)
    scheduler = AnchorScheduler(env.anchorer, env.config)
    scheduler.tick_seconds = 0.1
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while not env.all_in("final"):
            assert time.monotonic() < deadline, env.batches()
            time.sleep(0.05)
        env.ingest(10)
        while len(env.batches()) < 2 or not env.all_in("final"):
            assert time.monotonic() < deadline, env.batches()
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    env.check_anchored_once()


class RecordingAnchorer(Anchorer):
    """A real anchorer whose jobs also record when they run (and take ``busy`` seconds)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.busy = 0.15
        self.runs: list[tuple[str, float, float]] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def _record(self, name: str) -> None:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        start = time.monotonic()
        time.sleep(self.busy)
        with self._lock:
            self.active -= 1
            self.runs.append((name, start, time.monotonic()))

    def scheduled_seal(self) -> list[Any]:
        self._record("seal")
        return []

    def tick(self) -> TickSummary:
        self._record("tick")
        return TickSummary()


def _recording_scheduler(
    tmp_path: Any, interval: float
) -> tuple[Any, RecordingAnchorer, AnchorScheduler]:
    from anchor.store.db import Database

    db = Database.open(f"sqlite:///{tmp_path / 'a.sqlite'}")
    config = load_config(
        None, env={}, database_url=db.url, seal_interval_seconds=interval, chain_id=1,
        contract_address="0x" + "11" * 20,
    )  # fmt: skip
    anchorer = RecordingAnchorer(db, config, backups=False)
    scheduler = AnchorScheduler(anchorer, config)
    scheduler.scheduler.reschedule_job(TICK_JOB, trigger=IntervalTrigger(seconds=interval))
    return db, anchorer, scheduler


def test_jobs_never_overlap(tmp_path: Any) -> None:
    db, anchorer, scheduler = _recording_scheduler(tmp_path, 0.05)
    scheduler.start()
    try:
        time.sleep(1.0)
    finally:
        scheduler.shutdown()
        db.close()
    assert anchorer.max_active == 1  # one worker: seal and tick never run together
    assert {name for name, _, _ in anchorer.runs} == {"seal", "tick"}
    spans = sorted((s, e) for _, s, e in anchorer.runs)
    assert all(b[0] >= a[1] for a, b in itertools.pairwise(spans))
    job_defaults = scheduler.scheduler._job_defaults
    assert job_defaults["coalesce"] is True and job_defaults["max_instances"] == 1


def test_missed_runs_catch_up_once(tmp_path: Any) -> None:
    from datetime import UTC, datetime

    from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent

    db, anchorer, scheduler = _recording_scheduler(tmp_path, 0.3)
    anchorer.busy = 0.01
    events: list[tuple[int, str, datetime]] = []

    def listen(event: JobExecutionEvent) -> None:
        events.append((event.code, event.job_id, event.scheduled_run_time))

    scheduler.scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    scheduler.start()
    try:
        time.sleep(0.5)
        scheduler.scheduler.pause()
        time.sleep(0.1)
        paused_at = datetime.now(UTC)
        time.sleep(1.6)  # about five runs of each job missed
        resumed_at = datetime.now(UTC)
        scheduler.scheduler.resume()
        time.sleep(0.5)
    finally:
        scheduler.shutdown()
        db.close()
    assert not [e for e in events if e[0] == EVENT_JOB_MISSED]  # nothing skipped
    # runs that were due while paused: exactly one (coalesced) catch-up per job
    late = [job for code, job, when in events if paused_at < when < resumed_at]
    assert sorted(late) == [SEAL_JOB, TICK_JOB]


class FailingAnchorer(Anchorer):
    """Its tick fails the same way ``fail`` times, then works."""

    def __init__(self, *args: Any, fail: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fail = fail

    def tick(self) -> TickSummary:
        if self.fail > 0:
            self.fail -= 1
            raise RuntimeError("the registry has no code")
        return TickSummary()


def test_a_failing_job_logs_its_traceback_once_and_its_recovery_once(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from anchor.store.db import Database

    db = Database.open(f"sqlite:///{tmp_path / 'a.sqlite'}")
    config = load_config(
        None, env={}, database_url=db.url, chain_id=1, contract_address="0x" + "11" * 20
    )
    anchorer = FailingAnchorer(db, config, backups=False, fail=25)
    scheduler = AnchorScheduler(anchorer, config)
    run = scheduler._guard(scheduler._tick)
    try:
        with caplog.at_level("DEBUG", logger="anchor.scheduler"):
            for _ in range(30):
                run()
    finally:
        db.close()
    records = [r for r in caplog.records if r.name == "anchor.scheduler"]
    with_traceback = [r for r in records if r.exc_info]
    assert len(with_traceback) == 1 and "job tick failed" in with_traceback[0].getMessage()
    assert sum(r.levelname == "DEBUG" and "failed again" in r.getMessage() for r in records) == 24
    [recovered] = [r for r in records if "works again" in r.getMessage()]
    assert "25 failed runs" in recovered.getMessage()
    assert scheduler.last_error == "RuntimeError: the registry has no code"

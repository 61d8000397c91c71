"""Every stall is an alarm, raised once by a real ``anchor serve`` process on a real anvil and
cleared when the condition goes away. The tests poll the alarm table (state), never timing.

* the RPC stops (anvil stopped by PID) for longer than ``rpc_outage_alarm_seconds``;
* the registry address holds no code: from the start, or after a "chain reset" removed it —
  one alarm, no traceback storm in the log, anchoring resumes once the code is back;
* transactions stop being mined (``evm_setAutomine false``) for ``stall_alarm_seconds``;
* a standby's watchdog reports a stall and a flapping lease on its own (in-process).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from anchor.store import lease
from anchor.store.db import Database
from anchor.store.tx_models import (
    ALARM_ANCHORING_STALLED,
    ALARM_LEADER_FLAPPING,
    ALARM_REGISTRY_CODE,
    ALARM_RPC_UNREACHABLE,
    Alarm,
)
from tests.faults.service import Service, serving, wait_until
from tests.pipeline.helpers import Env, make_env

pytestmark = [pytest.mark.chain, pytest.mark.slow]

DEADLINE = 60.0


def rows(env: Env, kind: str) -> list[Alarm]:
    return [a for a in env.alarms(open_only=False) if a.kind == kind]


def is_open(env: Env, kind: str) -> bool:
    return any(a.resolved_at is None for a in rows(env, kind))


def resolved(env: Env, kind: str) -> bool:
    found = rows(env, kind)
    return bool(found) and all(a.resolved_at is not None for a in found)


def all_anchored(env: Env) -> bool:
    return sum(b.leaf_count for b in env.batches()) == env.ingested and env.all_in("final")


def until(service: Service, what: str, condition: Callable[[], bool]) -> None:
    """Wait up to DEADLINE for ``condition`` (state), failing at once if the service exits."""
    wait_until(condition, timeout=DEADLINE, what=what, service=service)


def tracebacks(service: Service) -> int:
    return service.output().count("Traceback (most recent call last)")


def test_an_rpc_outage_longer_than_configured_is_an_alarm_until_the_node_is_back(
    sqlite_url: str, anvil_factory: Any, restartable_registry: Any, tmp_path: Path
) -> None:
    reg = restartable_registry
    with serving(sqlite_url, reg, tmp_path, rpc_outage_alarm_seconds=2.0) as (env, service):
        env.ingest(20)
        until(service, "batch 1", lambda: all_anchored(env))
        anvil_factory.stop(reg.devnet)
        until(service, "rpc_unreachable", lambda: is_open(env, ALARM_RPC_UNREACHABLE))
        until(
            service, "the alarm counting up", lambda: rows(env, ALARM_RPC_UNREACHABLE)[0].count >= 2
        )
        anvil_factory.restart(reg.devnet)
        until(service, "rpc_unreachable resolved", lambda: resolved(env, ALARM_RPC_UNREACHABLE))
        [alarm] = rows(env, ALARM_RPC_UNREACHABLE)  # raised once, counted up, resolved
        assert alarm.count >= 2 and "the RPC has failed for" in alarm.message
        env.ingest(10)
        until(service, "batch 2", lambda: all_anchored(env))
        env.check_anchored_once()
        assert service.output().count("ALARM rpc_unreachable") == 1
        assert tracebacks(service) == 0


def test_a_registry_address_without_code_is_one_alarm_and_no_traceback_storm(
    sqlite_url: str, deployed_registry: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    no_code = {"contract_address": reg.stranger.address}
    with serving(sqlite_url, reg, tmp_path, leading=False, **no_code) as (env, service):
        until(service, "registry_code_missing at start", lambda: is_open(env, ALARM_REGISTRY_CODE))
        env.ingest(20)
        until(service, "sealed", lambda: len(env.batches()) == 1)
        count = rows(env, ALARM_REGISTRY_CODE)[0].count
        until(
            service,
            "several checks while the code is missing",
            lambda: rows(env, ALARM_REGISTRY_CODE)[0].count >= count + 3,
        )
        assert env.batch(1).state == "sealed" and env.attempts(1) == []
        assert len(rows(env, ALARM_REGISTRY_CODE)) == 1
        assert "0 bytes on chain" in rows(env, ALARM_REGISTRY_CODE)[0].message
        assert tracebacks(service) <= 1
        assert service.output().count("ALARM registry_code_missing") == 1


def test_a_chain_reset_that_removes_the_registry_stops_anchoring_quietly_until_it_is_back(
    sqlite_url: str, deployed_registry: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    with serving(sqlite_url, reg, tmp_path) as (env, service):
        env.ingest(20)
        until(service, "batch 1", lambda: all_anchored(env))
        code = reg.w3.to_hex(reg.w3.eth.get_code(reg.address))
        env.rpc("anvil_setCode", reg.address, "0x")  # the registry is gone
        env.ingest(15)
        until(
            service,
            "registry_code_missing after the reset",
            lambda: is_open(env, ALARM_REGISTRY_CODE),
        )
        count = rows(env, ALARM_REGISTRY_CODE)[0].count
        until(
            service,
            "several ticks while the code is missing",
            lambda: rows(env, ALARM_REGISTRY_CODE)[0].count >= count + 3,
        )
        assert env.batch(2).state == "sealed"
        assert tracebacks(service) <= 1
        env.rpc("anvil_setCode", reg.address, code)  # back (storage was never touched)
        until(
            service,
            "resolved and batch 2 anchored",
            lambda: resolved(env, ALARM_REGISTRY_CODE) and all_anchored(env),
        )
        env.check_anchored_once()
        assert tracebacks(service) <= 1


def test_transactions_not_mined_for_the_stall_time_is_an_alarm(
    sqlite_url: str, deployed_registry: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    with serving(sqlite_url, reg, tmp_path, stall_alarm_seconds=3.0) as (env, service):
        env.ingest(20)
        until(service, "batch 1", lambda: all_anchored(env))
        env.rpc("evm_setAutomine", False)
        env.ingest(10)
        until(service, "anchoring_stalled", lambda: is_open(env, ALARM_ANCHORING_STALLED))
        assert env.batch(2).state == "submitted"
        env.rpc("evm_setAutomine", True)
        env.rpc("evm_mine")
        until(
            service,
            "anchoring_stalled resolved",
            lambda: resolved(env, ALARM_ANCHORING_STALLED) and all_anchored(env),
        )
        env.check_anchored_once()
        assert service.output().count("ALARM anchoring_stalled") == 1


def test_a_standby_reports_a_stall_and_a_flapping_lease(
    db: Database, deployed_registry: Any
) -> None:
    """No leader ticks here: the watchdog a standby runs sees sealed batches that never become
    final, and a lease that changed hands four times in ten minutes."""
    from anchor.service.watchdog import FLAP_CHANGES, Watchdog

    env = make_env(db, deployed_registry, finality_depth=0, stall_alarm_seconds=1.0)
    watchdog = Watchdog(db, env.config)
    env.ingest(10)
    env.seal()
    watchdog.check(force=True)
    assert not is_open(env, ALARM_ANCHORING_STALLED)  # not yet: 1 s
    time.sleep(1.2)
    watchdog.check(force=True)
    assert is_open(env, ALARM_ANCHORING_STALLED)
    for i in range(FLAP_CHANGES + 1):
        taken = lease.acquire(db, f"host:{1000 + i}:x", 30.0)
        assert taken is not None
        lease.release(db, taken.holder or "", taken.epoch)
    watchdog.check(force=True)
    assert is_open(env, ALARM_LEADER_FLAPPING)
    env.tick_until(lambda: env.all_in("final"))
    watchdog.check(force=True)
    assert resolved(env, ALARM_ANCHORING_STALLED)
    assert len(rows(env, ALARM_ANCHORING_STALLED)) == 1  # raised once, counted up

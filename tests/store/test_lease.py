"""The leader lease on both backends: one holder at a time, a new epoch per acquisition, expiry
on the database's clock, renew only while ours, the fence, release, and the change history."""

from __future__ import annotations

import threading
import time

import pytest

from anchor.config import load_config
from anchor.errors import ConfigError
from anchor.store import lease
from anchor.store.db import Database
from tests.fixtures.schema import assert_models_match_migrated_schema
from tests.fixtures.threads import run_in_threads


def test_one_holder_at_a_time_and_a_new_epoch_per_acquisition(db: Database) -> None:
    assert lease.read_lease(db) is None
    first = lease.acquire(db, "h:1:a", 30.0)
    assert first is not None and first.epoch == 1 and first.holder == "h:1:a"
    assert first.pid == 1 and 29 < first.remaining <= 30
    assert lease.acquire(db, "h:2:b", 30.0) is None  # live: nobody else takes it
    assert lease.acquire(db, "h:1:a", 30.0) is None  # not even its holder (renew instead)
    assert lease.holds(db, "h:1:a", 1, 10.0)
    assert not lease.holds(db, "h:1:a", 1, 31.0)  # the margin: too little left
    assert not lease.holds(db, "h:2:b", 1, 0.0) and not lease.holds(db, "h:1:a", 2, 0.0)
    assert lease.release(db, "h:1:a", 1)
    freed = lease.read_lease(db)
    assert freed is not None and freed.expired and freed.pid is None
    second = lease.acquire(db, "h:2:b", 30.0)
    assert second is not None and second.epoch == 2
    assert not lease.holds(db, "h:1:a", 1, 0.0)
    assert not lease.release(db, "h:1:a", 1)  # not ours any more: nothing changes
    assert [(c.epoch, c.pid) for c in lease.lease_changes(db)] == [(1, 1), (2, 2)]


def test_expiry_is_the_databases_clock(db: Database) -> None:
    held = lease.acquire(db, "h:1:a", 1.0)
    assert held is not None
    assert lease.acquire(db, "h:2:b", 1.0) is None
    time.sleep(1.2)
    current = lease.read_lease(db)
    assert current is not None and current.expired and current.holder == "h:1:a"
    assert not lease.holds(db, "h:1:a", 1, 0.0)
    taken = lease.acquire(db, "h:2:b", 30.0)
    assert taken is not None and taken.epoch == 2
    # the old holder cannot renew what it lost, nor take it back
    assert lease.renew(db, "h:1:a", 1, 30.0) is None
    assert lease.acquire(db, "h:1:a", 30.0) is None
    renewed = lease.renew(db, "h:2:b", 2, 30.0)
    assert renewed is not None and renewed.epoch == 2


def test_a_lapsed_lease_nobody_took_is_renewed_at_the_same_epoch(db: Database) -> None:
    assert lease.acquire(db, "h:1:a", 1.0) is not None
    time.sleep(1.2)
    renewed = lease.renew(db, "h:1:a", 1, 30.0)
    assert renewed is not None and renewed.epoch == 1 and not renewed.expired


def test_concurrent_acquirers_one_wins(db_url: str) -> None:
    dbs = [Database.open(db_url) for _ in range(4)]
    won: list[int] = []
    barrier = threading.Barrier(len(dbs))

    def run(i: int, d: Database) -> None:
        barrier.wait()
        if lease.acquire(d, f"h:{i}:x", 30.0) is not None:
            won.append(i)

    run_in_threads(run, list(enumerate(dbs)))
    for d in dbs:
        d.close()
    assert len(won) == 1


def test_lease_models_match_the_migrated_schema(db: Database) -> None:
    assert_models_match_migrated_schema(db, (lease.LeaseRow, lease.LeaseChangeRow))


@pytest.mark.parametrize("value", ["0", "0.5", "31", "nan", "-4", "abc"])
def test_a_bad_lease_is_a_one_line_config_error(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, env={"ANCHOR_LEADER_LEASE_SECONDS": value})
    assert "leader_lease_seconds" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("key", ["RPC_OUTAGE_ALARM_SECONDS", "STALL_ALARM_SECONDS"])
def test_alarm_times_must_be_positive(key: str) -> None:
    with pytest.raises(ConfigError, match=key.lower()):
        load_config(None, env={f"ANCHOR_{key}": "0"})
    assert load_config(None, env={}).leader_lease_seconds == 15.0

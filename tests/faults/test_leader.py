"""Several anchorers on one PostgreSQL database: exactly one anchors; when it is killed with
SIGKILL another takes over within 30 s, and nothing is anchored twice."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from anchor.store.db import Database
from tests.faults.service import Service, wait_until, write_config
from tests.pipeline.helpers import make_env

pytestmark = [pytest.mark.chain, pytest.mark.postgres, pytest.mark.slow]

LEADING = re.compile(r"now the anchorer \(pid (\d+)\)")


def leader_pids(*services: Service) -> list[int]:
    return [s.pid for s in services if LEADING.search(s.output())]


def test_a_standby_takes_over_within_30_s_when_the_leader_is_killed(
    postgres_url: str, deployed_registry: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    db = Database.open(postgres_url)
    services: list[Service] = []
    try:
        env = make_env(db, reg, finality_depth=0)
        config = write_config(tmp_path / "anchor.toml", reg, db.url)
        key = reg.devnet.accounts[1].private_key
        services = [
            Service(config, key_hex=key, log=tmp_path / f"anchorer-{i}.log") for i in range(3)
        ]
        wait_until(lambda: len(leader_pids(*services)) == 1, timeout=30, what="a leader")
        env.ingest(100)
        wait_until(lambda: env.all_in("final"), timeout=30, what="batch 1 final")
        time.sleep(1.0)
        assert len(leader_pids(*services)) == 1  # still exactly one
        [leader] = [s for s in services if s.pid in leader_pids(*services)]
        standbys = [s for s in services if s is not leader]

        assert all("standing by" in s.output() for s in standbys)
        assert leader_pids(*standbys) == []

        leader.kill()
        killed_at = time.monotonic()
        wait_until(
            lambda: len(leader_pids(*standbys)) == 1, timeout=30, what="a standby taking over"
        )
        takeover = time.monotonic() - killed_at
        assert takeover < 30
        env.ingest(60)
        wait_until(
            lambda: (
                sum(b.leaf_count for b in env.batches()) == env.ingested and env.all_in("final")
            ),
            timeout=30,
            what="the backlog anchored by the new leader",
        )
        env.check_anchored_once()
        assert reg.w3.eth.get_transaction_count(reg.anchorer.address) == len(env.batches())
        print(f"takeover after SIGKILL: {takeover:.1f} s")
    finally:
        for service in services:
            service.stop()
        db.close()

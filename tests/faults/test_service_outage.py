"""The running service (a real child process) rides out an RPC outage: records keep being
sealed while anvil is down, and the backlog is anchored once it is back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.faults.service import serving, wait_until
from tests.faults.test_chain_faults import OUTAGE_SECONDS

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_service_survives_an_rpc_outage(
    backend: str, make_db_url: Any, anvil_factory: Any, restartable_registry: Any, tmp_path: Path
) -> None:
    devnet = restartable_registry.devnet
    db_url = make_db_url(backend)
    with serving(db_url, restartable_registry, tmp_path, leading=False) as (env, service):
        env.ingest(50)
        wait_until(lambda: env.all_in("final"), timeout=30, what="batch 1 final", service=service)
        anvil_factory.stop(devnet)
        env.ingest(40)  # arrives during the outage: sealed, not anchored
        wait_until(
            lambda: len(env.batches()) == 2, timeout=30, what="batch 2 sealed", service=service
        )
        time.sleep(OUTAGE_SECONDS)
        assert env.batch(2).state == "sealed" and service.process.poll() is None
        anvil_factory.restart(devnet)
        wait_until(
            lambda: env.all_in("final"), timeout=60, what="backlog anchored", service=service
        )
        env.check_anchored_once()
        assert "chain unavailable" in service.output()

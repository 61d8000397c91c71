"""The running service (a real child process) rides out an RPC outage: records keep being
sealed while anvil is down, and the backlog is anchored once it is back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from anchor.store.db import Database
from tests.faults.service import Service, wait_until, write_config
from tests.faults.test_chain_faults import OUTAGE_SECONDS
from tests.pipeline.helpers import make_env

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_service_survives_an_rpc_outage(
    backend: str, make_db_url: Any, anvil_factory: Any, deploy_registry_on: Any, tmp_path: Path
) -> None:
    devnet = anvil_factory.start(state_file=str(tmp_path / "state.json"))
    reg = deploy_registry_on(devnet)
    db = Database.open(make_db_url(backend))
    service = None
    try:
        env = make_env(db, reg, finality_depth=0)
        config = write_config(tmp_path / "anchor.toml", reg, db.url)
        service = Service(config, key_hex=devnet.accounts[1].private_key, log=tmp_path / "s.log")
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
    finally:
        if service is not None:
            assert service.stop() == 0, service.output()[-3000:]
        db.close()

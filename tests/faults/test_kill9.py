"""kill -9 of the service at every step, then a restart: every record anchored exactly once,
no batch anchored twice, no transaction wasted, nothing lost (SQLite and PostgreSQL).

The service runs as a real child process (``python -m anchor.cli serve --role anchorer``);
``ANCHOR_CRASH_AT=<step>`` makes it SIGKILL itself at that step, and it is restarted without.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from anchor.service.crash import CRASH_STEPS
from anchor.store.db import Database
from tests.faults.service import Service, wait_until, write_config
from tests.pipeline.helpers import make_env

pytestmark = [pytest.mark.chain, pytest.mark.slow]


@pytest.mark.parametrize("step", CRASH_STEPS)
def test_kill_9_at_every_step_then_restart(
    step: str, backend: str, make_db_url: Any, deployed_registry: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    db = Database.open(make_db_url(backend))
    try:
        env = make_env(db, reg, finality_depth=0)
        env.ingest(120)
        # one service at a time here: a short lease lets the restart take over from the killed
        # process in seconds instead of the default 15 (what is tested is the same)
        config = write_config(tmp_path / "anchor.toml", reg, db.url, leader_lease_seconds=3.0)
        key_hex = reg.devnet.accounts[1].private_key
        first = Service(config, key_hex=key_hex, log=tmp_path / "first.log", crash_at=step)
        code = first.wait(60)
        assert code == -signal.SIGKILL, first.output()[-3000:]
        assert f"crash hook: SIGKILL at {step}" in first.output()
        check_state_after_crash(env, step)

        env.ingest(80)  # more records arrive while it is down
        second = Service(config, key_hex=key_hex, log=tmp_path / "second.log")
        try:
            wait_until(
                lambda: (
                    sum(b.leaf_count for b in env.batches()) == env.ingested and env.all_in("final")
                ),
                timeout=60,
                what="every record in a final batch",
                service=second,
            )
        finally:
            assert second.stop() == 0, second.output()[-3000:]
        env.check_anchored_once()
        for log in (first.output(), second.output()):  # the key never reaches a log
            assert key_hex.removeprefix("0x").lower() not in log.lower()
        # not one wasted transaction: the anchorer's nonce equals the number of batches
        sent = reg.w3.eth.get_transaction_count(reg.anchorer.address)
        assert sent == len(env.batches())
        assert env.alarms() == []
    finally:
        db.close()


def check_state_after_crash(env: Any, step: str) -> None:
    """The database and the chain are where a crash at ``step`` must leave them."""
    [batch] = env.batches()  # the first tick sealed everything pending, then crashed
    mined = env.w3.eth.get_transaction_count(env.reg.anchorer.address)
    attempts = env.attempts(batch.id)
    if step == "after_seal":
        assert batch.state == "sealed" and attempts == [] and mined == 0
    elif step == "after_sign":
        assert batch.state == "submitted" and len(attempts) == 1
        assert attempts[0].broadcast_count == 0 and mined == 0  # stored, never sent
    elif step == "after_broadcast":
        assert batch.state == "submitted" and attempts[0].broadcast_count == 0
        assert mined == 1  # sent (and mined by anvil) but not recorded as sent
    elif step == "after_receipt":
        assert batch.state == "submitted" and attempts[0].broadcast_count == 1 and mined == 1
    elif step == "after_include":
        assert batch.state == "included" and mined == 1
    else:  # pragma: no cover - a new step needs its expectations here
        raise AssertionError(step)

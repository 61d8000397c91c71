"""``anchor serve`` as a real process: the API and the anchorer together; ``POST /v1/seal``;
``GET /v1/alarms``; one anchorer per database (a lease in the database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from anchor.core.samples import sample_record_objs
from anchor.service.leader import LeaseLeader, make_leadership
from anchor.store.db import Database
from anchor.store.lease import lease_changes, read_lease
from tests.api.server import free_port
from tests.faults.service import Service, wait_api, wait_until, write_config
from tests.pipeline.helpers import make_env

pytestmark = pytest.mark.chain

API_KEY = "test-operator-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def api_config(reg: Any, db_url: str, tmp_path: Path) -> tuple[int, Path]:
    """A free port for the API and a config with its key; records are sealed on demand only."""
    config = write_config(
        tmp_path / "anchor.toml", reg, db_url, seal_size_trigger=10**9, api_key=API_KEY
    )
    return free_port(), config


def test_serve_all_ingests_seals_on_demand_and_anchors(
    db_url: str, deployed_registry: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    port, config = api_config(reg, db_url, tmp_path)
    service = Service(
        config, role="all", key_hex=reg.devnet.accounts[1].private_key,
        log=tmp_path / "serve.log", port=port,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            wait_api(client, service)
            body = "\n".join(json.dumps(r) for r in sample_record_objs(150, seed=7)).encode()
            answer = client.post(
                "/v1/records/bulk",
                content=body,
                headers={**AUTH, "Content-Type": "application/x-ndjson"},
            )
            assert answer.status_code == 201, answer.text
            assert client.post("/v1/seal").status_code == 401  # operator only
            sealed = client.post("/v1/seal", headers=AUTH)
            assert sealed.status_code == 200, sealed.text
            assert sealed.json()["sealed"][0]["leaf_count"] == 150
            assert sealed.json()["anchoring"] == "now"

            def final() -> bool:
                batches = client.get("/v1/batches").json()["batches"]
                return len(batches) == 1 and batches[0]["state"] == "final"

            wait_until(final, timeout=30, what="batch 1 final", service=service)
            [batch] = client.get("/v1/batches").json()["batches"]
            assert batch["tx_hash"] and batch["block_number"] is not None
            assert reg.client.root_of(1).hex() == batch["root"][2:]
            assert client.get("/v1/alarms").status_code == 401
            alarms = client.get("/v1/alarms", headers=AUTH)
            assert alarms.status_code == 200 and alarms.json() == {"alarms": [], "open": 0}
    finally:
        assert service.stop() == 0, service.output()[-3000:]


def test_the_lease_allows_one_anchorer(db: Database) -> None:
    """Both backends: one leader; a second gets the lease once the first releases it, and the
    first's fence fails from then on."""
    first, second = make_leadership(db), make_leadership(db)
    try:
        assert isinstance(first, LeaseLeader)
        assert first.try_acquire() and first.is_leader() and first.holds()
        assert not second.try_acquire() and not second.is_leader() and not second.holds()
        held = read_lease(db)
        assert held is not None and held.holder == first.holder and held.epoch == first.epoch
        first.release()
        assert second.try_acquire() and second.holds()
        assert not first.try_acquire() and not first.holds()
        now = read_lease(db)
        assert now is not None and now.holder == second.holder and now.epoch == 2
    finally:
        first.release()
        second.release()


def test_a_lost_lease_fails_the_fence_and_steps_down(db: Database) -> None:
    """A leader whose lease ran out and was taken (as after SIGSTOP) fails the fence and stands
    by; its heartbeat cannot take it back."""
    old = LeaseLeader(db, lease_seconds=1.0)
    new = LeaseLeader(db, lease_seconds=30.0)
    try:
        assert old.try_acquire()
        old._stop.set()  # a stalled process: no heartbeat
        wait_until(lambda: new.try_acquire(), timeout=30, what="the lease to run out")
        assert not old.holds() and old.epoch is None and not old.is_leader()
        assert not old.try_acquire()
        held = read_lease(db)
        assert held is not None and held.holder == new.holder and held.epoch == 2
    finally:
        old.release()
        new.release()


def test_cli_batches_and_alarms(db: Any, deployed_registry: Any, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from anchor.cli import app

    env = make_env(db, deployed_registry, finality_depth=0)
    env.ingest(30)
    env.seal()
    env.reg.anchor(1, b"\x07" * 32, 3)  # a different root: an alarm
    env.ingest(10)
    env.seal()
    env.tick_until(lambda: env.batch(2).state == "final")
    runner = CliRunner()
    envvars = {"ANCHOR_DATABASE_URL": db.url}
    result = runner.invoke(app, ["batches", "--json"], env=envvars)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["id"], r["state"], r["anchor"]) for r in rows] == [
        (2, "final", "final"),
        (1, "sealed", "conflict"),
    ]
    table = runner.invoke(app, ["batches"], env=envvars)
    assert table.exit_code == 0 and "conflict" in table.output
    alarms = runner.invoke(app, ["alarms", "--json"], env=envvars)
    assert alarms.exit_code == 1  # open alarms
    [alarm] = [json.loads(line) for line in alarms.output.splitlines()]
    assert alarm["kind"] == "root_mismatch" and alarm["batch_id"] == 1
    resolved = runner.invoke(app, ["alarms", "--resolve", str(alarm["id"])], env=envvars)
    assert resolved.exit_code == 0, resolved.output


def test_api_and_anchorer_in_separate_processes(
    db_url: str, deployed_registry: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    port, config = api_config(reg, db_url, tmp_path)
    key = reg.devnet.accounts[1].private_key
    api = Service(config, role="api", key_hex=key, log=tmp_path / "api.log", port=port)
    anchorer = Service(config, role="anchorer", key_hex=key, log=tmp_path / "anchorer.log")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_api(client, api)
            record = next(iter(sample_record_objs(1, seed=3)))
            assert client.post("/v1/records", json=record, headers=AUTH).status_code == 201
            sealed = client.post("/v1/seal", headers=AUTH).json()
            assert sealed["anchoring"] == "next anchorer tick"

            def final() -> bool:
                batches = client.get("/v1/batches").json()["batches"]
                return len(batches) == 1 and batches[0]["state"] == "final"

            wait_until(final, timeout=30, what="anchored by the other process", service=anchorer)
        with Database(db_url) as db:  # who anchored, from the lease's history (state)
            assert [c.pid for c in lease_changes(db)] == [anchorer.pid]  # never the API
    finally:
        assert api.stop() == 0, api.output()[-3000:]
        assert anchorer.stop() == 0, anchorer.output()[-3000:]

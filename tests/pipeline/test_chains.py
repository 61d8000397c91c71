"""Several chains (issue 18) on two real anvils of different chain ids: every batch anchored
on both, each by its own transaction manager; the batch's own state is its most advanced
anchor; per-chain state in ``anchor batches --json``; cadence; a reorg on one chain only."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.config import load_config
from anchor.config_chains import chains_of
from anchor.errors import ConfigError
from tests.pipeline.helpers import make_two_chain_env

pytestmark = pytest.mark.chain


def test_every_batch_is_anchored_on_both_chains(db: Any, two_chains: Any) -> None:
    a, b = two_chains.a, two_chains.b
    assert a.chain_id != b.chain_id
    env = make_two_chain_env(db, a, b, finality_depth=0)
    env.ingest(40)
    env.seal()
    env.ingest(25)
    env.seal()
    env.tick_until(lambda: env.jobs_in(a.chain_id, "final") and env.jobs_in(b.chain_id, "final"))
    env.check_anchored_once(a)
    env.check_anchored_once(b)
    assert all(b_.state == "final" for b_ in env.batches())
    # each chain has its own nonces: two transactions from the anchorer on each
    for reg in (a, b):
        assert reg.w3.eth.get_transaction_count(reg.anchorer.address) == 2
        for job in env.txs(reg.chain_id):
            assert job.contract.lower() == reg.address.lower()
            assert [x.chain_id for x in env.attempts(job.batch_id, reg.chain_id)] == [reg.chain_id]
    # a tick reports every chain by name
    report = env.tick()
    assert set(report) == {"a", "b"}


def test_batches_json_shows_each_chain(db: Any, two_chains: Any) -> None:
    from anchor.cli.service import _batch_rows

    a, b = two_chains.a, two_chains.b
    env = make_two_chain_env(db, a, b, finality_depth=0)
    env.ingest(10)
    env.seal()
    env.tick_until(lambda: env.jobs_in(a.chain_id, "final") and env.jobs_in(b.chain_id, "final"))
    env.tick()  # the operations step is not run by tick(): costs are read on the next line
    from anchor.service.operations import Operations

    ops = Operations(db, env.config)
    ops._costs(env.anchorer)
    [row] = _batch_rows(db, 10, env.config)
    assert [c["name"] for c in row["chains"]] == ["a", "b"]
    for c, reg in zip(row["chains"], (a, b), strict=True):
        assert c["chain_id"] == reg.chain_id and c["state"] == "final"
        receipt = reg.w3.eth.get_transaction_receipt(c["tx_hash"])
        assert c["block_number"] == receipt["blockNumber"]
        assert c["gas_used"] == receipt["gasUsed"]
        assert c["fee_wei"] == receipt["gasUsed"] * receipt["effectiveGasPrice"]
    # /metrics: gas, fees and jobs per chain
    from anchor.service.metrics import DatabaseCollector

    samples = {
        (s.name, s.labels.get("chain"), s.labels.get("state")): s.value
        for metric in DatabaseCollector(db, env.config).collect()
        for s in metric.samples
    }
    for c in row["chains"]:
        assert samples[("anchor_chain_gas_used_total", c["name"], None)] == c["gas_used"]
        assert samples[("anchor_chain_fees_paid_eth_total", c["name"], None)] == pytest.approx(
            c["fee_wei"] / 1e18
        )
        assert samples[("anchor_chain_jobs", c["name"], "final")] == 1


def test_a_reorg_on_one_chain_re_anchors_there_only(db: Any, two_chains: Any) -> None:
    a, b = two_chains.a, two_chains.b
    env = make_two_chain_env(db, a, b, finality_depth=10)
    env.ingest(30)
    env.seal()
    env.tick_until(
        lambda: env.jobs_in(a.chain_id, "included") and env.jobs_in(b.chain_id, "included")
    )
    before_a, before_b = env.tx(1, a.chain_id), env.tx(1, b.chain_id)
    env.rpc("evm_mine")  # env.rpc speaks to chain a
    env.rpc("anvil_reorg", 2, [])
    assert a.client.root_of(1) == b"\x00" * 32
    env.tick_until(lambda: env.tx(1, a.chain_id).reorgs >= 1)
    env.tick_until(lambda: env.tx(1, a.chain_id).state == "included")
    after_a, after_b = env.tx(1, a.chain_id), env.tx(1, b.chain_id)
    assert after_a.block_hash != before_a.block_hash
    assert after_a.tx_hash == before_a.tx_hash  # the same stored bytes, re-broadcast
    # chain b never noticed: same block, no reorg, one transaction
    assert (after_b.block_hash, after_b.reorgs, after_b.state) == (
        before_b.block_hash,
        0,
        "included",
    )
    assert b.w3.eth.get_transaction_count(b.anchorer.address) == 1
    env.check_anchored_once(a)
    env.check_anchored_once(b)


def test_cadence_anchors_in_groups(db: Any, two_chains: Any) -> None:
    a, b = two_chains.a, two_chains.b
    env = make_two_chain_env(db, a, b, finality_depth=0, b_extra={"every": 3})
    for _ in range(2):
        env.ingest(5)
        env.seal()
    env.tick_until(lambda: env.jobs_in(a.chain_id, "final"))
    for _ in range(3):
        env.tick()
    assert env.txs(b.chain_id) == []  # 2 batches of a group of 3: chain b waits
    env.ingest(5)
    env.seal()
    env.tick_until(lambda: env.jobs_in(b.chain_id, "final"))
    env.check_anchored_once(b)
    env.ingest(5)
    env.seal()  # batch 4 starts the next group
    env.tick_until(lambda: env.tx(4, a.chain_id).state == "final")
    assert {t.batch_id for t in env.txs(b.chain_id)} == {1, 2, 3}


def test_chain_tables_inherit_and_are_checked(tmp_path: Any) -> None:
    path = tmp_path / "anchor.toml"
    path.write_text(
        'rpc_url = "http://127.0.0.1:1"\nprivate_key_env = "K"\nfinality_depth = 3\n'
        '[[chains]]\nname = "l2"\nchain = "base"\ncontract_address = "0x' + "11" * 20 + '"\n'
        '[[chains]]\nname = "dev"\nchain_id = 31338\nevery = 4\n'
        'contract_address = "0x' + "22" * 20 + '"\n'
    )
    cfg = load_config(path, env={})
    l2, dev = chains_of(cfg)
    assert (l2.name, l2.chain_id, l2.rpc_url, l2.private_key_env) == (
        "l2",
        8453,
        "http://127.0.0.1:1",
        "K",
    )
    assert l2.finality_depth is None  # the table's profile (the finalized tag) ...
    assert dev.finality_depth == 3  # ... else the top level
    assert (dev.chain_id, dev.every, dev.explorer_base_url) == (31338, 4, None)
    single = chains_of(load_config(None, env={}, chain_id=5, contract_address="0x" + "33" * 20))
    assert len(single) == 1 and single[0].chain_id == 5
    for bad, message in (
        ('[[chains]]\nname = "x"\nchain_id = 1\n[[chains]]\nname = "x"\nchain_id = 2\n', "twice"),
        ('[[chains]]\nname = "x"\nchain_id = 1\n[[chains]]\nname = "y"\nchain_id = 1\n', "twice"),
        ('[[chains]]\nname = "x"\nchain_id = 1\nevery = 0\n', "every"),
        ('[[chains]]\nname = "x"\nrpc = "typo"\n', "unknown keys"),
        ('[[chains]]\nname = "x"\nchain = "base"\nchain_id = 1\n', "contradicts"),
    ):
        path.write_text(bad)
        with pytest.raises(ConfigError, match=message):
            load_config(path, env={})


def test_the_proof_of_a_record_lists_both_anchors_and_verifies(
    db: Any, two_chains: Any, tmp_path: Any
) -> None:
    import json

    from typer.testing import CliRunner

    from anchor.api.proofs import Viewer, load_proof
    from anchor.cli import app
    from anchor.core.proof import FORMAT_V2, parse_bundle
    from anchor.verifier.trust import TrustStore

    a, b = two_chains.a, two_chains.b
    env = make_two_chain_env(db, a, b, finality_depth=0)
    env.ingest(12)
    env.seal()
    env.tick_until(lambda: env.jobs_in(a.chain_id, "final"))
    two_chains.factory.stop(b.devnet)  # chain b has not anchored yet: the bundle says pending
    from anchor.core.samples import sample_record_objs

    record_id = next(iter(sample_record_objs(12, seed=1, id_prefix="s1-")))["record_id"]
    early = parse_bundle(load_proof(db, record_id, Viewer(operator=True), env.config).body or b"")
    assert early.format == FORMAT_V2
    assert [(x.chain_id, x.status) for x in early.anchors] in (
        [(a.chain_id, "final"), (b.chain_id, "pending")],
        [(a.chain_id, "final"), (b.chain_id, "final")],  # b was quicker than the stop
    )
    two_chains.factory.restart(b.devnet)
    env.tick_until(lambda: env.jobs_in(b.chain_id, "final"), timeout=60)
    body = load_proof(db, record_id, Viewer(operator=True), env.config).body
    assert body is not None
    bundle = parse_bundle(body)
    assert [(x.chain_id, x.status) for x in bundle.anchors] == [
        (a.chain_id, "final"),
        (b.chain_id, "final"),
    ]
    assert json.loads(body)["anchors"][1]["contract"] == b.address.lower()
    store = TrustStore.load()
    for name, reg in (("A", a), ("B", b)):
        store = store.add(reg.chain_id, reg.address, name)
    store.save()
    path = tmp_path / "proof.json"
    path.write_bytes(body)
    args = ["verify", str(path), "--rpc", a.rpc_url, "--rpc", b.rpc_url, "--finality-depth", "0"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "2 of the 2 anchors hold" in out.output


def test_the_explorer_audits_each_chain(db: Any, two_chains: Any) -> None:
    from anchor.errors import InputError
    from anchor.service.audit import collect_anchors

    a, b = two_chains.a, two_chains.b
    env = make_two_chain_env(db, a, b, finality_depth=0)
    for _ in range(2):
        env.ingest(7)
        env.seal()
    env.tick_until(lambda: env.jobs_in(a.chain_id, "final") and env.jobs_in(b.chain_id, "final"))
    for name, reg in (("a", a), ("b", b)):
        report = collect_anchors(db, env.config, chain=name, max_age=0)
        assert report.error is None and report.chain_id == reg.chain_id
        assert report.contract is not None and report.contract.lower() == reg.address.lower()
        assert [r.status for r in report.anchors] == ["ok", "ok"], report.anchors
        for row in report.anchors:
            job = env.tx(row.batch_id, reg.chain_id)
            assert row.chain is not None and row.chain.tx_hash == job.tx_hash
    with pytest.raises(InputError, match="no chain named"):
        collect_anchors(db, env.config, chain="c")


def test_config_show_redacts_each_chains_rpc_url(tmp_path: Any) -> None:
    import json

    from anchor.cli.config import redacted

    path = tmp_path / "anchor.toml"
    path.write_text(
        '[[chains]]\nname = "a"\nchain_id = 5\nrpc_url = "https://a.example/v3/KEY-A"\n'
        '[[chains]]\nname = "b"\nchain_id = 6\nrpc_url = "https://b.example/?apikey=KEY-B"\n'
    )
    shown = redacted(load_config(path, env={}))
    assert [c["name"] for c in shown["chains"]] == ["a", "b"]
    assert "KEY-" not in json.dumps(shown)

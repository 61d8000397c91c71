"""Restore into an empty SQLite and PostgreSQL database, checked against a real anvil."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from anchor.backup.bundle import content_name, decode_bundle, encode_bundle
from anchor.backup.jobs import run_backups
from anchor.backup.layout import bundle_key
from anchor.backup.restore import RestoreRefused, restore
from anchor.backup.source import iso_utc
from anchor.backup.targets import DirectoryTarget
from anchor.config import Config
from anchor.core.merkle import verify_proof
from anchor.service.seal import get_proof_material
from anchor.store.db import Database
from tests.backup.helpers import anchor, bundle_files, fill, view

pytestmark = pytest.mark.chain

TABLES = {
    "records": "SELECT seq, record_id, kind, version, canonical, content_hash, leaf, received_at"
    " FROM records ORDER BY seq",
    "accounts": "SELECT account_id, salt, commitment FROM accounts ORDER BY account_id",
    "record_accounts": "SELECT account_id, seq FROM record_accounts ORDER BY seq, account_id",
    "batches": "SELECT id, root, leaf_count, first_seq, last_seq, chunk_nodes FROM batches ORDER BY id",
    "tree_chunks": "SELECT batch_id, chunk_no, data FROM tree_chunks ORDER BY batch_id, chunk_no",
}


def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with db.connect(write=False) as conn:
        for name, sql in TABLES.items():
            out[name] = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                for r in conn.execute(sa.text(sql)).all()
            ]
    out["records"] = [(*r[:7], iso_utc(r[7])) for r in out["records"]]
    return out


def _backed_up(db: Database, reg: Any, two_targets: Any, sizes: list[int]) -> list[Any]:
    batches = fill(db, sizes)
    anchor(reg, db, batches)
    cfg = Config(backup_targets=tuple(str(t.root) for t in two_targets), backup_plaintext=True)
    assert run_backups(db, cfg).ok
    return batches


@pytest.mark.parametrize("into", ["sqlite", "postgresql"])
def test_restore_rebuilds_the_database_and_its_proofs_verify_on_chain(
    deployed_registry: Any, two_targets: Any, make_db_url: Callable[[str], str], into: str
) -> None:
    reg = deployed_registry
    with Database.open(make_db_url("sqlite")) as live:
        batches = _backed_up(live, reg, two_targets, [37, 1, 64])
        expected = _dump(live)
    shutil.rmtree(two_targets[1].root)  # one copy is enough
    with Database.open(make_db_url(into)) as fresh:
        report = restore(fresh, [two_targets[1], two_targets[0]], view(reg))
        assert report.batches == (1, 2, 3) and report.records == 102 and not report.chain_only
        assert any("unavailable" in n for n in report.notes)
        assert _dump(fresh) == expected
        with fresh.connect(write=False) as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT id, state, tx_hash, block_number, chain_id, contract FROM batches ORDER BY id"
                )
            ).all()
        assert [r.state for r in rows] == ["final"] * 3
        assert all(r.tx_hash and r.block_number and r.chain_id == reg.chain_id for r in rows)
        assert {r.contract for r in rows} == {reg.address}
        # proofs served from the restored database verify, on chain, for every record
        for rid in ("bal-000000", "trd-000004", "bal-000037", "bal-000101"):
            m = get_proof_material(fresh, rid)
            assert verify_proof(batches[m.batch.id - 1].root, m.leaf, list(m.proof))
            assert reg.client.verify(m.batch.id, list(m.proof), m.leaf)


def test_restore_refuses_a_bundle_whose_root_is_not_on_chain(
    deployed_registry: Any, two_targets: Any, make_db_url: Callable[[str], str], tmp_path: Path
) -> None:
    reg = deployed_registry
    with Database.open(make_db_url("sqlite")) as live:
        _backed_up(live, reg, two_targets, [9, 9])
    # a forger rewrites batch 2 with one amount changed, and names the file correctly
    forged_dir = tmp_path / "forged"
    forged_dir.mkdir()
    forged = DirectoryTarget(forged_dir)
    for f in bundle_files(two_targets[0].root):
        bundle = decode_bundle(f.read_bytes())
        if bundle.batch_id == 2:
            recs = list(bundle.records)
            i = next(i for i, r in enumerate(recs) if b'"balance"' in r)
            obj = orjson.loads(recs[i])
            obj["available"] = "999999999"
            recs[i] = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
            bundle = type(bundle)(**{**bundle.__dict__, "records": recs})
        data = encode_bundle(bundle)
        forged.put(bundle_key(bundle.batch_id, content_name(data)), data)
    with Database.open(make_db_url("sqlite")) as fresh:
        with pytest.raises(RestoreRefused, match=r"batch 2.*recomputed root differs"):
            restore(fresh, [forged], view(reg))
        with fresh.connect(write=False) as conn:
            assert conn.execute(sa.text("SELECT id FROM batches")).scalars().all() == [1]
            assert conn.execute(sa.text("SELECT MAX(seq) FROM records")).scalar() == 9
    # with the honest copy as a second source the forged one is refused and the honest accepted
    with Database.open(make_db_url("sqlite")) as fresh:
        report = restore(fresh, [forged, two_targets[1]], view(reg))
        assert report.batches == (1, 2)
        assert any("batch 2" in r and "root differs" in r for r in report.refused)
    # a non-empty database is refused
    with Database.open(make_db_url("sqlite")) as used:
        fill(used, [3])
        with pytest.raises(RestoreRefused, match="not empty"):
            restore(used, [two_targets[0]], view(reg))


def test_unanchored_batches_are_reported_not_restored(
    deployed_registry: Any, two_targets: Any, make_db_url: Callable[[str], str]
) -> None:
    reg = deployed_registry
    with Database.open(make_db_url("sqlite")) as live:
        batches = fill(live, [5, 6])
        anchor(reg, live, batches[:1])
        assert (
            run_backups(
                live, Config(backup_targets=(str(two_targets[0].root),), backup_plaintext=True)
            ).missing
            == 0
        )
    with Database.open(make_db_url("sqlite")) as fresh:
        report = restore(fresh, [two_targets[0]], view(reg))
    assert report.batches == (1,) and report.unanchored == (2,)


def test_restore_command(
    deployed_registry: Any, two_targets: Any, make_db_url: Callable[[str], str], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from anchor.cli import app

    reg = deployed_registry
    with Database.open(make_db_url("sqlite")) as live:
        _backed_up(live, reg, two_targets, [7])
    env = {
        "ANCHOR_RPC_URL": reg.rpc_url,
        "ANCHOR_CHAIN_ID": str(reg.chain_id),
        "ANCHOR_CONTRACT_ADDRESS": reg.address,
    }
    runner = CliRunner()
    into = make_db_url("sqlite")
    args = ["restore", "--from", str(two_targets[0].root), "--into", into, "--json"]
    ok = runner.invoke(app, [*args, "--workers", "1"], env=env)
    assert ok.exit_code == 0, ok.output
    assert '"batches": [\n    1\n  ]' in ok.stdout
    # the same again: the database is no longer empty
    again = runner.invoke(app, [*args, "--workers", "1"], env=env)
    assert isinstance(again.exception, RestoreRefused) and again.exception.exit_code == 1


def test_proof_bundles_from_the_restored_database_verify_online(
    deployed_registry: Any, two_targets: Any, make_db_url: Callable[[str], str], tmp_path: Path
) -> None:
    """``anchor prove`` on the restored database, then ``anchor verify --rpc`` (the root,
    the anchoring transaction and its block are all read from the chain)."""
    from typer.testing import CliRunner

    from anchor.cli import app

    reg = deployed_registry
    with Database.open(make_db_url("sqlite")) as live:
        _backed_up(live, reg, two_targets, [12, 30])
    into = make_db_url("sqlite")
    with Database.open(into) as fresh:
        assert restore(fresh, [two_targets[0]], view(reg)).batches == (1, 2)
    runner = CliRunner()
    env = {"ANCHOR_RPC_URL": reg.rpc_url, "ANCHOR_CHAIN_ID": str(reg.chain_id),
           "ANCHOR_CONTRACT_ADDRESS": reg.address}  # fmt: skip
    for rid, account in (("bal-000020", "acct-6"), ("trd-000004", "acct-4")):
        proof = tmp_path / f"{rid}.json"
        made = runner.invoke(
            app,
            ["prove", rid, "--database-url", into, "--account", account, "-o", str(proof)],
            env=env,
        )
        assert made.exit_code == 0, made.output
        checked = runner.invoke(
            app,
            [
                "verify",
                str(proof),
                "--rpc",
                reg.rpc_url,
                "--contract",
                reg.address,
                "--finality-depth",
                "0",
            ],
            env=env,
        )
        assert checked.exit_code == 0, checked.output

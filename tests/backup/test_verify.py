"""``backup verify`` against a real chain: missing, unreadable, mismatching, ok."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from anchor.backup.bundle import content_name, decode_bundle, encode_bundle
from anchor.backup.jobs import run_backups
from anchor.backup.layout import bundle_key
from anchor.backup.verify import verify_targets
from anchor.config import Config
from anchor.store.db import Database
from tests.backup.helpers import anchor, bundle_files, fill, flip_byte, view

pytestmark = pytest.mark.chain


def _setup(reg: Any, two_targets: Any, db_path: Path, sizes: list[int]) -> list[Any]:
    with Database.open(f"sqlite:///{db_path}") as db:
        batches = fill(db, sizes)
        anchor(reg, db, batches)
        assert run_backups(
            db,
            Config(backup_targets=tuple(str(t.root) for t in two_targets), backup_plaintext=True),
        ).ok
    return batches


def test_verify_names_missing_unreadable_and_mismatching(
    deployed_registry: Any, two_targets: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    a, b = two_targets
    _setup(reg, two_targets, tmp_path / "live.sqlite", [11, 12, 13])
    clean = verify_targets([a, b], view(reg))
    assert clean.ok and [i.status for i in clean.items] == ["ok"] * 6

    files_a, files_b = bundle_files(a.root), bundle_files(b.root)
    flip_byte(files_a[0])  # batch 1 on a: one byte flipped
    files_b[1].unlink()  # batch 2 on b: gone
    # batch 3 on b: replaced by a well-formed, correctly named bundle with one amount changed
    bundle = decode_bundle(files_b[2].read_bytes())
    recs = list(bundle.records)
    i = next(i for i, r in enumerate(recs) if b'"balance"' in r)
    obj = orjson.loads(recs[i])
    obj["locked"] = "7"
    recs[i] = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    data = encode_bundle(type(bundle)(**{**bundle.__dict__, "records": recs}))
    files_b[2].chmod(0o644)
    files_b[2].unlink()
    b.put(bundle_key(3, content_name(data)), data)

    report = verify_targets([a, b], view(reg))
    got = {(i.target, i.batch_id): i.status for i in report.items}
    assert got == {
        (a.name, 1): "unreadable",
        (a.name, 2): "ok",
        (a.name, 3): "ok",
        (b.name, 1): "ok",
        (b.name, 2): "missing",
        (b.name, 3): "mismatching",
    }
    assert not report.ok and len(report.failures()) == 3


def test_verify_command_exit_codes_and_json(
    deployed_registry: Any, two_targets: Any, tmp_path: Path
) -> None:
    from anchor.cli import app

    reg = deployed_registry
    a, b = two_targets
    _setup(reg, two_targets, tmp_path / "live.sqlite", [6])
    env = {
        "ANCHOR_RPC_URL": reg.rpc_url,
        "ANCHOR_CHAIN_ID": str(reg.chain_id),
        "ANCHOR_CONTRACT_ADDRESS": reg.address,
        "ANCHOR_BACKUP_TARGETS": f"{a.root},{b.root}",
    }
    runner = CliRunner()
    ok = runner.invoke(app, ["backup", "verify", "--json", "--workers", "1"], env=env)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    flip_byte(bundle_files(b.root)[0])
    bad = runner.invoke(app, ["backup", "verify", "--json", "--workers", "1"], env=env)
    assert bad.exit_code == 1
    items = json.loads(bad.stdout)["items"]
    assert [(i["target"], i["status"]) for i in items if i["status"] != "ok"] == [
        (b.name, "unreadable")
    ]
    table = runner.invoke(app, ["backup", "verify", "--workers", "1"], env=env)
    assert table.exit_code == 1 and "unreadable" in table.stdout

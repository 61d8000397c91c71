"""Benchmark: back up, verify and restore a batch of N records (default 1,000,000).

Sets up a real pipeline: ingest N records into a SQLite file, seal them as one batch, start
anvil, deploy the registry, anchor the batch, write its bundle to two directory targets.
Then measures, printing seconds:

* ``backup``  — building the bundle from the database (leaves recomputed) and writing it
  to both targets (fsync, read back);
* ``verify``  — ``backup verify``: both copies read, hash-checked, one rebuilt and compared
  with ``rootOf`` on chain;
* ``restore`` — ``anchor restore`` into an empty SQLite (and PostgreSQL with ``--pg``):
  read, verify against the chain, write records, accounts, links, batch, tree chunks.

Target: restore and verify of 1,000,000 records in <= 60 s.

    .venv/bin/python scripts/bench_restore.py [--n 1000000] [--workers 2] [--pg]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class Setup:
    workdir: Path
    db_url: str
    targets: list[Any]
    registry: Any  # tests.fixtures.chain.DeployedRegistry
    devnet: Any
    batch: Any
    keys: Any  # anchor.backup.crypto.BackupKeys: the bundles are encrypted, as in service


def records(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        if i % 5 == 4:
            yield {
                "kind": "trade", "version": 1, "record_id": f"trd-{i:08d}",
                "ts_ns": str(1_700_000_000_000_000_000 + i), "market": "BTC-USDT",
                "buyer": f"acct-{i % 50_000}", "seller": f"acct-{(i * 7 + 3) % 50_000}",
                "buy_order_id": f"o{i}b", "sell_order_id": f"o{i}s", "taker_side": "buy",
                "price": str(65_000_000 + i % 1000), "quantity": str(1 + i % 97),
                "buyer_fee": "12", "seller_fee": "-3",
            }  # fmt: skip
        else:
            yield {
                "kind": "balance", "version": 1, "record_id": f"bal-{i:08d}",
                "ts_ns": str(1_700_000_000_000_000_000 + i), "account": f"acct-{i % 50_000}",
                "asset": "USDT", "available": str(1_000_000 + i), "locked": str(i % 1000),
            }  # fmt: skip


@contextmanager
def timed(label: str, results: dict[str, float]) -> Iterator[None]:
    t = time.perf_counter()
    yield
    results[label] = time.perf_counter() - t
    print(f"{label:>28}: {results[label]:8.2f} s", flush=True)


@contextmanager
def prepared(n: int, results: dict[str, float]) -> Iterator[Setup]:
    """Everything up to (and including) the backup; cleaned up afterwards."""
    from anchor.backup.crypto import load_backup_keys, new_key_entry
    from anchor.backup.jobs import run_backups
    from anchor.backup.targets import DirectoryTarget
    from anchor.chain.devnet import start_devnet, stop_devnet
    from anchor.config import Config
    from anchor.service.ingest import ingest
    from anchor.service.seal import seal
    from anchor.store.db import Database
    from tests.backup.helpers import anchor
    from tests.fixtures.chain import deploy_on
    from tests.fixtures.paths import node_tool

    workdir = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    devnet = None
    try:
        url = f"sqlite:///{workdir / 'live.sqlite'}"
        with Database.open(url) as db:
            with timed(f"setup: ingest {n:,}", results):
                ingest(db, records(n), chunk_size=20_000)
            with timed("setup: seal", results):
                batch = seal(db)
            assert batch is not None
            devnet = start_devnet(workdir=workdir / "anvil", anvil=node_tool("anvil"))
            reg = deploy_on(devnet)
            anchor(reg, db, [batch])
            targets = []
            for name in ("target-a", "target-b"):
                (workdir / name).mkdir()
                targets.append(DirectoryTarget(workdir / name))
            # a key of the run's own (bundles are always encrypted), from the environment
            env = {"ANCHOR_BACKUP_KEYS": new_key_entry("bench")}
            os.environ.update(env)
            cfg = Config(backup_targets=tuple(str(t.root) for t in targets))
            keys = load_backup_keys(cfg, env)
            with timed("backup (bundle + 2 targets)", results):
                report = run_backups(db, cfg)
            assert report.ok, report
        size = sum(f.stat().st_size for f in (workdir / "target-a").rglob("*.bundle"))
        print(f"{'bundle size':>28}: {size / 1e6:8.1f} MB", flush=True)
        yield Setup(workdir, url, targets, reg, devnet, batch, keys)
    finally:
        if devnet is not None:
            stop_devnet(devnet)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=0, help="0: one per core")
    ap.add_argument("--pg", action="store_true", help="also restore into PostgreSQL")
    args = ap.parse_args()

    from anchor.backup.chainview import RegistryView
    from anchor.backup.leaves import default_workers
    from anchor.backup.restore import restore
    from anchor.backup.verify import verify_targets
    from anchor.store.db import Database

    workers = args.workers or default_workers()
    results: dict[str, float] = {}
    with prepared(args.n, results) as s:
        chain = RegistryView(s.registry.client, finality_depth=0)
        with timed("verify (2 targets)", results):
            report = verify_targets(s.targets, chain, workers=workers, keys=s.keys)
        assert report.ok, report.failures()
        restored_url = f"sqlite:///{s.workdir / 'restored.sqlite'}"
        with timed("restore into SQLite", results), Database.open(restored_url) as fresh:
            r = restore(fresh, s.targets[:1], chain, workers=workers, keys=s.keys)
        assert r.records == args.n
        if args.pg:
            from tests.fixtures.db import create_pg_database, drop_pg_database

            name, url = create_pg_database()
            try:
                with timed("restore into PostgreSQL", results), Database.open(url) as fresh:
                    restore(fresh, s.targets[:1], chain, workers=workers, keys=s.keys)
            finally:
                drop_pg_database(name)
        total = results["verify (2 targets)"] + results["restore into SQLite"]
        print(
            f"{'verify + restore (SQLite)':>28}: {total:8.2f} s  (target <= 60 s, n={args.n:,},"
            f" workers={workers})"
        )


if __name__ == "__main__":
    main()

"""Benchmark: ``anchor reconcile`` over a batch of N records (default 1,000,000).

Same setup as scripts/bench_restore.py (ingest, seal, anchor on anvil, back up to two
directory targets), then reconciles the live SQLite database against both targets and the
chain: a clean run, then again after altering one balance (which it must name).

Target: reconcile of 1,000,000 records in <= 30 s.

    .venv/bin/python scripts/bench_reconcile.py [--n 1000000] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=0, help="0: one per core")
    args = ap.parse_args()

    import sqlalchemy as sa
    from bench_restore import prepared, timed

    from anchor.backup.chainview import RegistryView
    from anchor.backup.leaves import default_workers
    from anchor.backup.reconcile import reconcile
    from anchor.store.db import Database

    workers = args.workers or default_workers()
    results: dict[str, float] = {}
    with prepared(args.n, results) as s:
        chain = RegistryView(s.registry.client, finality_depth=0)
        with Database.open(s.db_url) as db:
            with timed("reconcile (clean)", results):
                report = reconcile(db, s.targets, chain, workers=workers, keys=s.keys)
            assert report.ok and report.records == args.n, report.differences[:5]
            with db.connect() as conn:
                conn.execute(
                    sa.text(
                        'UPDATE records SET canonical = replace(canonical, \'"locked":"7"\','
                        " '\"locked\":\"8\"') WHERE record_id = 'bal-00000007'"
                    )
                )
            with timed("reconcile (one balance altered)", results):
                report = reconcile(db, s.targets, chain, workers=workers, keys=s.keys)
            found = [(d.kind, d.record_id, d.field) for d in report.differences]
            assert found == [("record_altered", "bal-00000007", "locked")], found
        print(
            f"{'reconcile':>28}: {results['reconcile (clean)']:8.2f} s  (target <= 30 s,"
            f" n={args.n:,}, workers={workers}, 2 targets)"
        )


if __name__ == "__main__":
    main()

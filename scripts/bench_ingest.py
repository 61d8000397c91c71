#!/usr/bin/env python3
"""Benchmark: bulk ingest (NDJSON lines → validated, idempotent, committed) in records/s.

    .venv/bin/python scripts/bench_ingest.py                 # 200k records, SQLite + PostgreSQL
    .venv/bin/python scripts/bench_ingest.py --n 1000000 --backend sqlite

Each backend gets a fresh database (SQLite: a temp file, WAL, synchronous=FULL; PostgreSQL:
a new database on 127.0.0.1:5432, dropped after). The records are a realistic mix of
balances, trades and order events over a few hundred accounts, as NDJSON lines in memory.
Also printed: the core's own validation + canonical + leaf rate with no database, which is
the ceiling for one process. Targets (issue 4): >= 100,000/s SQLite, >= 50,000/s PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def make_lines(n: int) -> list[bytes]:
    out: list[bytes] = []
    for i in range(n):
        ts = str(1_700_000_000_000_000_000 + i)
        if i % 4 == 0:
            rec = {
                "kind": "trade",
                "version": 1,
                "record_id": f"t-{i}",
                "ts_ns": ts,
                "market": "BTC-USD",
                "buyer": f"acct-{i % 311}",
                "seller": f"acct-{(i * 7) % 311}",
                "buy_order_id": f"o-{i}-b",
                "sell_order_id": f"o-{i}-s",
                "taker_side": "buy",
                "price": str(6_500_000 + i % 1000),
                "quantity": str(1 + i % 50),
                "buyer_fee": "12",
                "seller_fee": "-3",
            }
        elif i % 4 == 1:
            rec = {
                "kind": "order_event",
                "version": 1,
                "record_id": f"e-{i}",
                "ts_ns": ts,
                "market": "BTC-USD",
                "order_id": f"o-{i}",
                "account": f"acct-{i % 311}",
                "action": "new",
                "side": "sell",
                "price": str(6_500_000 + i % 1000),
                "quantity": str(1 + i % 50),
            }
        else:
            rec = {
                "kind": "balance",
                "version": 1,
                "record_id": f"b-{i}",
                "ts_ns": ts,
                "account": f"acct-{i % 311}",
                "asset": "USDT",
                "available": str(i * 1000),
                "locked": str(i % 7),
            }
        out.append(json.dumps(rec, separators=(",", ":")).encode())
    return out


def core_rate(lines: list[bytes]) -> float:
    from anchor.core.records import encode_leaf, leaf_hash, parse_record

    sample = lines[: min(len(lines), 50_000)]
    zero = {f"acct-{i}": b"\x01" * 32 for i in range(311)}
    t0 = time.perf_counter()
    for line in sample:
        r = parse_record(line)
        r.canonical_json()
        leaf_hash(encode_leaf(r, 1, zero))
    return len(sample) / (time.perf_counter() - t0)


def run(url: str, lines: list[bytes], workers: int) -> tuple[float, float]:
    from anchor.service.ingest import ingest
    from anchor.store.db import Database

    db = Database.open(url)
    try:
        t0 = time.perf_counter()
        result = ingest(db, lines, workers=workers)
        first = time.perf_counter() - t0
        assert result.accepted == len(lines), result
        t0 = time.perf_counter()
        again = ingest(db, lines, workers=workers)
        replay = time.perf_counter() - t0
        assert again.duplicates == len(lines)
    finally:
        db.close()
    return len(lines) / first, len(lines) / replay


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, os.cpu_count() or 1],
        help="validation worker processes to try (1 = in-process)",
    )
    args = ap.parse_args()
    lines = make_lines(args.n)
    print(f"core only (parse + canonical + leaf, no database): {core_rate(lines):,.0f} records/s")
    for workers in args.workers:
        w = f"workers={workers}"
        if args.backend in ("sqlite", "both"):
            with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
                rate, replay = run(f"sqlite:///{tmp}/bench.sqlite", lines, workers)
            print(
                f"SQLite     ingest {args.n:,} ({w}): {rate:,.0f} records/s"
                f"  (idempotent replay {replay:,.0f}/s)"
            )
        if args.backend in ("postgresql", "both"):
            import psycopg

            name = f"anchor_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
                rate, replay = run(url, lines, workers)
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(
                f"PostgreSQL ingest {args.n:,} ({w}): {rate:,.0f} records/s"
                f"  (idempotent replay {replay:,.0f}/s)"
            )


if __name__ == "__main__":
    main()

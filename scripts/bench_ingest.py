#!/usr/bin/env python3
"""Benchmark: bulk ingest (NDJSON lines → validated, idempotent, committed) in records/s.

    .venv/bin/python scripts/bench_ingest.py                 # 200k records, SQLite + PostgreSQL
    .venv/bin/python scripts/bench_ingest.py --n 1000000 --backend sqlite

Each backend gets a fresh database (SQLite: a temp file, WAL, synchronous=FULL; PostgreSQL:
a new database on 127.0.0.1:5432, dropped after). The records are a realistic mix of
balances, trades and order events over a few hundred accounts, as NDJSON lines in memory.
Also printed, with no database: the core's parse_record path (validation + canonical +
leaf, what a single record costs) and ingest's bulk fast path (orjson + the core's one-pass
fast path, C when built), the ceiling for one process. The machine may be shared: each
figure is followed by the 1/5-minute load average. Targets (issue 4): >= 100,000/s SQLite,
>= 50,000/s PostgreSQL.

The ceiling (issue 20), measured in the same run right after each of our runs: the database's
own raw insert of the same ``records`` rows into a fresh database of the same schema
(SQLite ``executemany`` in one transaction; PostgreSQL binary ``COPY``), see
scripts/benchlib_ingest.py. Printed: its median, ours, and the ratio. Target: >= 70%.
Then the same for EVERY row ingest writes (the records, their account links, the new
accounts), and what that insert is as a share of the records rows' alone: the most any
ingest of these records could reach of the first ceiling.
With PostgreSQL on this machine, also the CPU per record of the server's processes (read
from /proc around each load, while its connection is open) for our load and for the raw
COPY, beside this process's own: on a small machine the server shares our cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib_ingest import (  # noqa: E402
    load,
    per_row_us,
    raw_postgresql,
    raw_sqlite,
    server_cpu,
    store_rows,
)
from benchlib_records import balance, new_order, trade  # noqa: E402

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def make_lines(n: int) -> list[bytes]:
    out: list[bytes] = []
    for i in range(n):
        ts = str(1_700_000_000_000_000_000 + i)
        if i % 4 == 0:
            rec = trade(i, ts, f"o-{i}-b", f"o-{i}-s")
        elif i % 4 == 1:
            rec = new_order(i, ts)
        else:
            rec = balance(i, ts)
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


def fast_rate(lines: list[bytes]) -> float:
    """What ingest itself runs per chunk before the database: orjson + the core's fast
    path (validation, canonical JSON, content hash) -- no leaf (that needs the seq)."""
    from anchor.service.ingest import _prepare_chunk

    sample = lines[: min(len(lines), 200_000)]
    t0 = time.perf_counter()
    for i in range(0, len(sample), 5_000):
        _prepare_chunk((i + 1, sample[i : i + 5_000]))
    return len(sample) / (time.perf_counter() - t0)


# one run: records/s of the first load and of its idempotent replay; the first load's CPU
# per record in µs, this process's and the PostgreSQL server's (None for SQLite, or a server
# elsewhere)
Run = tuple[float, float, float, float | None]


def run(url: str, lines: list[bytes], workers: int) -> Run:
    from anchor.service.ingest import ingest
    from anchor.store.db import Database

    db = Database.open(url)
    pg = db.backend == "postgresql"
    try:
        s0 = server_cpu("postgres") if pg else None
        c0, t0 = time.process_time(), time.perf_counter()
        result = ingest(db, lines, workers=workers)
        first = time.perf_counter() - t0
        ours = 1e6 * (time.process_time() - c0) / len(lines)
        server = per_row_us(s0, server_cpu("postgres") if pg else None, len(lines))
        assert result.accepted == len(lines), result
        t0 = time.perf_counter()
        again = ingest(db, lines, workers=workers)
        replay = time.perf_counter() - t0
        assert again.duplicates == len(lines)
    finally:
        db.close()
    return len(lines) / first, len(lines) / replay, ours, server


def run_with_receipts(url: str, lines: list[bytes], receipts: bool) -> tuple[float, float]:
    """One fresh load, with or without its signed receipt: with one, ingest computes the
    receipt leaves as it goes, signs the load once and stores the signed load and its
    leaves in the same transaction (what POST /v1/records/bulk does with a receipt key;
    the per-record paths are read later, GET /v1/receipts/...). Returns (records/s wall,
    CPU seconds of this process: steadier than wall time on a shared machine)."""
    from anchor.config import Config
    from anchor.service.ingest import ingest
    from anchor.service.receipts import load_receipt_key
    from anchor.store.db import Database

    env = {"ANCHOR_RECEIPT_KEY": "0x" + "4b" * 32}
    signer = load_receipt_key(Config(private_key_env="BENCH_NO_ANCHORER_KEY"), env=env)
    db = Database.open(url)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        result = ingest(db, lines, receipts=signer if receipts else None)
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert result.accepted == len(lines)
        assert (result.receipt is not None) == receipts
        if receipts:
            assert result.receipt is not None and result.receipt.count == len(lines)
    finally:
        db.close()
    return len(lines) / took, cpu


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument(
        "--repeat", type=int, default=5, help="runs per backend (best, median, worst shown)"
    )
    ap.add_argument("--quick", action="store_true", help="3 runs per backend instead of 5")
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1],
        help="validation worker processes to try (1 = in-process)",
    )
    ap.add_argument(
        "--receipts",
        action="store_true",
        help="SQLite only: bulk ingest without and with signed receipts, interleaved A/B "
        "(wall rate and process CPU time)",
    )
    args = ap.parse_args()
    if args.quick:
        args.repeat = min(args.repeat, 3)
    from anchor.core.prepare import _accelerator

    if args.receipts:
        lines = make_lines(args.n)
        plain: list[tuple[float, float]] = []
        signed: list[tuple[float, float]] = []
        for _ in range(args.repeat):
            for with_receipts, sink in ((False, plain), (True, signed)):
                with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
                    url = f"sqlite:///{tmp}/bench.sqlite"
                    sink.append(run_with_receipts(url, lines, with_receipts))
        a = statistics.median(r[0] for r in plain)
        b = statistics.median(r[0] for r in signed)
        ca = statistics.median(r[1] for r in plain)
        cb = statistics.median(r[1] for r in signed)
        print(f"SQLite ingest {args.n:,} without receipts: {a:,.0f} records/s median, "
              f"{ca:.2f} s CPU {load()}")  # fmt: skip
        print(f"SQLite ingest {args.n:,} with receipts:    {b:,.0f} records/s median, "
              f"{cb:.2f} s CPU {load()}")  # fmt: skip
        print(f"receipts cost {100 * (a - b) / a:.1f}% wall (median rates), "
              f"{100 * (cb - ca) / ca:.1f}% CPU (median CPU seconds)")  # fmt: skip
        print(f"runs (records/s): {[round(r[0]) for r in plain]} / {[round(r[0]) for r in signed]}")
        return

    lines = make_lines(args.n)
    native = "native" if _accelerator() is not None else "pure Python"
    print(
        f"core parse_record path (parse + canonical + leaf, no database): "
        f"{core_rate(lines):,.0f} records/s {load()}"
    )
    print(
        f"ingest fast path ({native}; orjson + validation + canonical + hash, no database): "
        f"{fast_rate(lines):,.0f} records/s {load()}"
    )
    rows = store_rows(lines)  # the same rows, for the database's raw insert (the ceilings)
    shape = f"the records, {len(rows.links):,} account links and {len(rows.accounts):,} accounts"
    for workers in args.workers:
        w = f"workers={workers}"
        if args.backend in ("sqlite", "both"):
            runs, raw, every = [], [], []
            for _ in range(args.repeat):  # ours, then the ceilings: the same minute
                with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
                    runs.append(run(f"sqlite:///{tmp}/bench.sqlite", lines, workers))
                with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
                    raw.append(raw_sqlite(f"sqlite:///{tmp}/raw.sqlite", rows))
                with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
                    every.append(raw_sqlite(f"sqlite:///{tmp}/all.sqlite", rows, every=True))
            how = "executemany, one transaction"
            print(f"SQLite     ingest {args.n:,} ({w}): {summary(runs)} {load()}")
            print(f"SQLite     {ceiling(runs, raw, how)} {load()}")
            print(f"SQLite     {ceiling(runs, every, how, every=shape, records=raw)} {load()}")
        if args.backend in ("postgresql", "both"):
            runs, raw, raw_server, every = [], [], [], []
            for _ in range(args.repeat):
                with pg_database() as url:
                    runs.append(run(url, lines, workers))
                with pg_database() as url:
                    rate, server = raw_postgresql(url, rows)
                    raw.append(rate)
                    if server is not None:
                        raw_server.append(server)
                with pg_database() as url:
                    every.append(raw_postgresql(url, rows, every=True)[0])
            how = "binary COPY, one transaction"
            print(f"PostgreSQL ingest {args.n:,} ({w}): {summary(runs)} {load()}")
            print(f"PostgreSQL {ceiling(runs, raw, how)} {load()}")
            print(f"PostgreSQL {ceiling(runs, every, how, every=shape, records=raw)} {load()}")
            servers = [r[3] for r in runs if r[3] is not None]
            if servers and raw_server:  # the server on this machine: its share of the cores
                print(
                    f"PostgreSQL CPU per record (medians): ingest {statistics.median(servers):.1f}"
                    f" µs in the server + {statistics.median(r[2] for r in runs):.1f} µs in this"
                    f" process; raw COPY {statistics.median(raw_server):.1f} µs in the server"
                )


@contextmanager
def pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped after); yields its URL."""
    import psycopg

    name = f"anchor_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ceiling(
    runs: list[Run],
    raw: list[float],
    how: str,
    *,
    every: str | None = None,
    records: list[float] | None = None,
) -> str:
    """Our median against the median of the database's raw insert of the same rows: the
    records rows, or (``every``: what they are) every row ingest writes, then also as a
    share of the ``records`` rows' insert."""
    ours = statistics.median(r[0] for r in runs)
    top = statistics.median(raw)
    what = "the same records rows" if every is None else f"every row ingest writes ({every})"
    unit = "rows/s" if every is None else "records/s"
    line = (
        f"raw insert of {what} ({how}): {top:,.0f} {unit} median of "
        f"{len(raw)} (runs {', '.join(f'{x:,.0f}' for x in raw)}); ingest {ours:,.0f}/s = "
        f"{100 * ours / top:.0f}% of it"
    )
    if records:
        line += f"; this insert itself is {100 * top / statistics.median(records):.0f}% of the records rows' alone"
    return line


def summary(runs: list[Run]) -> str:
    """Best and median of the runs (first load; idempotent replay): the machines these run
    on are shared and vary by +-20% from one minute to the next."""
    firsts = [r[0] for r in runs]
    replays = [r[1] for r in runs]
    return (
        f"{max(firsts):,.0f} records/s best, {statistics.median(firsts):,.0f} median, "
        f"{min(firsts):,.0f} worst of {len(runs)}"
        f"  (idempotent replay {max(replays):,.0f}/s best, "
        f"{statistics.median(replays):,.0f} median)"
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: seal N records from the database (time and peak memory of the sealing process).

    .venv/bin/python scripts/bench_seal_store.py --n 1000000            # SQLite in a temp dir
    .venv/bin/python scripts/bench_seal_store.py --n 10000000 --limit-gb 2
    .venv/bin/python scripts/bench_seal_store.py --n 1000000 --database-url postgresql://...

The records table is filled with N synthetic rows first (random 32-byte leaves, a small
canonical body; the seal only reads leaves, which ingest computed, so this is what a seal
sees). ``--real`` ingests real records through ``anchor.service.ingest`` instead (slow for
large N). The seal then runs in a FRESH child process whose peak RSS (ru_maxrss) is
reported, so the filling does not count. With ``--limit-gb`` the child runs under an
address-space limit (RLIMIT_AS) and fails if sealing needs more.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _body(seq: int) -> str:
    return (
        '{"account":"a","asset":"USDT","available":"1","kind":"balance","locked":"0",'
        f'"record_id":"r-{seq}","ts_ns":"1","version":1}}'
    )


def fill_synthetic(url: str, n: int) -> float:
    from anchor.store.db import Database

    db = Database.open(url)
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    stamp: object = now.replace(tzinfo=None).isoformat(sep=" ") if db.backend == "sqlite" else now
    step = 200_000
    try:
        for start in range(0, n, step):
            rows = [
                (seq, f"r-{seq}", "balance", 1, _body(seq), os.urandom(32), os.urandom(32), stamp)
                for seq in range(start + 1, min(n, start + step) + 1)
            ]
            with db.connect() as conn:
                raw = conn.connection.dbapi_connection
                cur = raw.cursor()  # type: ignore[union-attr]
                cols = "seq, record_id, kind, version, canonical, content_hash, leaf, received_at"
                if db.backend == "postgresql":
                    with cur.copy(f"COPY records ({cols}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cur.executemany(f"INSERT INTO records ({cols}) VALUES (?,?,?,?,?,?,?,?)", rows)
                cur.close()
            print(f"  filled {min(n, start + step):,}", file=sys.stderr, end="\r")
    finally:
        db.close()
    print(file=sys.stderr)
    return time.perf_counter() - t0


def fill_real(url: str, n: int) -> float:
    from anchor.service.ingest import ingest
    from anchor.store.db import Database

    db = Database.open(url)

    def gen() -> object:
        for i in range(n):
            yield json.dumps(
                {
                    "kind": "balance",
                    "version": 1,
                    "record_id": f"b-{i}",
                    "ts_ns": str(1_700_000_000_000_000_000 + i),
                    "account": f"acct-{i % 500}",
                    "asset": "USDT",
                    "available": str(i),
                    "locked": "0",
                }
            ).encode()

    t0 = time.perf_counter()
    ingest(db, gen())  # type: ignore[arg-type]
    db.close()
    return time.perf_counter() - t0


def reuse(url: str, n: int) -> bool:
    """True when ``url`` already holds exactly ``n`` records (old batches are dropped)."""
    from sqlalchemy import text

    from anchor.store.db import Database

    db = Database.open(url)
    try:
        with db.connect() as conn:
            count = conn.execute(text("SELECT COUNT(*) FROM records")).scalar_one()
            if count == 0:
                return False
            if count != n:
                sys.exit(f"{url} holds {count:,} records, not {n:,}")
            conn.execute(text("DELETE FROM tree_chunks"))
            conn.execute(text("DELETE FROM batches"))
        print(f"reusing {count:,} records", file=sys.stderr)
        return True
    finally:
        db.close()


def child(url: str, method: str) -> None:
    """Run one seal and print JSON: seconds, peak RSS, batch facts, one proof check."""
    from sqlalchemy import text

    from anchor.core.merkle import verify_proof
    from anchor.service.seal import get_proof_material, seal
    from anchor.store.db import Database

    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    db = Database.open(url)
    phases: dict[str, float] = {}
    t0 = time.perf_counter()

    def mark(phase: str) -> None:
        phases[phase] = round(time.perf_counter() - t0, 2)

    if method == "python":
        from anchor.core.native import use_native

        use_native(False)
    batch = seal(db, progress=mark)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert batch is not None
    with db.connect(write=False) as conn:
        rid = conn.execute(
            text("SELECT record_id FROM records WHERE seq = :s"),
            {"s": (batch.first_seq + batch.last_seq) // 2},
        ).scalar_one()
    t1 = time.perf_counter()
    m = get_proof_material(db, rid)
    proof_ms = (time.perf_counter() - t1) * 1000
    ok = verify_proof(batch.root, m.leaf, list(m.proof))
    db.close()
    print(
        json.dumps(
            {
                "leaf_count": batch.leaf_count,
                "seal_seconds": round(seconds, 2),
                "peak_rss_mb": round(peak / 1024, 1),
                "rss_before_mb": round(base_rss / 1024, 1),
                "proof_ms": round(proof_ms, 2),
                "proof_chunk_reads": m.chunk_reads,
                "proof_ok": ok,
                "phases": phases,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--database-url", default=None, help="an EMPTY database (default: temp SQLite)")
    ap.add_argument(
        "--real", action="store_true", help="ingest real records instead of synthetic rows"
    )
    ap.add_argument(
        "--limit-gb", type=float, default=None, help="RLIMIT_AS for the sealing process"
    )
    ap.add_argument(
        "--sqlite-path",
        default=None,
        help="keep the SQLite file here; reuse it (skip filling, drop old batches) when it "
        "already holds N records",
    )
    ap.add_argument(
        "--method",
        default="auto",
        choices=["auto", "python"],
        help="tree builder: the core's (auto: its C accelerator when built) or pure Python",
    )
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.method)
        return
    with tempfile.TemporaryDirectory(prefix="bench-seal-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        fill = fill_real if args.real else fill_synthetic
        print(
            f"filling {args.n:,} records ({'real ingest' if args.real else 'synthetic'}) ...",
            file=sys.stderr,
        )
        fill_s = fill(url, args.n)
        print(f"filled in {fill_s:.1f} s", file=sys.stderr)

        def limit() -> None:
            if args.limit_gb:
                cap = int(args.limit_gb * 1024**3)
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        out = subprocess.run(
            [sys.executable, __file__, "--child", url, "--method", args.method],
            capture_output=True,
            text=True,
            preexec_fn=limit,
            check=False,
        )
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            sys.exit(f"seal failed (exit {out.returncode})")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        backend = "postgresql" if url.startswith("postgres") else "sqlite"
        print(
            f"seal {result['leaf_count']:,} records [{backend}, {args.method}]: {result['seal_seconds']} s, "
            f"peak RSS {result['peak_rss_mb']} MB (process baseline {result['rss_before_mb']} MB)"
            + (f", under RLIMIT_AS {args.limit_gb} GB" if args.limit_gb else "")
        )
        print(f"phase end times (s): {result['phases']}")
        print(
            f"proof read: {result['proof_ms']} ms, {result['proof_chunk_reads']} chunk reads, "
            f"verifies: {result['proof_ok']}"
        )


if __name__ == "__main__":
    main()

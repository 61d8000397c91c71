#!/usr/bin/env python3
"""Benchmark: bulk ingest with ``reference_checks`` off and strict, back to back (issue 16).

    .venv/bin/python scripts/bench_ingest_refs.py --n 200000 --quick

scripts/bench_ingest.py's mix (a quarter trades, a quarter order events, half balances) names
orders and a market that it never defines, so strict checks would refuse it; this one is the
same mix made consistent: an instrument first, each trade naming two orders whose ``new``
came earlier, and (``--journals``) a fee entry naming a trade in place of every other balance.
Runs alternate off / strict on fresh SQLite databases (a temp file, as bench_ingest does);
printed: records/s per mode (median, best, worst) and the process's CPU seconds (steadier
than wall time on a shared machine), the cost of strict, and a second load
through a fresh :class:`Database` (a new process: its markets and orders read from the store
once) naming orders of the first. Each figure is followed by the 1/5-minute load average.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib_ingest import load  # noqa: E402
from benchlib_records import balance, new_order, trade  # noqa: E402

_TS = 1_700_000_000_000_000_000


def make_lines(n: int, *, journals: bool, start: int = 0, prefix: str = "") -> list[bytes]:
    out: list[bytes] = []
    if start == 0:
        out.append(json.dumps({
            "kind": "instrument", "version": 1, "record_id": "inst-btc-usd", "ts_ns": str(_TS),
            "market": "BTC-USD", "instrument_type": "spot", "base_asset": "BTC",
            "settlement_asset": "USDT", "contract_size": "1", "initial_margin_bps": "0",
            "maintenance_margin_bps": "0", "expiry_ns": "0", "strike": "0",
            "option_type": "none",
        }).encode())  # fmt: skip
    for i in range(start + 1, start + n):
        ts = str(_TS + i)
        if i % 4 == 0 and i > 8:
            rec = trade(i, ts, f"o-{i - 3}", f"o-{i - 7}", prefix)
        elif i % 4 == 1:
            rec = new_order(i, ts, prefix)
        elif journals and i % 4 == 3 and i > start + 11:
            rec = {
                "kind": "journal", "version": 1, "record_id": f"{prefix}j-{i}", "ts_ns": ts,
                "account": f"acct-{i % 311}", "asset": "USDT", "amount": "-12", "reason": "fee",
                "reference": f"{prefix}t-{i - 3}",
            }  # fmt: skip
        else:
            rec = balance(i, ts, prefix)
        out.append(json.dumps(rec, separators=(",", ":")).encode())
    return out


def run(url: str, lines: list[bytes], mode: str) -> tuple[float, float]:
    from anchor.service.ingest import ingest
    from anchor.store.db import Database

    db = Database.open(url)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        result = ingest(db, lines, references=mode)
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert result.accepted == len(lines) and not result.rejected, result.rejected[:3]
    finally:
        db.close()
    return len(lines) / took, cpu


def second_load(url: str, first: list[bytes], second: list[bytes]) -> float:
    """The second load's rate through a fresh Database (another process, its index empty)."""
    from anchor.service.ingest import ingest
    from anchor.store.db import Database

    with Database.open(url) as db:
        ingest(db, first)
    with Database.open(url) as db:
        t0 = time.perf_counter()
        result = ingest(db, second, references="strict")
        took = time.perf_counter() - t0
        assert result.accepted == len(second), result.rejected[:3]
    return len(second) / took


def summary(rates: list[float]) -> str:
    return (
        f"{statistics.median(rates):,.0f} records/s median (best {max(rates):,.0f}, "
        f"worst {min(rates):,.0f})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="3 runs per mode instead of 5")
    ap.add_argument("--journals", action="store_true", help="fee entries naming trades too")
    args = ap.parse_args()
    repeat = min(args.repeat, 3) if args.quick else args.repeat
    lines = make_lines(args.n, journals=args.journals)
    rates: dict[str, list[float]] = {"off": [], "strict": []}
    cpus: dict[str, list[float]] = {"off": [], "strict": []}
    for _ in range(repeat):
        for mode in ("off", "strict"):
            with tempfile.TemporaryDirectory(prefix="bench-refs-") as tmp:
                rate, cpu = run(f"sqlite:///{tmp}/bench.sqlite", lines, mode)
                rates[mode].append(rate)
                cpus[mode].append(cpu)
    mix = "with fee entries" if args.journals else "bench_ingest's mix"
    for mode in ("off", "strict"):
        print(f"SQLite ingest {len(lines):,} ({mix}), checks {mode:6}: {summary(rates[mode])},"
              f" {statistics.median(cpus[mode]):.2f} s CPU {load()}")  # fmt: skip
    off, strict = statistics.median(rates["off"]), statistics.median(rates["strict"])
    c_off, c_strict = statistics.median(cpus["off"]), statistics.median(cpus["strict"])
    print(f"strict costs {100 * (off - strict) / off:.1f}% wall (median rates),"
          f" {100 * (c_strict - c_off) / c_off:.1f}% CPU (median CPU seconds)")  # fmt: skip
    later = make_lines(args.n // 4, journals=args.journals, start=args.n, prefix="L")
    with tempfile.TemporaryDirectory(prefix="bench-refs-") as tmp:
        rate = second_load(f"sqlite:///{tmp}/bench.sqlite", lines, later)
    print(f"a fresh process's first strict load of {len(later):,} after {len(lines):,} stored:"
          f" {rate:,.0f} records/s {load()}")  # fmt: skip


if __name__ == "__main__":
    main()

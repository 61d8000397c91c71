#!/usr/bin/env python3
"""Time the books' replay (anchor.core.books) over a consistent exchange history.

    .venv/bin/python scripts/bench_books.py --records 1000000

The history (anchor.core.books_samples) is generated once into a canonical NDJSON file
(cached under --cache-dir); the timed part reads it line by line as the store's records
come (canonical JSON text), decodes each and replays it: the work of ``anchor books`` less
the database reads. Prints records per second and the peak resident memory.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anchor.core.books import Replay  # noqa: E402
from anchor.core.books_samples import exchange_history  # noqa: E402


def _history(path: Path, records: int) -> None:
    if path.exists():
        return
    tmp = path.with_suffix(".tmp")
    n = 0
    with tmp.open("w") as out:
        for obj in itertools.islice(exchange_history(records, seed=1, accounts=200), records):
            out.write(json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n")
            n += 1
    tmp.rename(path)
    print(f"generated {n} records into {path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp"))
    args = ap.parse_args()
    path = args.cache_dir / f"books-history-{args.records}.ndjson"
    _history(path, args.records)
    loads = json.loads
    try:
        import orjson

        loads = orjson.loads
    except ImportError:  # pragma: no cover - the server extras bring it
        pass
    r = Replay()
    apply = r.apply
    start, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as f:
        for seq, line in enumerate(f, start=1):
            apply(seq, 1, loads(line))
    report = r.finish(complete=False)  # a prefix of a longer history
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"replayed {report.records} records in {took:.1f} s ({report.records / took:,.0f}/s,"
        f" {cpu:.1f} s of CPU; load average {os.getloadavg()[0]:.1f}),"
        f" {len(report.breaks)} breaks, peak RSS {peak_mb:.0f} MB"
    )
    return 0 if report.ok else 1  # breaks found before the cut


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Before and after, side by side in one run: each benchmark run once in each checkout, back
to back (the order swapped from one benchmark to the next, so neither side always runs on
the warmer or the busier machine), then one table of the figures.

    .venv/bin/python scripts/bench_compare.py --before ../before     # a checkout with its .venv
    .venv/bin/python scripts/bench_compare.py --before ../before --only seal verify --n 200000

``--before`` is another checkout of this repository (e.g. ``git worktree add ../before REV``
then ``bash scripts/setup.sh`` there); ``--after`` defaults to this one. Each side runs its
OWN code with its own virtualenv; the benchmark script is the after side's, copied over the
before checkout's (so both measure the same way and a fix to a benchmark counts for both: use
a scratch checkout as ``--before``), except where it needs code the before side lacks
(ingest: each side's own). Proofs over HTTP are compared by ``bench_proofs.py --before``,
which already serves both from one database in interleaved rounds; its lines are printed as
they are. The 1- and 5-minute load averages before each run are printed: figures taken on a
busy machine are only comparable to each other.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUM = r"([\d,]+(?:\.\d+)?)"


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    args: tuple[str, ...]
    figures: tuple[tuple[str, str], ...]  # (label, regex with one group: the number)
    # the after side's script (and these of its imports) copied over the before side's; False:
    # each side runs its own (when the after side's needs code the before side lacks)
    shared: bool = True
    imports: tuple[str, ...] = ()


def benches(n: int, n_store: int) -> list[Bench]:
    return [
        Bench(
            "seal",
            "bench_seal.py",
            ("--sizes", str(n), "--no-node", "--no-python"),
            (
                (f"seal {n:,} records: records/s", rf"native N=\s*[\d,]+:.*?\s{NUM} records/s"),
                (f"seal {n:,} records: CPU s", rf"native N=.*?\(cpu\s+{NUM} s\)"),
            ),
        ),
        Bench(
            "ingest",
            "bench_ingest.py",
            ("--n", str(n_store), "--repeat", "3"),
            (
                ("ingest SQLite: records/s (median)", rf"SQLite\s+ingest .*?{NUM} median"),
                ("ingest PostgreSQL: records/s (median)", rf"PostgreSQL ingest .*?{NUM} median"),
            ),
            shared=False,  # its ceiling half needs code of the after side
        ),
        Bench(
            "verify",
            "bench_verify.py",
            (),
            (
                ("verify a bundle offline: ms wall", rf"verify_bundle_offline.*?: {NUM} ms"),
                ("verify a bundle offline: ms CPU", rf"verify_bundle_offline.*?\({NUM} CPU\)"),
                ("verify, math only: ms CPU", rf"verify_bundle\(parsed\).*?\({NUM} CPU\)"),
            ),
        ),
        Bench(
            "restore",
            "bench_restore.py",
            ("--n", str(n_store)),
            (
                (f"backup {n_store:,}: s", rf"backup \(bundle \+ 2 targets\):\s+{NUM} s"),
                (f"backup verify {n_store:,}: s", rf"verify \(2 targets\):\s+{NUM} s"),
                (f"restore {n_store:,} into SQLite: s", rf"restore into SQLite:\s+{NUM} s"),
            ),
        ),
        Bench(
            "reconcile",
            "bench_reconcile.py",
            ("--n", str(n_store)),
            ((f"reconcile {n_store:,}, clean: s", rf"reconcile \(clean\):\s+{NUM} s"),),
            imports=("bench_restore.py",),
        ),
    ]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def run(tree: Path, bench: Bench) -> str:
    script = tree / "scripts" / bench.script
    if tree != ROOT and bench.shared:  # the after side's benchmark, the other side's code
        for name in (bench.script, *bench.imports):
            shutil.copyfile(ROOT / "scripts" / name, tree / "scripts" / name)
    python = tree / ".venv" / "bin" / "python"
    print(f"-- {bench.name} in {tree} [{load()}]", flush=True)
    proc = subprocess.run(
        [str(python), str(script), *bench.args],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stdout[-2000:] + proc.stderr[-3000:], file=sys.stderr)
        return ""
    return proc.stdout


def figure(output: str, pattern: str) -> float | None:
    m = re.search(pattern, output)
    return float(m.group(1).replace(",", "")) if m else None


def fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 1000 else f"{x:.3g}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="the other checkout (with .venv)")
    ap.add_argument("--after", type=Path, default=ROOT)
    ap.add_argument("--n", type=int, default=1_000_000, help="records sealed")
    ap.add_argument("--n-store", type=int, default=200_000, help="records ingested/restored")
    ap.add_argument("--only", nargs="+", help="names: seal ingest verify restore reconcile proofs")
    ap.add_argument("--proof-records", type=int, default=1_000_000)
    args = ap.parse_args()
    before, after = args.before.resolve(), args.after.resolve()
    for tree in (before, after):
        if not (tree / ".venv" / "bin" / "python").exists():
            raise SystemExit(f"{tree}: no .venv (run scripts/setup.sh there)")
    rows: list[tuple[str, float | None, float | None]] = []
    chosen = [b for b in benches(args.n, args.n_store) if not args.only or b.name in args.only]
    for i, bench in enumerate(chosen):
        order = (before, after) if i % 2 == 0 else (after, before)
        out = {tree: run(tree, bench) for tree in order}
        for label, pattern in bench.figures:
            rows.append((label, figure(out[before], pattern), figure(out[after], pattern)))
    width = max((len(r[0]) for r in rows), default=10)
    print(f"\n{'figure':<{width}}  {'before':>10}  {'after':>10}  after/before")
    for label, b, a in rows:
        ratio = f"{a / b:.2f}" if a is not None and b else "-"
        print(f"{label:<{width}}  {fmt(b):>10}  {fmt(a):>10}  {ratio:>12}")
    if not args.only or "proofs" in args.only:
        print(f"\n-- proofs over HTTP, both checkouts in one run [{load()}]", flush=True)
        subprocess.run(
            [
                str(after / ".venv" / "bin" / "python"),
                str(after / "scripts" / "bench_proofs.py"),
                "--records",
                str(args.proof_records),
                "--before",
                str(before),
            ],
            cwd=after,
            check=False,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark: records/s from a pre-filled NATS JetStream stream into the store (the event bus
consumer, ``anchor consume``), against the same records through the bulk file import
(``anchor.service.ingest``, as scripts/bench_ingest.py runs it) in the same run.

    .venv/bin/python scripts/bench_consume.py                  # 200k records, both backends
    .venv/bin/python scripts/bench_consume.py --n 1000000 --backend sqlite
    .venv/bin/python scripts/bench_consume.py --before /tmp/main   # and main's consumer too

The records are bench_ingest's mix (balances, trades, order events over 311 accounts), one
JSON record per message with its ``Nats-Msg-Id`` (``--no-msg-id``: none), published once into a stream of the
benchmark's own (deleted at the end). Each run gets a fresh database (SQLite: a temp file,
WAL, synchronous=FULL; PostgreSQL: a new database on 127.0.0.1:5432, dropped after) and, for
the consumer, a new durable consumer that reads the whole stream: the figure is from its
first pull (connected, durable consumer created, writer process started) to the last
acknowledgement of the last message (every load committed first). Bulk and consume runs
alternate, so a busy minute on a shared machine hits both; best and median of ``--repeat``
are printed, with the 1/5-minute load average, and the CPU time each spent per record (for
the consumer: its process and its writer process; the NATS server's own CPU per message
during the consumer's runs is printed on a line of its own when it runs on this machine). Target (issue 19): the consumer at >= 80% of the bulk import's rate.

``--before DIR`` (a checkout of other code, e.g. ``git archive main | tar -x -C DIR``, with
the built accelerator copied into its anchor/core/_native) also runs that code's consumer in
each round, right after this one's, in a process whose ``anchor`` is DIR's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
if "--code" in sys.argv:  # another tree's consumer (--before): its anchor comes first
    sys.path.insert(0, sys.argv[sys.argv.index("--code") + 1])

from bench_ingest import make_lines, pg_database  # noqa: E402
from benchlib_ingest import load, server_cpu  # noqa: E402

NATS_URL = os.environ.get("ANCHOR_BENCH_NATS_URL", "nats://127.0.0.1:4222")


async def fill(stream: str, subject: str, lines: list[bytes], msg_ids: bool) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[subject.rsplit(".", 1)[0] + ".>"])
    for i, line in enumerate(lines):
        await nc.publish(subject, line, headers={"Nats-Msg-Id": f"m-{i}"} if msg_ids else None)
    await nc.flush()
    while (await js.stream_info(stream)).state.messages < len(lines):
        await asyncio.sleep(0.05)
    await nc.close()


async def drop(*streams: str) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    for name in streams:
        with suppress(Exception):
            await nc.jetstream().delete_stream(name)
    await nc.close()


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-consume-") as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite"
        return
    with pg_database() as url:
        yield url


def cpu(child: int | None = None) -> float:
    """CPU seconds (user + system) of this process, and of its child ``child`` if given."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    used = me.ru_utime + me.ru_stime
    if child is not None:
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        used += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def bulk(url: str, lines: list[bytes]) -> tuple[float, float]:
    from anchor.service.ingest import ingest
    from anchor.store.db import Database

    db = Database.open(url)
    try:
        c0, t0 = cpu(), time.perf_counter()
        result = ingest(db, lines)
        took, used = time.perf_counter() - t0, cpu() - c0
        assert result.accepted == len(lines), result
    finally:
        db.close()
    return len(lines) / took, used / len(lines)


def consume(url: str, stream: str, subject: str, n: int, batch: int) -> tuple[float, float]:
    from anchor.service.consume import Consumer
    from anchor.service.consume_bus import ConsumeSettings
    from anchor.store.db import Database
    from anchor.store.lookup import record_count

    settings = ConsumeSettings(
        url=NATS_URL,
        stream=stream,
        subjects=(subject,),
        durable=f"bench-{uuid.uuid4().hex[:8]}",
        dead_subject=None,
        fetch_batch=batch,
        max_ack_pending=4 * batch,
        ack_wait=60.0,
    )
    db = Database.open(url)
    try:
        ready: list[tuple[float, float]] = []
        consumer = Consumer(db, settings, on_ready=lambda: ready.append((time.perf_counter(), 0.0)))
        stop = threading.Event()
        errors: list[BaseException] = []

        def main() -> None:
            try:
                asyncio.run(consumer.run(stop))
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=main)
        thread.start()
        while not ready:
            time.sleep(0.001)
        writer = consumer.writer_pid
        ready[0] = (ready[0][0], cpu(writer))
        while consumer.stored + consumer.duplicates + consumer.dead < n:
            if errors:
                raise errors[0]
            time.sleep(0.005)
        took = time.perf_counter() - ready[0][0]
        used = cpu(writer) - ready[0][1]  # the consumer's process and its writer process
        stop.set()
        thread.join()
        assert consumer.stored == n and record_count(db) == n, (consumer.stored, n)
    finally:
        db.close()
    return n / took, used / n


def consume_before(
    code: str, url: str, stream: str, subject: str, n: int, batch: int
) -> tuple[float, float]:
    """:func:`consume` of the code in ``code``, in a process of its own."""
    argv = [sys.executable, __file__, "--code", code, "--one", url, stream, subject]
    out = subprocess.run(
        [*argv, "--n", str(n), "--batch", str(batch)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, alternating")
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--batch", type=int, default=10_000, help="nats_fetch_batch")
    ap.add_argument(
        "--no-msg-id",
        action="store_true",
        help="publish without Nats-Msg-Id headers (nats-py parses headers in Python)",
    )
    ap.add_argument("--before", metavar="DIR", help="also run the consumer of the code in DIR")
    ap.add_argument("--code", help=argparse.SUPPRESS)  # (--before's child process)
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:  # --before's child: one consume run of --code's consumer
        rate, used = consume(*args.one, args.n, args.batch)
        print(rate, used)
        return
    lines = make_lines(args.n)
    tag = uuid.uuid4().hex[:8]
    stream, subject = f"BENCH_{tag}", f"bench{tag}.records.x"
    t0 = time.perf_counter()
    asyncio.run(fill(stream, subject, lines, not args.no_msg_id))
    print(f"stream filled with {args.n:,} messages in {time.perf_counter() - t0:.1f} s {load()}")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    try:
        for backend in backends:
            bulk_runs: list[tuple[float, float]] = []
            consume_runs: list[tuple[float, float]] = []
            before_runs: list[tuple[float, float]] = []
            runs: list[tuple[list[tuple[float, float]], Callable[[str], tuple[float, float]]]] = [
                (bulk_runs, lambda url: bulk(url, lines)),
                (consume_runs, lambda url: consume(url, stream, subject, args.n, args.batch)),
            ]
            if args.before:
                runs.append(
                    (
                        before_runs,
                        lambda url: consume_before(
                            args.before, url, stream, subject, args.n, args.batch
                        ),
                    )
                )
            nats_us: dict[int, list[float]] = {id(sink): [] for sink, _ in runs}
            for _ in range(args.repeat):
                for sink, fn in runs:
                    with database(backend) as url:
                        n0 = server_cpu("nats-server")
                        sink.append(fn(url))
                        n1 = server_cpu("nats-server")
                        if n0 is not None and n1 is not None:
                            nats_us[id(sink)].append(1e6 * (n1 - n0) / args.n)
            b = statistics.median(r[0] for r in bulk_runs)
            c = statistics.median(r[0] for r in consume_runs)
            name = "SQLite    " if backend == "sqlite" else "PostgreSQL"
            print(f"{name} bulk import {args.n:,}: {fmt(bulk_runs)} {load()}", flush=True)
            print(f"{name} consume     {args.n:,}: {fmt(consume_runs)} {load()}", flush=True)
            print(f"{name} consume / bulk (medians): {100 * c / b:.0f}%", flush=True)
            if nats_us[id(consume_runs)]:  # a NATS server on this machine: its own share
                server = statistics.median(nats_us[id(consume_runs)])
                print(f"{name} NATS server during consume: {server:.1f} CPU-us/message")
            if before_runs:
                c0 = statistics.median(r[0] for r in before_runs)
                print(f"{name} before      {args.n:,}: {fmt(before_runs)} {load()}", flush=True)
                print(f"{name} before / bulk (medians): {100 * c0 / b:.0f}%", flush=True)
    finally:
        asyncio.run(drop(stream, f"{stream}_DEAD"))


def fmt(runs: list[tuple[float, float]]) -> str:
    rates = [r[0] for r in runs]
    cpu_us = statistics.median(1e6 * r[1] for r in runs)
    return (
        f"{max(rates):,.0f} records/s best, {statistics.median(rates):,.0f} median, "
        f"{min(rates):,.0f} worst of {len(runs)}; {cpu_us:.1f} CPU-us/record"
    )


if __name__ == "__main__":
    main()

"""How ``anchor reconcile`` shows its work: a progress bar on stderr while batches are
compared, then one table with a row per batch (runs of identical clean batches folded into
one row) naming every difference, and a closing line that says what was compared.

Only rich and the standard library: rendering, no decisions (those are in
:mod:`anchor.backup.reconcile`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from anchor.backup.reconcile_report import BatchSummary, Difference, ReconcileReport

__all__ = ["print_report", "progress_bar"]

SHOWN_PER_BATCH = 3
NO_TARGETS = "no backup targets: pass --target or configure backup_targets"


@contextmanager
def progress_bar(console: Console) -> Iterator[Callable[[int, int], None]]:
    """A bar of batches compared; yields the ``progress(done, total)`` callback."""
    with Progress(
        TextColumn("[bold]reconcile[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("batches"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("reconcile", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _name(d: Difference) -> str:
    what = d.kind
    if d.record_id:
        what += f" {d.record_id}" + (f".{d.field}" if d.field else "")
    elif d.field:
        what += f" {d.field}"
    if d.target:
        what += f" on {d.target}"
    return what


def _differences(b: BatchSummary) -> str:
    names = [_name(d) for d in b.differences[:SHOWN_PER_BATCH]]
    more = len(b.differences) - SHOWN_PER_BATCH
    if more > 0:
        names.append(f"… and {more} more")
    return "; ".join(names)


def _foldable(a: BatchSummary, b: BatchSummary) -> bool:
    return (
        a.status == b.status == "ok"
        and a.state == b.state
        and a.copies == b.copies
        and b.batch_id == a.batch_id + 1
    )


def _runs(rows: tuple[BatchSummary, ...]) -> list[list[BatchSummary]]:
    runs: list[list[BatchSummary]] = []
    for b in rows:
        if runs and _foldable(runs[-1][-1], b):
            runs[-1].append(b)
        else:
            runs.append([b])
    return runs


def print_report(report: ReconcileReport, console: Console) -> None:
    """The per-batch table, target problems, the full list of differences, and a summary."""
    n_targets = len(report.targets)
    title = (
        f"reconcile: database, chain and {n_targets} backup target(s)"
        if report.backups_checked
        else "reconcile: database and chain (backups not checked)"
    )
    table = Table(title=title)
    for name in ("batch", "state", "records", "chain", "backups", "result", "differences"):
        table.add_column(name, justify="right" if name in ("batch", "records") else "left")
    colors = {"ok": "green", "pending": "yellow", "differs": "red"}
    for run in _runs(report.per_batch):
        first, last = run[0], run[-1]
        ids = str(first.batch_id) if len(run) == 1 else f"{first.batch_id}–{last.batch_id}"
        status = first.status
        result = status if status != "differs" else f"differs ({len(first.differences)})"
        table.add_row(
            ids,
            first.state or "not in database",
            f"{sum(b.records for b in run):,}",
            "anchored" if first.on_chain else "not anchored",
            f"{first.copies}/{n_targets} intact" if report.backups_checked else "not checked",
            f"[{colors[status]}]{result}[/]",
            _differences(first),
        )
    console.print(table)
    for d in report.differences:
        if d.batch_id is None:
            console.print(f"[red]{d.kind}[/]: target {d.target}: {d.detail}")
    if report.differences:
        detail = Table(title=f"{len(report.differences)} difference(s)")
        for name in ("kind", "batch", "record", "field", "target", "detail"):
            detail.add_column(name)
        for d in report.differences:
            detail.add_row(
                d.kind,
                "-" if d.batch_id is None else str(d.batch_id),
                d.record_id or "",
                d.field or "",
                d.target or "",
                d.detail,
            )
        console.print(detail)
    anchored = sum(1 for b in report.per_batch if b.on_chain)
    counts = (
        f"{report.batches:,} batches compared ({anchored:,} anchored, "
        f"{len(report.pending):,} pending), {report.records:,} records"
    )
    backups = (
        f"backups: {n_targets} target(s) checked"
        if report.backups_checked
        else f"backups not checked ({NO_TARGETS})"
    )
    if report.ok:
        console.print(f"[green]no differences[/]: {counts}; {backups}")
    else:
        batches = len({d.batch_id for d in report.differences if d.batch_id is not None})
        console.print(
            f"[red]{len(report.differences):,} difference(s)[/] in {batches:,} batch(es): "
            f"{counts}; {backups}"
        )

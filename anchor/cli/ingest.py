"""CLI command of ingest: ``anchor ingest FILE`` (NDJSON or CSV, or stdin) through
:func:`anchor.service.ingest.ingest`, with signed receipts on request.

Only typer and the standard library at import time (rich and the server pieces load inside
the command), so a base install without the server extras still starts.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from anchor.cli.context import load, open_db
from anchor.cli.options import Store, StoreOpts, with_blocks


class _Counting(io.RawIOBase):
    """A binary reader that counts the bytes handed out (for the progress bar)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = int(self.raw.readinto(b))
        self.count += n
        return n


def register(app: typer.Typer) -> None:
    """Add ``ingest`` to the ``anchor`` app."""

    @app.command("ingest")
    @with_blocks
    def ingest_cmd(
        file: Path = typer.Argument(..., help="NDJSON or CSV file; '-' reads stdin"),
        fmt: str = typer.Option("ndjson", "--format", "-f", help="ndjson | csv"),
        kind: str | None = typer.Option(
            None, "--kind", help="CSV without kind/version columns: KIND or KIND:VERSION"
        ),
        skip_bad: bool = typer.Option(
            False, "--skip-bad", help="store the good records and list the bad lines"
        ),
        workers: int = typer.Option(
            1, "--workers", min=1, max=64, help="validation worker processes (big files)"
        ),
        receipts_out: Path | None = typer.Option(
            None,
            "--receipts-out",
            help="write the load's signed receipts here (NDJSON; one signature per load, "
            "with the receipt key of receipt_key_env / receipt_keystore_path)",
        ),
        store: Store = StoreOpts,
    ) -> None:
        """Ingest records from a file in one transaction (all or nothing unless --skip-bad).

        A bad record stops the load with its line number and field; a record id already
        stored with other content is a conflict; the same content again is a no-op.
        CSV columns are the records' JSON field names (see anchor/store/csv_format.py)."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )

        from anchor.errors import InputError
        from anchor.service.ingest import ingest
        from anchor.store.csv_format import parse_kind, read_csv

        if fmt not in ("ndjson", "csv"):
            raise typer.BadParameter("ndjson or csv", param_hint="--format")
        kind_version = parse_kind(kind)
        if kind_version is not None and fmt != "csv":
            raise typer.BadParameter("only with --format csv", param_hint="--kind")
        stdin = str(file) == "-"
        if not stdin and not file.is_file():
            raise InputError(f"no such file: {file}")
        total = None if stdin else file.stat().st_size
        raw = sys.stdin.buffer if stdin else file.open("rb")
        counting = _Counting(raw)
        reader = io.BufferedReader(counting, buffer_size=1 << 20)
        err = Console(stderr=True)
        from anchor.config import load_config
        from anchor.service.receipts import configured_receipt_signer, load_receipt_key

        # before the load: fail early. With a receipt key configured every load is signed
        # (and its deadline watched); --receipts-out needs one.
        cfg = load_config(store.config)
        signer = (
            load_receipt_key(cfg) if receipts_out is not None else configured_receipt_signer(cfg)
        )
        db = open_db(load(store.config), store.database_url)  # it must exist: `anchor db init`
        try:
            with Progress(
                TextColumn("[bold]ingest[/bold] {task.fields[records]:,} records"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=False,
            ) as progress:
                task = progress.add_task("ingest", total=total, records=0)

                def tick(n: int) -> None:
                    progress.update(task, completed=counting.count, records=n)

                items: Iterator[Any]
                if fmt == "csv":
                    text = io.TextIOWrapper(reader, encoding="utf-8", newline="")
                    items = read_csv(text, kind=kind_version)
                    first_line = 2
                else:
                    items = iter(reader)
                    first_line = 1
                result = ingest(
                    db,
                    items,
                    skip_bad=skip_bad,
                    progress=tick,
                    first_line=first_line,
                    workers=workers,
                    receipts=signer,
                    references=cfg.reference_checks,
                )
                progress.update(task, completed=counting.count, records=result.accepted)
            if signer is not None and receipts_out is not None:
                import json
                import time

                from anchor.service.receipts import issue_receipts

                receipts = issue_receipts(db, result, signer, int(time.time()))
                with receipts_out.open("w", encoding="utf-8") as out:
                    for r in receipts:
                        out.write(json.dumps(r.to_obj(), separators=(",", ":")) + "\n")
        finally:
            db.close()
            if not stdin:
                raw.close()
        seqs = (
            f" (seq {result.first_seq}..{result.last_seq})" if result.first_seq is not None else ""
        )
        typer.echo(
            f"accepted {result.accepted:,}{seqs}, duplicates {result.duplicates:,}, "
            f"rejected {len(result.rejected):,}"
        )
        for bad in result.rejected[:50]:
            typer.echo(f"  line {bad.line}: {bad.field}: {bad.problem}", err=True)
        if len(result.rejected) > 50:
            typer.echo(f"  ... and {len(result.rejected) - 50} more", err=True)

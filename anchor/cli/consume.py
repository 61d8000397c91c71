"""CLI: ``anchor consume`` (records from the exchange's NATS JetStream stream into the store)
and ``anchor consume --status``.

Only typer and the standard library at import time (see :mod:`anchor.cli`).
"""

from __future__ import annotations

import json
import signal
import threading
from types import FrameType
from typing import Any

import typer

from anchor.cli.options import JsonOpt, Store, StoreOpts, with_blocks


def register(app: typer.Typer) -> None:
    """Add ``consume`` to the ``anchor`` app."""

    @app.command("consume")
    @with_blocks
    def consume_cmd(
        status: bool = typer.Option(
            False, "--status", help="print the consumer's lag, last ack and dead letters, exit"
        ),
        as_json: bool = JsonOpt,
        metrics_port: int | None = typer.Option(
            None, "--metrics-port", help="serve Prometheus metrics on 127.0.0.1:PORT"
        ),
        store: Store = StoreOpts,
    ) -> None:
        """Consume records from the configured NATS JetStream stream until Ctrl-C.

        Each message is acknowledged only once its record is committed (or already stored),
        or once it is dead-lettered with the reason (invalid record, conflicting id)."""
        from anchor.config import load_config
        from anchor.store.db import Database

        cfg = load_config(store.config)
        if status:
            _print_status(cfg, store.database_url, as_json)
            return
        from anchor.logs import setup_logging
        from anchor.service.consume import consume

        setup_logging()
        if metrics_port is not None:
            from prometheus_client import start_http_server

            start_http_server(metrics_port, addr="127.0.0.1")
        stop = threading.Event()

        def handler(signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        db = Database.open(store.database_url, config=cfg)
        try:
            consume(db, cfg, stop)
        finally:
            db.close()


def _print_status(cfg: Any, database_url: str | None, as_json: bool) -> None:
    from anchor.errors import ConfigError
    from anchor.service.consume import status
    from anchor.store.db import Database
    from anchor.store.lookup import record_count

    try:
        out: dict[str, Any] = status(cfg)
    except ConfigError:
        raise
    except Exception as exc:  # the server down, the consumer not created yet
        raise ConfigError(f"consumer status unavailable: {exc.__class__.__name__}: {exc}") from None
    db = Database.open(database_url, config=cfg)
    try:
        out["records_stored"] = record_count(db)
    finally:
        db.close()
    if as_json:
        typer.echo(json.dumps(out))
        return
    width = max(len(k) for k in out)
    for key, value in out.items():
        typer.echo(f"{key.ljust(width)}  {value if value is not None else '-'}")

"""``anchor serve``: the HTTP API, the anchorer (scheduler + transaction manager), or both.

* ``api`` — uvicorn serving :func:`anchor.api.app.create_app`; any number of replicas.
* ``anchorer`` — the scheduler; several may run (PostgreSQL, or SQLite on one host), exactly
  one anchors: the holder of the lease in the database (:mod:`anchor.service.leader`). A
  standby takes over when the leader dies or stalls, within ``leader_lease_seconds``.
* ``consumer`` — the event bus consumer (:mod:`anchor.service.consume`); several may run.
* ``all`` — API and anchorer in one process (the default), and the consumer when
  ``nats_url`` is configured.

SIGINT / SIGTERM stop the process cleanly (the current job finishes, the lease is released).

This module composes the HTTP API (:mod:`anchor.api`) with the service's jobs
(:mod:`anchor.service`), so it sits above both, beside the CLI: ``api`` imports ``service``,
never the other way round.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal

import typer

from anchor.cli.options import ConfigOpt, DbOpt
from anchor.cli.serve_workers import reuse_port_available, run_workers
from anchor.errors import ConfigError

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.service.consume import ConsumerThread
    from anchor.service.scheduler import AnchorScheduler
    from anchor.store.db import Database

Role = Literal["api", "anchorer", "consumer", "all"]
ROLES: tuple[Role, ...] = ("api", "anchorer", "consumer", "all")

log = logging.getLogger("anchor.serve")


def setup_logging(level: str | None = None) -> None:
    """Log lines on stderr: level from ``$ANCHOR_LOG_LEVEL`` (default INFO), plain text or
    JSON (``$ANCHOR_LOG_FORMAT=json``) with the request id (:mod:`anchor.logs`)."""
    from anchor.logs import setup_logging as setup

    setup(level)


def start_anchorer(db: Database, config: Config) -> AnchorScheduler:
    """Check the anchorer's configuration (key, contract, chain id) and start its scheduler."""
    from anchor.service.anchoring import Anchorer
    from anchor.service.leader import make_leadership
    from anchor.service.scheduler import AnchorScheduler

    leader = make_leadership(db, config)
    anchorer = Anchorer(db, config, fence=leader.holds)
    _ = anchorer.tx  # fail fast on a missing key, contract or RPC URL (no RPC call yet)
    if config.backup_targets:  # and on backups that would be refused every tick
        from anchor.backup.crypto import sealer_for

        log.info("backups: %s", sealer_for(config).describe)
    scheduler = AnchorScheduler(anchorer, config, leader=leader)
    scheduler.start()
    return scheduler


def serve(
    config: Config,
    *,
    role: Role = "all",
    host: str | None = None,
    port: int | None = None,
    database_url: str | None = None,
    workers: int = 1,
    config_path: str | None = None,
) -> None:
    """Run until SIGINT/SIGTERM. ``workers`` > 1 serves the API from that many processes,
    each building :func:`anchor.api.app.create_app_from_env` and listening on its own
    socket (:mod:`anchor.cli.serve_workers`)."""
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    from anchor.store.db import Database

    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    db = Database.open(database_url, config=config)
    scheduler: AnchorScheduler | None = None
    consumer: ConsumerThread | None = None
    try:
        if role == "consumer" or (role == "all" and config.nats_url):
            from anchor.service.consume import ConsumerThread

            consumer = ConsumerThread(db, config).start()
        if role in ("anchorer", "all"):
            scheduler = start_anchorer(db, config)
        if role in ("api", "all"):
            host, port = host or config.api_host, port or config.api_port
            if workers > 1:
                _run_api_workers(db, config_path, host, port, workers)
            else:
                _run_api(db, config, scheduler, host, port)
        else:
            _wait_for_signal(consumer)
    finally:
        if consumer is not None:
            consumer.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=True)
            if scheduler.anchorer.ops is not None:
                scheduler.anchorer.ops.close()
        db.close()
        log.info("stopped")


# how the API server runs, one process or several: quiet (our own log lines say what it does)
UVICORN_OPTIONS: dict[str, Any] = {"log_level": "warning", "access_log": False}
_APP_FACTORY = "anchor.api.app:create_app_from_env"  # what each worker process builds


def _run_api(
    db: Database, config: Config, scheduler: AnchorScheduler | None, host: str, port: int
) -> None:
    import uvicorn

    from anchor.api.app import create_app

    app = create_app(config, db)
    app.state.anchor_scheduler = scheduler
    log.info("API on http://%s:%s", host, port)
    # uvicorn re-raises the signal that stopped it once it has shut down; with these handlers
    # in place that re-raise lands here instead of killing the process before the scheduler
    # and the database are closed.
    _install_stop_handlers(threading.Event())
    uvicorn.run(app, host=host, port=port, **UVICORN_OPTIONS)


def _run_api_workers(
    db: Database, config_path: str | None, host: str, port: int, workers: int
) -> None:
    # the workers read the same configuration: the file, the variables, this database
    if config_path:
        os.environ["ANCHOR_CONFIG"] = str(config_path)
    os.environ["ANCHOR_DATABASE_URL"] = db.url
    log.info("API on http://%s:%s (%s worker processes)", host, port, workers)
    run_factory(_APP_FACTORY, host, port, workers)


def run_factory(factory: str, host: str, port: int, workers: int) -> None:
    """Serve the ASGI app factory ``factory`` (``module:function``) from ``workers``
    processes until SIGTERM/SIGINT, as ``--workers N`` serves the API: one listening socket
    per worker where the kernel spreads connections over them (:mod:`.serve_workers`),
    uvicorn's supervisor elsewhere. scripts/bench_ceiling_app.py serves through it too."""
    if reuse_port_available():
        run_workers(factory, host, port, workers, UVICORN_OPTIONS)
        return
    import uvicorn

    uvicorn.run(factory, factory=True, host=host, port=port, workers=workers, **UVICORN_OPTIONS)


def _install_stop_handlers(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("signal %s: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _wait_for_signal(consumer: ConsumerThread | None = None) -> None:
    stop = threading.Event()
    _install_stop_handlers(stop)
    while not stop.wait(1.0):
        if consumer is not None and not consumer.alive():
            raise consumer.error or RuntimeError("the consumer stopped")


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``anchor`` app."""

    @app.command("serve")
    def serve_cmd(
        role: str = typer.Option("all", "--role", help="api | anchorer | consumer | all"),
        config: Path | None = ConfigOpt,
        host: str | None = typer.Option(None, "--host", help="API host (default: config)"),
        port: int | None = typer.Option(None, "--port", help="API port (default: config)"),
        database_url: str | None = DbOpt,
        workers: int = typer.Option(
            1, "--workers", help="API processes (uvicorn, one listening socket each)"
        ),
    ) -> None:
        """Run the API and/or the anchorer (scheduler + transaction manager) until Ctrl-C
        or SIGTERM."""
        from anchor.config import load_config

        if role not in ROLES:
            raise typer.BadParameter(f"one of {', '.join(ROLES)}", param_hint="--role")
        setup_logging()
        serve(
            load_config(config),
            role=role,  # type: ignore[arg-type,unused-ignore]
            host=host,
            port=port,
            database_url=database_url,
            workers=workers,
            config_path=str(config) if config else None,
        )

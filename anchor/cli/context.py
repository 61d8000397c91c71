"""What most commands start with: the configuration, and the database it names.

Imports of the configuration and the store happen inside the functions, so importing the
CLI works on a base install (no server extras).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.store.db import Database

__all__ = ["load", "open_db", "opened"]


def load(config_path: str | Path | None, **overrides: Any) -> Config:
    """The configuration from ``--config`` (or ``$ANCHOR_CONFIG``) and ``ANCHOR_*``
    variables, with the command's own flags (those given: not ``None``, not empty) on top."""
    from anchor.config import load_config

    given = {k: v for k, v in overrides.items() if v is not None and v != ""}
    return load_config(config_path, **given)


def open_db(config: Config, url: str | None) -> Database:
    """The database a command reads or adds to; it must exist already (``anchor db init``
    creates one): a mistyped URL is an error naming it, never a new, empty database."""
    from anchor.store.db import Database

    return Database.open_existing(url, config=config)


@contextmanager
def opened(
    config_path: str | Path | None, url: str | None, **overrides: Any
) -> Iterator[tuple[Config, Database]]:
    """The configuration (with ``overrides`` as in :func:`load`) and an open database,
    closed when the command is done."""
    cfg = load(config_path, **overrides)
    db = open_db(cfg, url)
    try:
        yield cfg, db
    finally:
        db.close()

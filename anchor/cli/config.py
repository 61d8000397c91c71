"""``anchor config show``: the effective configuration (file, then ``ANCHOR_*`` variables,
then the chain profile), secrets redacted. Only typer and the standard library at import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer

from anchor.cli.options import ConfigOpt, JsonOpt, add_group

__all__ = ["redacted", "register"]

REDACTED = "<redacted>"
# values that are secrets themselves (the rest reference secrets by variable name or path)
SECRET_FIELDS = frozenset({"api_key"})
# URLs whose path, query or user part may carry a credential (provider keys, tokens)
URL_FIELDS = frozenset({"rpc_url", "database_url", "alarm_webhooks", "explorer_base_url"})


def _url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        return REDACTED
    if not parts.scheme or not parts.netloc:
        if parts.scheme == "sqlite" or value.startswith("sqlite:"):
            return value  # a file path
        return REDACTED
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}:{REDACTED}@" if parts.password else ""
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    if parts.scheme.startswith(("postgres", "sqlite")):
        rest = parts.path  # a database name is not a secret; the password is
    return f"{parts.scheme}://{user}{host}{port}{rest}"


def redacted(cfg: Any) -> dict[str, Any]:
    """Every field of ``cfg``, secrets replaced."""
    from dataclasses import fields

    out: dict[str, Any] = {}
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if f.name in SECRET_FIELDS and value:
            value = REDACTED
        elif f.name in URL_FIELDS and value:
            value = [_url(v) for v in value] if isinstance(value, tuple) else _url(value)
        elif f.name == "chains" and value:  # each chain as it takes effect, its URLs redacted
            from anchor.config_chains import chains_of

            value = [redacted(c) for c in chains_of(cfg)]
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def register(app: typer.Typer) -> None:
    config_app = add_group(app, "config", "The configuration.")

    @config_app.command("show")
    def show(
        config: Path | None = ConfigOpt,
        as_json: bool = JsonOpt,
    ) -> None:
        """Print the effective configuration, secrets redacted (exit 2 on an unknown key,
        an unknown chain profile or a bad value)."""
        from anchor.config import load_config

        cfg = load_config(config)
        values = redacted(cfg)
        if as_json:
            typer.echo(json.dumps(values, indent=2))
            return
        for name, value in values.items():
            typer.echo(
                f"{name} = {json.dumps(value)}" if value is not None else f"# {name} (unset)"
            )
        if cfg.chain:
            from anchor.chain_profiles import profile

            p = profile(cfg.chain)
            typer.echo(
                f"# chain profile {p.name}: {p.title}, chain id {p.chain_id}, finality "
                f"{p.finality}, block time ~{p.block_time_seconds:g} s"
                + (", proof-of-authority middleware" if p.poa else "")
            )

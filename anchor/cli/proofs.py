"""CLI: ``anchor prove``, ``anchor anchors export``, ``anchor accounts token|link``.

Imports only typer / rich / stdlib at top level; the server pieces are imported inside the
commands so a base install (verifier only) still starts.

Exit codes of ``anchor prove``: 0 bundle written; 3 the record is not anchored yet (its
status is printed, nothing is written); 2 unusable input / unknown record / service error.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import typer

from anchor.cli.context import load as _config
from anchor.cli.context import open_db as _open_db
from anchor.cli.options import (
    ApiOpt,
    ChainOpts,
    ChainRead,
    JsonOpt,
    OutOpt,
    Store,
    StoreOpts,
    TokenOpt,
    add_group,
    with_blocks,
)

__all__ = ["register"]

EXIT_PENDING = 3


def _write(out: Path | None, data: bytes) -> None:
    if out is None or str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)


def _prove_http(
    api: str, record_id: str, account: str | None, api_key: str | None, token: str | None
) -> tuple[int, bytes]:
    import httpx

    from anchor.errors import AnchorError, NotFoundError

    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif api_key:
        headers["X-API-Key"] = api_key
    params = {"account": account} if account else None
    from urllib.parse import quote

    url = api.rstrip("/") + "/v1/proofs/" + quote(record_id, safe="")
    try:
        resp = httpx.get(url, headers=headers, params=params, timeout=30.0)
    except httpx.HTTPError as exc:
        raise AnchorError(f"service unreachable at {api}: {type(exc).__name__}") from None
    if resp.status_code == 404:
        raise NotFoundError(f"record {record_id!r}: no proof available (unknown or not visible)")
    if resp.status_code not in (200, 202):
        try:
            detail = resp.json().get("detail")
        except ValueError:
            detail = resp.text[:200]
        raise AnchorError(f"service answered {resp.status_code}: {detail}")
    return resp.status_code, resp.content


def register(app: typer.Typer) -> None:
    """Add ``prove``, ``anchors`` and ``accounts`` to the main CLI."""

    @app.command("prove")
    @with_blocks
    def prove(
        record_id: str = typer.Argument(..., help="the record id given at ingest"),
        out: Path | None = OutOpt,
        api: str | None = ApiOpt,
        account: str | None = typer.Option(
            None, "--account", help="include this account's salt (to hand the proof to its owner)"
        ),
        token: str | None = TokenOpt,
        store: Store = StoreOpts,
    ) -> None:
        """Write the proof bundle of RECORD_ID (ledger-anchor-proof/1) to -o FILE.

        With --api: a user token (--token / ANCHOR_USER_TOKEN) or else the operator key from
        ANCHOR_API_KEY (or the config). Exit 3 when the record is not anchored yet (its
        status is printed)."""
        from rich.console import Console

        err = Console(stderr=True)
        cfg = _config(store.config)
        if api:
            status, body = _prove_http(api, record_id, account, cfg.api_key, token)
            if status == 202:
                info = json.loads(body)
                err.print(
                    f"record {record_id}: {info.get('status')} (state {info.get('state')}, "
                    f"batch {info.get('batch_id')}); no bundle yet"
                )
                raise typer.Exit(EXIT_PENDING)
            _write(out, body)
        else:
            from anchor.api.proofs import Viewer, load_proof

            db = _open_db(cfg, store.database_url)
            try:
                outcome = load_proof(db, record_id, Viewer(operator=True, disclose=account), cfg)
            finally:
                db.close()
            if outcome.body is None:
                err.print(
                    f"record {record_id}: {outcome.status} (state {outcome.state}, "
                    f"batch {outcome.batch_id}); no bundle yet"
                )
                raise typer.Exit(EXIT_PENDING)
            body = outcome.body
            _write(out, body)
        if out is not None and str(out) != "-":
            err.print(f"wrote {out} ({len(body)} bytes)")

    anchors_app = add_group(
        app,
        "anchors",
        "The anchors audit list (chain events joined with our records).",
        no_args_is_help=False,
    )

    @anchors_app.command("export")
    @with_blocks
    def export(
        as_csv: bool = typer.Option(False, "--csv", help="CSV output"),
        as_json: bool = JsonOpt,
        out: Path | None = OutOpt,
        store: Store = StoreOpts,
        chain: ChainRead = ChainOpts,
    ) -> None:
        """Every batch id from the chain's Anchored events and our batch table: root, leaf
        count, tx hash, block, explorer link, status. Exit 1 when anything mismatches."""
        from anchor.errors import InputError
        from anchor.service.audit import EXPORT_COLUMNS, collect_anchors, export_rows

        if as_csv == as_json:
            raise InputError("choose exactly one of --csv or --json")
        cfg = _config(store.config, rpc_url=chain.rpc_url, contract_address=chain.contract)
        if not cfg.rpc_url or not cfg.contract_address:
            from anchor.errors import ConfigError

            raise ConfigError(
                "no chain to read: pass --rpc and --contract, or set rpc_url and "
                "contract_address in the config file (ANCHOR_CONFIG)"
            )
        db = _open_db(cfg, store.database_url)
        try:
            report = collect_anchors(db, cfg, from_block=chain.from_block)
        finally:
            db.close()
        rows = export_rows(report)
        if as_json:
            data = (
                json.dumps(
                    {
                        "chain_id": report.chain_id,
                        "contract": report.contract,
                        "latest_block": report.latest_block,
                        "finalized_block": report.finalized_block,
                        "error": report.error,
                        "mismatches": report.mismatches,
                        "anchors": rows,
                    },
                    indent=2,
                )
                + "\n"
            ).encode()
        else:
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            data = buf.getvalue().encode()
        _write(out, data)
        if report.error:
            typer.echo(f"error: chain not readable: {report.error}", err=True)
            raise typer.Exit(2)
        if report.mismatches:
            typer.echo(
                f"{report.mismatches} mismatch(es) between the chain and our records", err=True
            )
            raise typer.Exit(1)

    @app.command("report")
    @with_blocks
    def report_command(
        html_out: Path = typer.Option(
            ..., "--html", help="write one self-contained HTML report here"
        ),
        store: Store = StoreOpts,
        chain: ChainRead = ChainOpts,
    ) -> None:
        """An audit report a regulator can file: the registry and its code-hash check against
        the committed artifact, every anchor (block time, finality, latency, explorer
        links), open alarms, missed receipt deadlines. Exit 0 when nothing is wrong, 1 when
        something needs looking at, 2 when the chain cannot be read (the report is written
        all the same)."""
        from anchor.service.report import build_report, render_html

        with store.opened(rpc_url=chain.rpc_url, contract_address=chain.contract) as (cfg, db):
            report = build_report(db, cfg, from_block=chain.from_block)
        _write(html_out, render_html(report).encode("utf-8"))
        typer.echo(
            f"wrote {html_out}: {len(report.rows)} anchors, {report.anchors.mismatches} "
            f"mismatch(es), registry code: {report.code.detail}, {len(report.alarms)} open "
            f"alarm(s), {len(report.missed)} missed receipt deadline(s)",
            err=True,
        )
        if report.anchors.error:
            typer.echo(f"error: chain not readable: {report.anchors.error}", err=True)
            raise typer.Exit(2)
        if report.problems:
            raise typer.Exit(1)

    accounts_app = add_group(app, "accounts", "User credentials.", no_args_is_help=False)

    @accounts_app.command("token")
    @with_blocks
    def token(
        account_id: str = typer.Argument(..., help="the account to issue a token for"),
        store: Store = StoreOpts,
    ) -> None:
        """Issue a bearer token for ACCOUNT_ID and print it ONCE (only its hash is kept)."""
        from anchor.api.auth import issue_token

        with store.opened() as (_cfg, db):
            issued = issue_token(db, account_id)
        typer.echo(issued.token)
        typer.echo(
            f"token for account {account_id}: shown once, store it now "
            "(use: Authorization: Bearer <token>)",
            err=True,
        )

    @accounts_app.command("link")
    @with_blocks
    def link(
        account_id: str = typer.Argument(...),
        address: str = typer.Argument(..., help="0x address, or 'none' to unlink"),
        store: Store = StoreOpts,
    ) -> None:
        """Link an Ethereum address to ACCOUNT_ID (for Sign-In-With-Ethereum)."""
        from anchor.api.auth import link_eth_address

        with store.opened() as (_cfg, db):
            linked = link_eth_address(
                db, account_id, None if address.lower() == "none" else address
            )
        typer.echo(f"{account_id}: {linked or 'unlinked'}")

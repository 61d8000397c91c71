"""``anchor verify-liability FILE (--offline | --rpc URL --contract 0x…) [--round N]``.

Exit codes as ``anchor verify``: 0 valid, 1 invalid (the failed step is named), 2 unusable
input or RPC, 3 no contract pinned. Prints the user's own amounts and the round's totals.
Only typer, the standard library and the shared exits of :mod:`anchor.cli.verify` at
module level.
"""

from __future__ import annotations

import typer

from anchor.cli.options import RpcTimeoutOpt
from anchor.cli.verify import EXIT_NOT_PINNED, checked, fail, read_input

__all__ = ["register", "verify_liability_command"]


def verify_liability_command(
    file: str = typer.Argument(..., help="liability proof bundle (JSON), or - for stdin"),
    offline: bool = typer.Option(False, "--offline", help="math only; no chain"),
    rpc: str | None = typer.Option(None, "--rpc", help="JSON-RPC URL of the chain"),
    contract: str | None = typer.Option(
        None,
        "--contract",
        help="the LiabilitiesRegistry address you trust (required "
        "with --rpc; never taken from the bundle)",
    ),
    round_id: int | None = typer.Option(
        None, "--round", help="the round to check (default: the contract's latest)"
    ),
    account: str | None = typer.Option(
        None, "--account", help="your account id: the proof must be of this account"
    ),
    timeout: float = RpcTimeoutOpt,
) -> None:
    """Verify a liability proof: your leaf (commitment from your account id and salt, your
    balances) is counted in the round's per-asset totals, and (with --rpc) those are the
    totals anchored in the contract you pinned, for its latest round."""
    from anchor.core.liability_proof import parse_liability_bundle
    from anchor.verifier.liability import verify_liability_offline, verify_liability_online
    from anchor.verifier.rpc import RpcClient

    if offline == (rpc is not None):
        fail("error: give exactly one of --offline or --rpc URL")
    if rpc is not None and contract is None:
        fail("error: --rpc needs --contract 0x… (the registry you trust)", EXIT_NOT_PINNED)
    with checked(file):
        bundle = parse_liability_bundle(read_input(file))
        if rpc is not None:
            assert contract is not None
            with RpcClient(rpc, timeout=timeout) as client:
                result = verify_liability_online(
                    bundle,
                    client,
                    contract=contract,
                    expected_round=round_id,
                    expected_account=account,
                )
        else:
            result = verify_liability_offline(bundle, expected_account=account)
    where = (
        f"on chain ({result.contract}, latest round {result.latest_round})"
        if result.online
        else "offline: math only, the chain was not asked"
    )
    typer.echo(f"valid: round {result.round_id}, account {result.account_id}, {where}")
    for asset, mine, total in zip(result.assets, result.balances, result.totals, strict=True):
        typer.echo(f"  {asset}: yours {mine} of total liabilities {total}")


def register(app: typer.Typer) -> None:
    app.command("verify-liability")(verify_liability_command)

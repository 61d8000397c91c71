"""``anchor devnet up|down|status``, ``anchor deploy`` and ``anchor contract source``.

Only typer and the standard library at import time; web3 and friends load inside the
commands, so the base install (verifier only) still starts.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from anchor.cli.options import ConfigOpt, JsonOpt, RpcOpt

devnet_app = typer.Typer(
    name="devnet",
    help="A local chain with no Hardhat (anvil from npm): up, down, status.",
    no_args_is_help=True,
)

_DEFAULT_DIR = Path(".anchor") / "devnet"

DirOpt = typer.Option(
    _DEFAULT_DIR, "--dir", help="Where the devnet's PID, log and description live."
)


contract_app = typer.Typer(
    name="contract",
    help="The registry contract: files to verify its source on an explorer.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the chain commands to the main ``anchor`` app."""
    app.add_typer(devnet_app, name="devnet")
    app.command("deploy")(deploy)
    contract_app.command("source")(contract_source)
    app.add_typer(contract_app, name="contract")


def _echo_devnet(info: dict[str, object], *, running: bool, block: int | None = None) -> None:
    accounts = info.get("accounts") or []
    options = info.get("options") if isinstance(info.get("options"), dict) else {}
    typer.echo(f"status:      {'running' if running else 'stopped'} (pid {info.get('pid')})")
    typer.echo(f"rpc url:     {info.get('rpc_url')}")
    typer.echo(f"chain id:    {info.get('chain_id')}")
    if isinstance(accounts, list) and accounts:
        typer.echo(f"dev account: {accounts[0]} (funded)")
    if block is not None:
        typer.echo(f"block:       {block}")
    if isinstance(options, dict) and options.get("state_file"):
        typer.echo(f"state file:  {options['state_file']}")
    if isinstance(options, dict) and options.get("default_mnemonic"):
        typer.echo(
            "note:        accounts come from the public test mnemonic "
            '("test test ... junk"); their keys are published: never use them on a real chain'
        )


@devnet_app.command("up")
def devnet_up_command(
    directory: Path = DirOpt,
    port: int = typer.Option(8545, help="Port on 127.0.0.1; 0 picks a free one."),
    chain_id: int = typer.Option(31337, "--chain-id"),
    block_time: float | None = typer.Option(
        None, "--block-time", help="Seconds per block (default: mine per transaction)."
    ),
    state: Path | None = typer.Option(
        None, "--state", help="State file: loaded at start, written at stop."
    ),
    state_interval: int | None = typer.Option(
        None, "--state-interval", help="Also write the state file every N seconds."
    ),
    slots_in_an_epoch: int | None = typer.Option(
        None, "--slots-in-an-epoch", help="1 gives safe = head-1 and finalized = head-2."
    ),
    mnemonic: str | None = typer.Option(
        None, help="Deterministic accounts (default: the public test mnemonic)."
    ),
    anvil: Path | None = typer.Option(None, help="The anvil executable to use."),
    show_dev_key: bool = typer.Option(
        False, "--show-dev-key", help="Print account 0's key (public test mnemonic only)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Start anvil in the background on 127.0.0.1."""
    from anchor.chain.devnet import DEFAULT_MNEMONIC, DevnetOptions, devnet_up

    options = DevnetOptions(
        port=port,
        chain_id=chain_id,
        mnemonic=mnemonic or DEFAULT_MNEMONIC,
        block_time=block_time,
        state_file=str(state.resolve()) if state else None,
        state_interval=state_interval,
        slots_in_an_epoch=slots_in_an_epoch,
    )
    devnet = devnet_up(directory, options, anvil=anvil)
    info = devnet.to_public_json()
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        _echo_devnet(info, running=True)
    if show_dev_key:
        if options.mnemonic == DEFAULT_MNEMONIC:
            typer.echo(f"dev key:     {devnet.dev_account.private_key} (public test key)")
        else:
            typer.echo("dev key:     not shown (a custom mnemonic's keys are secrets)", err=True)


@devnet_app.command("status")
def devnet_status_command(
    directory: Path = DirOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Is the devnet up? Where, which chain, which funded account."""
    from anchor.chain.devnet import devnet_status

    status = devnet_status(directory)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "running": status.running,
                    "block_number": status.block_number,
                    "devnet": status.info,
                },
                indent=2,
            )
        )
    elif status.info is None:
        typer.echo("no devnet (run `anchor devnet up`)")
    else:
        _echo_devnet(status.info, running=status.running, block=status.block_number)
    if not status.running:
        raise typer.Exit(1)


@devnet_app.command("down")
def devnet_down_command(directory: Path = DirOpt) -> None:
    """Stop the devnet (by its PID; anvil writes its state file, if any)."""
    from anchor.chain.devnet import devnet_down

    info = devnet_down(directory)
    if info is None:
        typer.echo("no devnet was running")
    else:
        typer.echo(f"stopped anvil (pid {info['pid']}, {info['rpc_url']})")


def deploy(
    rpc: str | None = RpcOpt,
    chain_id: int | None = typer.Option(
        None, "--chain-id", help="Expected chain id (default: config chain_id)."
    ),
    chain: str | None = typer.Option(
        None, "--chain", help="Chain profile (mainnet, sepolia, base, optimism, ...)."
    ),
    keystore: Path | None = typer.Option(
        None, "--keystore", help="eth-account keystore file (password: env or prompt)."
    ),
    key_env: str | None = typer.Option(
        None, "--key-env", help="Variable holding the hex key (default ANCHOR_PRIVATE_KEY)."
    ),
    password_env: str | None = typer.Option(
        None, "--password-env", help="Variable holding the keystore password."
    ),
    anchorer: str | None = typer.Option(
        None, "--anchorer", help="First anchorer address (default: the deployer)."
    ),
    owner: str | None = typer.Option(
        None, "--owner", help="Owner address (default: the deployer)."
    ),
    salt: str | None = typer.Option(
        None, "--salt", help="CREATE2 salt, 0x-hex up to 32 bytes (default: the project's)."
    ),
    out: Path = typer.Option(
        Path("deployment.json"), "--out", help="Where to write the deployment record."
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Deploy the committed AnchorRegistry artifact through the CREATE2 factory: the same
    salt, owner and first anchorer give the same address on every chain. Prints the address
    before sending; refuses a wrong chain id or an address holding other code."""
    from anchor.chain.client import RetryPolicy, make_web3
    from anchor.chain.create2 import parse_salt
    from anchor.chain.deploy import DeploymentPlan, deploy_registry, write_deployment
    from anchor.chain.keys import load_signing_key
    from anchor.config import load_config
    from anchor.errors import ConfigError, InputError

    cfg = load_config(config, chain=chain) if chain else load_config(config)
    rpc_url = rpc or cfg.rpc_url
    expected = chain_id if chain_id is not None else cfg.chain_id
    if not rpc_url:
        raise ConfigError("no RPC URL: pass --rpc or set rpc_url")
    if expected is None:
        raise ConfigError(
            "no chain id: pass --chain-id or set chain_id (deploying blind is refused)"
        )
    salt_bytes = parse_salt(salt)
    for label, value in (("--owner", owner), ("--anchorer", anchorer)):
        if value is not None and not _is_address(value):
            raise InputError(f"{label} is not an address: {value!r}")
    keystore_path = keystore or (Path(cfg.keystore_path) if cfg.keystore_path else None)
    key = load_signing_key(
        keystore=keystore_path,
        key_env=key_env or cfg.private_key_env,
        password_env=password_env or cfg.keystore_password_env,
    )
    from anchor.config import uses_poa

    w3 = make_web3(
        rpc_url,
        policy=RetryPolicy(timeout=30.0, retries=3, backoff_factor=0.25),
        poa=uses_poa(cfg),
    )

    def show(plan: DeploymentPlan) -> None:
        typer.echo(f"AnchorRegistry on chain {plan.chain_id} at {rpc_url}")
        typer.echo(f"address:     {plan.address} (CREATE2 salt {plan.salt})")
        typer.echo(f"owner:       {plan.owner}")
        typer.echo(f"anchorer:    {plan.anchorer}")
        if plan.refusal is not None:
            return
        if plan.already_deployed:
            typer.echo("already deployed: this registry, with these arguments; nothing sent")
        else:
            if plan.factory_missing:
                typer.echo(
                    f"factory:     missing at {plan.factory}: creating it first from its "
                    "presigned transaction (the deployer pays 0.01 ETH for its gas)"
                )
            typer.echo(f"sending from {key.address} ...")

    record = deploy_registry(
        w3,
        key,
        expected_chain_id=expected,
        anchorer=anchorer,
        owner=owner,
        salt=salt_bytes,
        on_plan=show,
    )
    write_deployment(record, out)
    typer.echo(f"transaction: {record.deploy_tx}")
    typer.echo(f"block:       {record.block_number} {record.block_hash}")
    typer.echo(f"runtime code matches the artifact (keccak {record.runtime_code_keccak256})")
    typer.echo(f"record:      {out}")
    link = cfg.explorer_url("address", address=record.address)
    if link:
        typer.echo(f"explorer:    {link}")
    typer.echo(
        f"configure:   contract_address = {record.address!r}, "
        f"contract_start_block = {record.block_number}"
    )


def _is_address(value: str) -> bool:
    body = value.removeprefix("0x")
    return (
        value.startswith("0x")
        and len(body) == 40
        and all(c in "0123456789abcdefABCDEF" for c in body)
    )


def contract_source(
    rpc: str = typer.Option(..., "--rpc", help="JSON-RPC URL of the chain."),
    address: str = typer.Option(..., "--address", help="The deployed registry."),
    out_dir: Path = typer.Option(..., "-o", "--out-dir", help="Directory to write."),
) -> None:
    """Write what an explorer's verification form needs for one deployment: the
    standard-JSON input, the compiler version, the ABI-encoded constructor arguments (read
    from the creation transaction) and the metadata."""
    from anchor.chain.client import make_web3
    from anchor.chain.source import write_verification_files

    if not _is_address(address):
        from anchor.errors import InputError

        raise InputError(f"--address is not an address: {address!r}")
    info = write_verification_files(make_web3(rpc), address, out_dir)
    typer.echo(f"contract:          {info.contract}")
    typer.echo(f"compiler:          {info.compiler_version}")
    typer.echo(f"constructor args:  {info.constructor_args_hex} ({info.arguments_text})")
    typer.echo(f"created in block:  {info.block_number} ({info.tx_hash})")
    for path in info.files:
        typer.echo(f"wrote {path}")

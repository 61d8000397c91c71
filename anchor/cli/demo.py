"""`anchor demo`: the whole pipeline on one machine, in one command.

Starts a local devnet (anvil), deploys the registry, starts the service (API + anchorer) with
a built-in feed of a small, consistent exchange (:mod:`anchor.core.exchange_feed`: deposits,
orders matched by its engine, trades with fees, funding on a perpetual, an option expiring,
withdrawals, snapshots -- for a few hundred accounts, so `anchor books` finds no break), waits
for the first final anchor and prints where to look. Ctrl-C stops everything it started, by
PID. A run continues the previous run's books with accounts and markets of its own.
"""

from __future__ import annotations

import functools
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console

console = Console(highlight=False, soft_wrap=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FeedState:
    """A running exchange (:func:`anchor.core.exchange_feed.demo_feed`): whole steps of its
    matching engine per tick, so that wherever the demo stops the books have no break."""

    run: str
    accounts: int
    sent: int = 0
    steps: Iterator[list[dict[str, Any]]] | None = None

    def next_records(self, n: int) -> list[dict[str, Any]]:
        from anchor.core.exchange_feed import demo_feed

        if self.steps is None:
            self.steps = demo_feed(self.run, accounts=self.accounts)
        objs: list[dict[str, Any]] = []
        while len(objs) < n:
            objs += next(self.steps)
        self.sent += len(objs)
        return objs


def _user_balance(obj: dict[str, Any]) -> bool:
    return obj["kind"] == "balance" and str(obj["account"]).startswith("user-")


def feed_lines(records: list[dict[str, Any]]) -> Iterator[bytes]:
    import json

    for obj in records:
        yield json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"service did not answer at {url} within {timeout:.0f}s ({last})")


def run_demo(
    *,
    data_dir: Path = typer.Option(Path(".anchor/demo"), help="Where the demo keeps its files."),
    interval: float = typer.Option(5.0, help="Seconds between seals."),
    rate: int = typer.Option(200, help="Sample records fed per second."),
    accounts: int = typer.Option(300, min=2, help="Accounts of the sample exchange."),
    duration: float | None = typer.Option(
        None, help="Stop after this many seconds (default: run until Ctrl-C)."
    ),
    block_time: float = typer.Option(1.0, help="Devnet block time in seconds."),
    fresh: bool = typer.Option(
        False,
        "--fresh",
        help="Remove the previous runs' books, chain, backups and config first "
        "(default: continue them).",
    ),
) -> int:
    """Run a local devnet, the service and a sample exchange feed; print where to look.

    Leaves a configuration for every other command in DATA_DIR/anchor.toml and prints
    the line that points them at it (export ANCHOR_CONFIG=...)."""
    from anchor.chain.client import make_web3
    from anchor.chain.deploy import deploy_registry, write_deployment
    from anchor.chain.devnet import DevnetOptions, start_devnet, stop_devnet
    from anchor.chain.keys import SigningKey
    from anchor.cli.demo_setup import (
        DATABASE_NAME,
        STATE_FILE,
        chain_mismatch,
        prepare_data_dir,
        recorded_deployment,
        wipe,
        write_config,
        write_sample_file,
    )

    data_dir = data_dir.absolute()  # the config it writes works from any directory

    from anchor.cli.demo_pids import forget, stop_leftovers
    from anchor.cli.demo_pids import record as record_pids

    data_dir.mkdir(parents=True, exist_ok=True)
    stop_leftovers(data_dir, say=lambda text: console.print(f"[yellow]{text}[/]"))
    notes = prepare_data_dir(data_dir, fresh=fresh)  # after the leftovers are stopped
    record_pids(data_dir, demo=os.getpid())
    # SIGTERM stops everything as Ctrl-C does (then exits 143, Ctrl-C 130)
    stopped_by: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        if not stopped_by:
            stopped_by.append(signum)
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    run = f"d{int(time.time()):x}"  # names this run's records, accounts and markets
    db_path = (data_dir / DATABASE_NAME).absolute()
    console.print(f"[bold]ledger-anchor demo[/] — data in {data_dir}")
    for note in notes:
        console.print(f"          {note}")

    had_chain = (data_dir / STATE_FILE).exists()
    devnet = start_devnet(
        DevnetOptions(
            block_time=block_time,
            slots_in_an_epoch=1,
            state_file=str((data_dir / STATE_FILE).absolute()),
            state_interval=5,
        ),
        workdir=data_dir / "devnet",
    )
    record_pids(data_dir, anvil=devnet.pid)
    service: subprocess.Popen[bytes] | None = None
    try:
        console.print(
            f"devnet    anvil pid {devnet.pid} at {devnet.rpc_url} (chain id {devnet.chain_id})"
        )
        # The dev key comes from anvil's well-known public test mnemonic: fine for a devnet,
        # never for a real chain.
        key = SigningKey.from_hex(devnet.dev_account.private_key, source="devnet mnemonic")
        w3 = make_web3(devnet.rpc_url)
        record = recorded_deployment(w3, data_dir)  # the last run's, if the chain has it
        why = None if record is None else chain_mismatch(db_path, devnet.rpc_url, record.address)
        if record is None or why is not None:
            if why is not None or db_path.exists() or had_chain:  # cannot continue them
                reason = why or "the chain from the last run is gone"
                console.print(f"          starting afresh: {reason}")
                w3.provider.make_request("anvil_reset", [])  # type: ignore[arg-type]
                wipe(data_dir, chain=False)
            record = deploy_registry(w3, key, expected_chain_id=devnet.chain_id)
        write_deployment(record, data_dir / "deployment.json")
        console.print(
            f"contract  AnchorRegistry at {record.address} (block {record.block_number}; "
            "CREATE2: the same address on every chain)"
        )

        targets = [data_dir / "backup-a", data_dir / "backup-b"]
        for target in targets:
            target.mkdir(parents=True, exist_ok=True)
        key_file = data_dir / "backup.keys"
        if not key_file.exists():  # the demo's bundle key (AES-256-GCM), kept for restores
            from anchor.backup.crypto import new_key_entry

            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(new_key_entry("demo") + "\n")
        console.print(f"backups   {targets[0]} and {targets[1]}, encrypted (key file {key_file})")

        api_port = _free_port()
        api_key = secrets.token_urlsafe(24)
        env = dict(os.environ)
        env.update(
            {
                "ANCHOR_DATABASE_URL": f"sqlite:///{db_path}",
                "ANCHOR_DATA_DIR": str(data_dir),
                "ANCHOR_API_KEY": api_key,
                "ANCHOR_API_PORT": str(api_port),
                "ANCHOR_RPC_URL": devnet.rpc_url,
                "ANCHOR_CHAIN_ID": str(devnet.chain_id),
                "ANCHOR_CONTRACT_ADDRESS": record.address,
                "ANCHOR_CONTRACT_START_BLOCK": str(record.block_number),
                "ANCHOR_PRIVATE_KEY": devnet.dev_account.private_key,
                "ANCHOR_SEAL_INTERVAL_SECONDS": str(interval),
                "ANCHOR_STUCK_AFTER_SECONDS": "10",
                "ANCHOR_BACKUP_TARGETS": ",".join(str(t) for t in targets),
                "ANCHOR_BACKUP_ALARM_SECONDS": "30",
                "ANCHOR_BACKUP_KEY_FILE": str(key_file),
            }
        )
        config_path = write_config(data_dir, env)
        env["ANCHOR_CONFIG"] = str(config_path)
        sample = write_sample_file(data_dir, run)
        log = (data_dir / "service.log").open("ab")
        service = subprocess.Popen(
            [sys.executable, "-m", "anchor.cli", "serve", "--role", "all"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        record_pids(data_dir, service=service.pid)
        api = f"http://127.0.0.1:{api_port}"
        _wait_http(f"{api}/healthz", 60)
        console.print(
            f"service   pid {service.pid}, API {api} (docs {api}/docs, explorer {api}/explorer)"
        )
        console.print(f"          log {data_dir / 'service.log'}")

        feed = FeedState(run=run, accounts=accounts)
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/x-ndjson"}
        first: list[dict[str, Any]] = []
        announced = False
        started = time.monotonic()
        with httpx.Client(base_url=api, timeout=30.0) as client:
            while duration is None or time.monotonic() - started < duration:
                records = feed.next_records(rate)
                if not first:
                    first = records[:1]  # DEMO_RECORD
                if len(first) == 1:  # and a user's balance snapshot: DEMO_BALANCE_RECORD
                    first += [r for r in records if _user_balance(r)][:1]
                body = b"".join(feed_lines(records))
                resp = client.post("/v1/records/bulk", content=body, headers=headers)
                if resp.status_code >= 300:
                    console.print(f"[red]ingest refused ({resp.status_code}): {resp.text[:300]}[/]")
                if not announced and len(first) == 2:
                    announced = _announce(
                        client,
                        api,
                        devnet.rpc_url,
                        first,
                        api_key,
                        registry=(devnet.chain_id, record.address.lower()),
                        config_path=config_path,
                        sample=sample,
                    )
                if service.poll() is not None:
                    console.print(
                        f"[red]service exited with {service.returncode}; see service.log[/]"
                    )
                    return 1
                time.sleep(1.0)
        if not announced:
            console.print("[red]no batch reached finality before the demo ended[/]")
            return 1
        console.print(f"fed {feed.sent} records; stopping")
        return 0
    except KeyboardInterrupt:
        console.print("\nstopping…")
        return 128 + (stopped_by[0] if stopped_by else signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the clean-up itself is not interrupted
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if service is not None and service.poll() is None:
            service.send_signal(signal.SIGTERM)
            try:
                service.wait(timeout=15)
            except subprocess.TimeoutExpired:
                service.kill()
                service.wait()
        stop_devnet(devnet)
        forget(data_dir)
        console.print("stopped the service and the devnet")


def _announce(
    client: httpx.Client,
    api: str,
    rpc_url: str,
    first: list[dict[str, Any]],
    api_key: str,
    *,
    registry: tuple[int, str],
    config_path: Path,
    sample: Path,
) -> bool:
    """Once ``first`` (this run's first record and the first balance snapshot of a user) is
    final on chain, print where to look. True when printed. (A continued run's older
    batches are final long before.)"""
    rid = first[0]["record_id"]
    for r in first[::-1]:  # the later one first: batches become final in order
        proof = client.get(
            f"/v1/proofs/{r['record_id']}", headers={"Authorization": f"Bearer {api_key}"}
        )
        if proof.status_code != 200 or proof.json()["anchor"]["status"] != "final":
            return False
    resp = client.get("/v1/batches")
    if resp.status_code != 200:
        return False
    data = resp.json()
    batches = data["batches"] if isinstance(data, dict) and "batches" in data else data
    batch = next((b for b in batches if b["id"] == proof.json()["batchId"]), None)
    if batch is None:
        return False
    console.print(
        f"[green]anchored[/]  batch {batch['id']}: root {batch.get('root')} "
        f"in tx {batch.get('tx_hash')} (block {batch.get('block_number')}), state final"
    )
    chain_id, contract = registry
    # a user's own balance proof: the operator issues the account a token (shown once)
    balance = next((r for r in first if _user_balance(r)), None)
    token = None
    if balance is not None:
        issued = client.post(
            f"/v1/accounts/{balance['account']}/tokens",
            headers={"Authorization": f"Bearer {api_key}"},
        )
        if issued.status_code == 201:
            token = str(issued.json()["token"])
    bin_dir = Path(sys.executable).absolute().parent
    exports = {
        "ANCHOR_CONFIG": str(config_path),
        "PATH": f'"{bin_dir}:$PATH"',
        "DEMO_DIR": str(config_path.parent),
        "DEMO_API": api,
        "DEMO_RPC": rpc_url,
        "DEMO_CHAIN_ID": str(chain_id),
        "DEMO_CONTRACT": contract,
        "DEMO_RECORD": rid,
    }
    if balance is not None and token is not None:
        exports |= {"DEMO_BALANCE_RECORD": balance["record_id"], "DEMO_TOKEN": token}
    console.print(
        "point every command at this demo and put `anchor` on PATH (this one line; then "
        "every command in the README runs as written):"
    )
    console.print("  export " + " ".join(f"{k}={v}" for k, v in exports.items()))
    console.print(
        f"          (config {config_path}; `source {bin_dir}/activate` also puts anchor on PATH)"
    )
    console.print(
        "pin the exchange's registry once (a real exchange publishes this address on its "
        "website, in an ENS text record and in a signed statement; never take it from a "
        "proof bundle):"
    )
    console.print(
        f"  anchor trust add --chain-id {chain_id} --contract {contract} --name demo-exchange"
    )
    console.print("prove it yourself (verify uses the pinned registry):")
    console.print(f"  anchor prove {rid} --api {api} -o proof.json")
    console.print(f"  anchor verify proof.json --rpc {rpc_url}")
    if balance is not None and token is not None:
        console.print(
            f"a user's own balance proofs (account {balance['account']}, with the token the "
            "demo issued it):"
        )
        console.print(
            f"  anchor prove {balance['record_id']} --api {api} --token {token} -o my-balance.json"
        )
        console.print(f"  anchor verify my-balance.json --rpc {rpc_url}")
        console.print(
            f"  curl -s -H 'Authorization: Bearer {token}' {api}/v1/me/balance-proofs "
            "> my-balances.json"
        )
        console.print(f"  anchor verify my-balances.json --rpc {rpc_url}")
    console.print(f"more records to ingest: anchor ingest {sample}")
    console.print(f"anchors read from the chain: {api}/explorer")
    console.print("Ctrl-C stops everything; the next run continues (--fresh starts anew).")
    return True


def register(app: typer.Typer) -> None:
    """``anchor demo``: :func:`run_demo`'s options and help, its result as the exit status."""

    @app.command("demo")
    @functools.wraps(run_demo)
    def demo(**options: Any) -> None:
        raise typer.Exit(run_demo(**options))

"""``anchor verify FILE (--offline | --rpc URL [--rpc URL ...] [--contract 0x.. | --trust-file F]
[--require K])`` and ``anchor verify-receipt FILE --signer 0x..``.

A bundle anchored on several chains (v2) is checked on each chain an ``--rpc`` serves, against
the registry pinned for that chain: by default every anchor it names must hold; ``--require
K`` accepts K valid final anchors on pinned registries (:mod:`anchor.verifier.policy`).

FILE is one bundle in any JSON formatting, or the balance-proof response of
``GET /v1/me/balance-proofs``: each of its bundles is verified on its own, one line each,
prefixed ``proofs[i]:``; the exit code is 0 only if all hold, else 1 if any is invalid, 2 if
any is unusable, 3 if the registry is not pinned.

Exit codes: 0 valid (``--offline``: the math holds, the chain was not asked), 1 invalid (the
message names the failed check), 2 unusable input (malformed bundle or trust file, wrong
chain) or unreachable RPC, 3 registry not pinned for the chain (no ``--contract``, no trust
file entry): the verifier refuses to judge. One line of output either way. Only typer and
the standard library are imported at module level so the base install starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from anchor.cli.options import RpcTimeoutOpt

if TYPE_CHECKING:
    from anchor.verifier.trust import TrustStore

__all__ = ["checked", "fail", "read_input", "register", "verify_command"]

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNUSABLE = 2
EXIT_NOT_PINNED = 3


def read_input(file: str) -> bytes:
    """The bytes of ``file``; ``-``: standard input."""
    if file == "-":
        return sys.stdin.buffer.read()
    return Path(file).read_bytes()


def fail(message: str, code: int = EXIT_UNUSABLE) -> NoReturn:
    """The command's one line on stderr, then its exit ``code``."""
    typer.echo(message, err=True)
    raise typer.Exit(code) from None


@contextmanager
def checked(file: str) -> Iterator[None]:
    """Reading ``file`` and checking what it holds, ended as the exit codes say: a failed
    check 1 (the step named), an unreadable file or unusable input 2."""
    from anchor.errors import AnchorError, VerificationError

    try:
        yield
    except OSError as exc:
        fail(f"error: cannot read {file}: {exc.strerror or exc}")
    except VerificationError as exc:
        fail(f"invalid: {exc.step}: {exc.detail}", EXIT_INVALID)
    except AnchorError as exc:
        fail(f"error: {exc.diagnostics()}")


def verify_command(
    file: str = typer.Argument(
        ...,
        help="a proof bundle (JSON, any formatting), or the balance-proof response "
        "(several bundles in .proofs[]); - for stdin",
    ),
    offline: bool = typer.Option(
        False, "--offline", help="math only: leaf and root; no chain check"
    ),
    rpc: list[str] | None = typer.Option(
        None,
        "--rpc",
        help="JSON-RPC URL of a chain the root is anchored on (repeat it, one per chain, "
        "for a bundle anchored on several)",
    ),
    require: int | None = typer.Option(
        None,
        "--require",
        min=1,
        help="accept K valid final anchors on pinned registries (default: every anchor "
        "the bundle names must hold)",
    ),
    contract: str | None = typer.Option(
        None,
        "--contract",
        help="registry address you trust (default: the one pinned for the chain in the "
        "trust file; never the bundle's)",
    ),
    trust_file: str | None = typer.Option(
        None,
        "--trust-file",
        help="trust file of pinned registries (default: $ANCHOR_TRUST_FILE or "
        "~/.config/ledger-anchor/trusted-registries.toml)",
    ),
    finality_depth: int | None = typer.Option(
        None,
        "--finality-depth",
        min=0,
        help="blocks below head counted final (default: the chain's finalized tag)",
    ),
    timeout: float = RpcTimeoutOpt,
) -> None:
    """Verify a proof bundle: recompute its leaf and root, and (with --rpc) check the root
    stored in the registry YOU pinned (--contract or `anchor trust add`), its code, the
    anchoring transaction, its canonical block and finality.

    Given the balance-proof response (GET /v1/me/balance-proofs), every bundle in it is
    verified, one line each; exit 0 only if all hold (else 1 if any is invalid, 2 if any
    is unusable, 3 if the registry is not pinned)."""
    from anchor.core.proof_json import read_bundle_document
    from anchor.errors import AnchorError
    from anchor.verifier.trust import TrustStore

    rpcs = list(rpc or [])
    if offline == bool(rpcs):
        fail("error: give exactly one of --offline or --rpc URL")
    if offline and require is not None:
        fail("error: --require applies to the chain check (--rpc), not --offline")
    try:
        data = read_input(file)
    except OSError as exc:
        fail(f"error: cannot read {file}: {exc.strerror or exc}")
    try:
        document = read_bundle_document(data)
        trust = TrustStore.load(trust_file) if rpcs and contract is None else None
    except AnchorError as exc:
        fail(f"error: {exc.diagnostics()}")
    codes = []
    for label, body in document.bundles:
        codes.append(
            _verify_one(
                body,
                f"{label}: " if document.several else "",
                rpcs=rpcs,
                require=require,
                contract=contract,
                trust=trust,
                finality_depth=finality_depth,
                timeout=timeout,
            )
        )
    for p in document.pending:
        typer.echo(
            f"pending: record {p['record_id']} ({p['asset']}) is not anchored yet "
            f"(state {p['state']}): no bundle to check",
            err=True,
        )
    if not codes:
        fail("error: balance-proof response: no bundle to verify")
    for code in (EXIT_INVALID, EXIT_UNUSABLE, EXIT_NOT_PINNED):
        if code in codes:
            raise typer.Exit(code)


def _verify_one(
    data: bytes,
    prefix: str,
    *,
    rpcs: list[str],
    require: int | None,
    contract: str | None,
    trust: TrustStore | None,
    finality_depth: int | None,
    timeout: float,
) -> int:
    """Verify one bundle and print its one line (prefixed); the exit code it deserves."""
    from anchor.errors import AnchorError, RegistryNotPinned, VerificationError
    from anchor.verifier.verify import verify_bundle_offline, verify_bundle_online

    try:
        if rpcs:
            result = verify_bundle_online(
                data,
                rpcs[0] if len(rpcs) == 1 else rpcs,
                contract=contract,
                trust=trust,
                require=require,
                finality_depth=finality_depth,
                timeout=timeout,
            )
        else:
            result = verify_bundle_offline(data)
    except VerificationError as exc:
        typer.echo(f"{prefix}invalid: {exc.step}: {exc.detail}", err=True)
        return EXIT_INVALID
    except RegistryNotPinned as exc:
        typer.echo(
            f"{prefix}{exc}: pin the exchange's published registry address with --contract "
            f"0x… or `anchor trust add --chain-id {exc.chain_id} --contract 0x… --name EXCHANGE`",
            err=True,
        )
        return EXIT_NOT_PINNED
    except AnchorError as exc:
        typer.echo(f"{prefix}error: {exc.diagnostics()}", err=True)
        return EXIT_UNUSABLE
    typer.echo(prefix + result.summary())
    return EXIT_VALID


def verify_receipt_command(
    file: str = typer.Argument(..., help="ingest receipt (JSON), or - for stdin"),
    signer: str = typer.Option(
        ...,
        "--signer",
        help="the receipt signer address the exchange publishes (never the receipt's own)",
    ),
) -> None:
    """Verify a signed ingest receipt: its path to the signed load root and the EIP-712
    signature by the signer you pinned. Exit 0 valid, 1 invalid, 2 unusable input."""
    from datetime import UTC, datetime

    from anchor.core.receipt import parse_receipt, verify_receipt
    from anchor.verifier.trust import normalize_address

    with checked(file):
        pinned = normalize_address(signer, "--signer")
        receipt = parse_receipt(read_input(file))
        verify_receipt(receipt, pinned)

    def when(t: int) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    typer.echo(
        f"valid receipt: record {receipt.record_id} (seq {receipt.seq}, leaf "
        f"0x{receipt.leaf.hex()}) accepted at {when(receipt.ingested_at)}, promised final on "
        f"chain by {when(receipt.deadline)}; signed by {pinned}"
    )


def register(app: typer.Typer) -> None:
    """Add ``anchor verify`` and ``anchor verify-receipt`` to the main app (``anchor trust``
    is :mod:`anchor.cli.trust`)."""
    app.command("verify")(verify_command)
    app.command("verify-receipt")(verify_receipt_command)

"""Which optional extra brings which import, for the one-line hint a base install prints.

The base install (``pip install ledger-anchor``) is the verifier: typer, rich, httpx and a
keccak. Every other command imports its server pieces inside the command; on a base install
that import fails, and :func:`anchor.cli.main` turns the failure into one line naming the
extra to install, instead of a traceback. Only the top-level import names below count: a
module missing for any other reason (a bug, a broken install) is not hidden behind the hint.

``tests/cli/test_extras.py`` checks that every third-party import under ``anchor/`` is
either a base dependency or listed here, so a new server import cannot slip past the hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["EXIT_MISSING_EXTRA", "EXTRA_OF", "install_hint", "missing_extra"]

# a server command on a base install: exit as for unusable configuration
EXIT_MISSING_EXTRA = 2

# top-level import name -> the extra that installs it (directly, or as a dependency of a
# package of that extra which we also import directly)
EXTRA_OF: dict[str, str] = {
    **dict.fromkeys(
        (
            "web3",
            "eth_account",
            "eth_abi",
            "eth_utils",  # web3, eth-account
            "eth_typing",  # web3
            "hexbytes",  # web3
            "requests",  # web3
            "py_ecc",  # eth-account
            "solcx",  # py-solc-x
            "apscheduler",
            "sqlmodel",
            "sqlalchemy",  # sqlmodel
            "fastapi",
            "starlette",  # fastapi
            "uvicorn",
            "coincurve",
            "orjson",
            "cryptography",
            "nats",  # nats-py
            "prometheus_client",
        ),
        "server",
    ),
    "psycopg": "postgres",
    "boto3": "s3",
    "botocore": "s3",  # boto3
}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The extra whose absence explains ``exc``, or None when it is not an extra's import."""
    top = (exc.name or "").partition(".")[0]
    return EXTRA_OF.get(top)


def command_words(root: Any, argv: Sequence[str]) -> str:
    """The command path at the start of ``argv`` (``backup run``) under the click group
    ``root``."""
    words: list[str] = []
    cmd = root
    for token in argv:
        sub = getattr(cmd, "commands", {}).get(token)
        if sub is None:
            break
        words.append(token)
        cmd = sub
    return " ".join(words)


def install_hint(exc: ModuleNotFoundError, root: Any, argv: Sequence[str]) -> str | None:
    """One line: which command needs which extra, and how to install it; None when no extra
    explains ``exc``."""
    extra = missing_extra(exc)
    if extra is None:
        return None
    top = (exc.name or "").partition(".")[0]
    what = f"anchor {command_words(root, argv)}".rstrip()
    return (
        f"error: {what} needs the {extra!r} extra ({top} is not installed): "
        f"pip install 'ledger-anchor[{extra}]'"
    )

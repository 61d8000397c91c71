"""Sending a transaction and waiting for its receipt, outside the transaction manager: web3's
failures become one :class:`~anchor.errors.ChainError` each, naming what was being sent.

Used by the operator's commands that sign, send and wait themselves (the CREATE2 factory,
a registry's deployment, a liabilities round); the batch anchorer classifies the node's errors
itself (:mod:`anchor.chain.fees`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError

from anchor.chain.client import decode_revert
from anchor.errors import ChainError

__all__ = ["rpc_message", "sending"]


@contextmanager
def sending(
    what: str, *, timeout: float, abi: Iterable[dict[str, Any]] = (), hint: str = ""
) -> Iterator[None]:
    """Turn a revert (named by a custom error of ``abi`` where one matches), the node's
    refusal (followed by ``hint``), no receipt within ``timeout`` seconds and an unreachable
    RPC, met while ``what`` is sent, into :class:`ChainError`."""
    try:
        yield
    except ContractLogicError as exc:
        raise ChainError(f"{what} would revert: {_revert_reason(exc, abi)}") from None
    except Web3RPCError as exc:
        raise ChainError(f"{what} rejected by the node: {rpc_message(exc)}{hint}") from None
    except TimeExhausted:
        raise ChainError(f"{what} not mined within {timeout:.0f} s") from None
    except requests.exceptions.RequestException as exc:
        raise ChainError(f"RPC unreachable during {what} ({type(exc).__name__})") from None


def rpc_message(exc: Web3RPCError) -> str:
    """The node's own error message, else the exception's name."""
    response = exc.rpc_response if isinstance(exc.rpc_response, dict) else {}
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return type(exc).__name__


def _revert_reason(exc: ContractLogicError, abi: Iterable[dict[str, Any]]) -> str:
    decoded = decode_revert(exc.data if isinstance(exc.data, str) else None, abi)
    if decoded is not None:
        return str(decoded)
    return exc.message or type(exc).__name__

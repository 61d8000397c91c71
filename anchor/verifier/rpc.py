"""Raw JSON-RPC reads over httpx: just what the standalone verifier needs, no web3.

Errors: :class:`RpcUnreachable` (connection, timeout, HTTP status, non-JSON reply) and
:class:`RpcResponseError` (the node answered with a JSON-RPC error). Both are
:class:`anchor.errors.ChainError` (exit code 2: the RPC is unusable, the proof is not judged).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import httpx

from anchor.errors import ChainError

__all__ = ["RpcClient", "RpcResponseError", "RpcUnreachable", "hex_bytes", "hex_int"]

_HEX = re.compile(r"0x[0-9a-fA-F]*\Z")


class RpcUnreachable(ChainError):
    """The RPC endpoint could not be reached or did not speak JSON-RPC."""


class RpcResponseError(ChainError):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        self.method = method
        self.code = code
        self.message = message
        super().__init__(f"RPC {method} failed: {message} (code {code})")


def hex_int(v: Any, what: str) -> int:
    """A JSON-RPC quantity (0x-prefixed hex) as int; ChainError if malformed."""
    if not isinstance(v, str) or not _HEX.match(v) or len(v) < 3:
        raise ChainError(f"RPC returned a malformed quantity for {what}: {v!r}")
    return int(v, 16)


def hex_bytes(v: Any, what: str, size: int | None = None) -> bytes:
    """JSON-RPC data (0x-prefixed hex) as bytes; ChainError if malformed or the wrong size."""
    if not isinstance(v, str) or not _HEX.match(v) or len(v) % 2:
        raise ChainError(f"RPC returned malformed data for {what}: {str(v)[:80]!r}")
    out = bytes.fromhex(v[2:])
    if size is not None and len(out) != size:
        raise ChainError(f"RPC returned {len(out)} bytes for {what}, expected {size}")
    return out


def _redact_url(url: str) -> str:
    """The URL without credentials, path or query (RPC URLs often embed API keys)."""
    try:
        u = httpx.URL(url)
        return f"{u.scheme}://{u.host}" + (f":{u.port}" if u.port else "")
    except Exception:  # pragma: no cover - httpx rejects the URL: say nothing of it
        return "the RPC URL"


class RpcClient:
    """A minimal JSON-RPC client. ``transport`` lets a caller plug any httpx transport."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        try:
            httpx.URL(url)
        except Exception:
            raise ChainError("the RPC URL is not a valid URL") from None
        if not url.startswith(("http://", "https://")):
            raise ChainError("the RPC URL must start with http:// or https://")
        self._url = url
        self._where = _redact_url(url)
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, params: list[Any]) -> Any:
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            resp = self._http.post(self._url, json=payload)
        except httpx.HTTPError as exc:
            raise RpcUnreachable(
                f"RPC unreachable at {self._where}: {type(exc).__name__}"
            ) from None
        if resp.status_code != 200:
            raise RpcUnreachable(f"RPC at {self._where} answered HTTP {resp.status_code}")
        try:
            body = resp.json()
        except ValueError:
            raise RpcUnreachable(f"RPC at {self._where} did not answer JSON") from None
        if not isinstance(body, dict):
            raise RpcUnreachable(f"RPC at {self._where} answered a non-object")
        if body.get("error") is not None:
            err = body["error"]
            code = err.get("code") if isinstance(err, dict) else None
            msg = err.get("message") if isinstance(err, dict) else str(err)
            raise RpcResponseError(method, code if isinstance(code, int) else None, str(msg)[:300])
        if "result" not in body:
            raise RpcUnreachable(f"RPC at {self._where} answered without a result")
        return body["result"]

    # ------------------------------------------------------------------ typed reads
    def chain_id(self) -> int:
        return hex_int(self.call("eth_chainId", []), "eth_chainId")

    def block_number(self) -> int:
        return hex_int(self.call("eth_blockNumber", []), "eth_blockNumber")

    def get_code(self, address: str) -> bytes:
        return hex_bytes(self.call("eth_getCode", [address, "latest"]), "eth_getCode")

    def eth_call(self, to: str, data: bytes, block: str = "latest") -> bytes:
        return hex_bytes(
            self.call("eth_call", [{"to": to, "data": "0x" + data.hex()}, block]), "eth_call"
        )

    def receipt(self, tx_hash: bytes) -> dict[str, Any] | None:
        r = self.call("eth_getTransactionReceipt", ["0x" + tx_hash.hex()])
        if r is not None and not isinstance(r, dict):
            raise ChainError("RPC returned a malformed receipt")
        return r

    def block(self, tag_or_number: str | int) -> dict[str, Any] | None:
        tag = hex(tag_or_number) if isinstance(tag_or_number, int) else tag_or_number
        b = self.call("eth_getBlockByNumber", [tag, False])
        if b is not None and not isinstance(b, dict):
            raise ChainError("RPC returned a malformed block")
        return b
